/**
 * What terminal mode does when a connection ends without the user asking: end
 * the session, or say why and try again.
 *
 * @module
 */

import type { Farewell } from "../../last_words.ts";
import { sanitize } from "../../sanitize.ts";

/** A connection that held this long starts the delays between attempts afresh. */
export const HELD = 10_000;

/** How one connection ended, when it was not by the user's choice. */
export interface Lost {
  /** What iterating the client threw. */
  readonly error: Error;
  /** What the server said, right before closing, about why. */
  readonly farewell: Farewell | undefined;
  /** Whether it delivered a message (other than the server's voice). */
  readonly heard: boolean;
  /** How long the connection held, in milliseconds. */
  readonly heldFor: number;
}

/** What to do after a lost connection. */
export type AfterLoss =
  /** End the session with this error (exit status 1). */
  | { readonly kind: "end"; readonly error: Error }
  /**
   * Say `why` and try again; with `resetBackoff`, from the shortest delay (the
   * connection was good for a while).
   */
  | { readonly kind: "retry"; readonly why: string; readonly resetBackoff: boolean };

/**
 * Decides what follows a lost connection. The session ends when reconnecting
 * is off, when the first login was refused (the name belongs to someone else),
 * or when the port speaks TLS: trying again would meet the same refusal. A
 * login refused after a reconnection is retried (the old session may still hold
 * the name); a message over the server's limit is retried, its line kept.
 *
 * @example The first login refused ends the session; a later one is retried
 * ```ts
 * import { afterLoss } from "./reconnection.ts";
 * import assert from "node:assert/strict";
 *
 * const lost = {
 *   error: new Error('Login refused: the name "alice" is taken'),
 *   farewell: { kind: "login-refused", text: 'the name "alice" is taken' },
 *   heard: false,
 *   heldFor: 5,
 * } as const;
 * assert.equal(afterLoss(lost, { again: false, reconnects: true }).kind, "end");
 * assert.deepEqual(afterLoss(lost, { again: true, reconnects: true }), {
 *   kind: "retry",
 *   why: 'login refused: the name "alice" is taken',
 *   resetBackoff: false,
 * });
 * ```
 *
 * @param lost How the connection ended.
 * @param context Whether this was a reconnection, and whether reconnecting is on.
 * @returns End, or retry with the reason to show.
 */
export function afterLoss(
  lost: Lost,
  context: { readonly again: boolean; readonly reconnects: boolean },
): AfterLoss {
  const { farewell } = lost;
  const refused = farewell?.kind === "login-refused";
  if (!context.reconnects || (!context.again && refused) || farewell?.kind === "speaks-tls") {
    return { kind: "end", error: lost.error };
  }
  const why = refused
    ? `login refused: ${farewell.text}`
    : farewell?.kind === "too-large"
    ? `the server closed the connection: ${farewell.text}; the line is kept`
    : `connection lost: ${describeLoss(lost.error)}`;
  return { kind: "retry", why, resetBackoff: !refused && (lost.heard || lost.heldFor >= HELD) };
}

/**
 * A sentence's first letter in lower case, for a message after a colon.
 *
 * @param text A sentence.
 * @returns The same, its first letter in lower case.
 */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

// Why a connection ended, to go after "connection lost: ".
function describeLoss(error: Error): string {
  return lowerFirst(sanitize(error.message)).replace(/; giving up$/, "");
}

/**
 * Waits `ms` milliseconds, or less when `signal` aborts; it never rejects.
 *
 * @param ms How long to wait.
 * @param signal Ends the wait early.
 * @returns A promise that resolves when the wait is over.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
