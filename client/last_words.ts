/**
 * The server's last words: the *Why* extension of the protocol. Right before it
 * closes a connection for a reason the client can act on, a server sends that
 * connection alone one frame from `*` saying why; this module tells such a frame
 * from the server's other words and reads it.
 *
 * @module
 */

import type { ChatMessage } from "../protocol/frames.ts";
import { sanitize } from "./sanitize.ts";

/** The user name under which the server speaks; no client may log in with it. */
export const SERVER_USERNAME = "*";

// How long before the close a `*` frame may arrive and still be the reason: the
// server sends it right before closing.
const LAST_WORDS_WINDOW = 2000;
// The server's voice that is not a reason: joins, leaves, the answer to /who.
const NOTICE = /^(?:.* joined|.* left(?: \([^)]*\))?|\d+ here: .*)$/s;
const LOGIN_REFUSED = /^the name ".*" is (?:taken|registered)$/s;
const TOO_LARGE = /^message of (\d+) bytes over the limit of (\d+)$/;
const SPEAKS_TLS = /^this port speaks TLS\b/;

/** Why the server closed a connection, as its last words said. */
export type Farewell =
  /** The login was refused (`the name "alice" is taken`); the text says why. */
  | { readonly kind: "login-refused"; readonly text: string }
  /** A message over the server's limit (`message of 40 bytes over the limit of 20`). */
  | {
    readonly kind: "too-large";
    readonly text: string;
    readonly size: number;
    readonly limit: number;
  }
  /** The port speaks TLS and the client did not (`this port speaks TLS: use --tls`). */
  | { readonly kind: "speaks-tls"; readonly text: string }
  /** Any other reason the server gave. */
  | { readonly kind: "other"; readonly text: string };

/**
 * Reads the reason of a `*` frame sent before a close.
 *
 * @example A message over the limit
 * ```ts
 * import { readFarewell } from "./last_words.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(readFarewell("message of 40 bytes over the limit of 20"), {
 *   kind: "too-large",
 *   text: "message of 40 bytes over the limit of 20",
 *   size: 40,
 *   limit: 20,
 * });
 * ```
 *
 * @param text The frame's text, as received.
 * @returns The reason; its text is made safe to show.
 */
export function readFarewell(text: string): Farewell {
  const safe = sanitize(text);
  if (LOGIN_REFUSED.test(text)) return { kind: "login-refused", text: safe };
  if (SPEAKS_TLS.test(text)) return { kind: "speaks-tls", text: safe };
  const tooLarge = TOO_LARGE.exec(text);
  if (tooLarge !== null) {
    return { kind: "too-large", text: safe, size: Number(tooLarge[1]), limit: Number(tooLarge[2]) };
  }
  return { kind: "other", text: safe };
}

/**
 * Follows the frames of one connection to learn, when the server closes it, what
 * the server said right before: the last frame, if it came from `*` within two
 * seconds of the close and is not a notice (a join, a leave, an answer to `/who`).
 */
export class LastWords {
  #last: { text: string; at: number } | undefined;
  #heard = false;

  /** Whether a frame from someone other than the server has arrived: the login was accepted. */
  get heard(): boolean {
    return this.#heard;
  }

  /**
   * Notes a received frame.
   *
   * @param message The frame.
   * @param now The time it arrived, in milliseconds.
   */
  see(message: ChatMessage, now: number = Date.now()): void {
    if (message.username !== SERVER_USERNAME) {
      this.#heard = true;
      this.#last = undefined;
    } else {
      this.#last = NOTICE.test(message.text) ? undefined : { text: message.text, at: now };
    }
  }

  /**
   * What the server said before closing the connection, if it said why.
   *
   * @param now The time of the close, in milliseconds.
   * @returns The reason, or undefined.
   */
  farewell(now: number = Date.now()): Farewell | undefined {
    if (this.#last === undefined || now - this.#last.at > LAST_WORDS_WINDOW) return undefined;
    const farewell = readFarewell(this.#last.text);
    // A name refused after other people's messages came is not a refused login.
    return farewell.kind === "login-refused" && this.#heard
      ? { kind: "other", text: farewell.text }
      : farewell;
  }
}
