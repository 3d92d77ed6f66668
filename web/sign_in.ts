/**
 * Signing in to a registered name from the page: SCRAM-SHA-256 in the seed's own
 * frames (docs/protocol.md, accounts), as the terminal client does it. The page
 * sends nothing secret unless the server's very first frame is a challenge from
 * `*` that echoes the page's nonce and asks for enough iterations.
 *
 * @module
 */

import type { ChatMessage } from "../protocol/frames.ts";
import { encodeString } from "../protocol/encode.ts";
import { SCRAM_LOGIN, ScramClient, ScramError } from "../protocol/scram.ts";

/** What the page does with one frame received while it signs in. */
export type SignInStep =
  | { readonly kind: "send"; readonly bytes: Uint8Array }
  | { readonly kind: "done" }
  | { readonly kind: "failed"; readonly text: string };

/**
 * Whether the page can sign in here: WebCrypto exists only on a secure origin
 * (HTTPS, or localhost), and a password must never cross plain HTTP to a host.
 */
export function canSignIn(): boolean {
  const page = globalThis as { isSecureContext?: boolean; crypto?: { subtle?: unknown } };
  return page.isSecureContext === true && page.crypto?.subtle !== undefined;
}

/**
 * Whether a line from `*` says the name needs a password (the server's *Why* line
 * before it closes a login under a registered name without proof).
 */
export function needsPassword(text: string): boolean {
  return /^the name ".*" is registered$/s.test(text);
}

/** One sign-in: the opening bytes, then a step per frame from the server. */
export class SignIn {
  readonly #scram: ScramClient;
  readonly #password: string;
  #stage: "challenge" | "outcome" | "over" = "challenge";

  /**
   * @param username The registered name.
   * @param password Its password (kept in this object until the proof is sent).
   */
  constructor(username: string, password: string) {
    this.#scram = new ScramClient(username);
    this.#password = password;
  }

  /** The login marker and the client-first message, to send as the connection opens. */
  opening(): Uint8Array {
    const login = encodeString(SCRAM_LOGIN);
    const first = encodeString(this.#scram.first);
    const bytes = new Uint8Array(login.length + first.length);
    bytes.set(login);
    bytes.set(first, login.length);
    return bytes;
  }

  /**
   * The next step, given a frame from the server.
   *
   * @param message The frame.
   * @returns What to send, that the page is in, or why it failed.
   */
  async step(message: ChatMessage): Promise<SignInStep> {
    const fromServer = message.username === "*";
    if (this.#stage === "challenge") {
      this.#stage = "over";
      if (!fromServer || !message.text.startsWith("r=")) {
        return {
          kind: "failed",
          text: fromServer
            ? message.text
            : "This server does not support accounts: no password was sent.",
        };
      }
      try {
        const final = await this.#scram.final(message.text, this.#password);
        this.#stage = "outcome";
        return { kind: "send", bytes: encodeString(final) };
      } catch (error) {
        if (!(error instanceof ScramError)) throw error;
        return { kind: "failed", text: `The server's challenge was refused: ${error.message}` };
      }
    }
    if (this.#stage === "outcome") {
      this.#stage = "over";
      if (fromServer && message.text.startsWith("v=") && this.#scram.verify(message.text)) {
        return { kind: "done" };
      }
      return {
        kind: "failed",
        text: fromServer && !message.text.startsWith("v=")
          ? message.text
          : "The server could not prove it knows this account.",
      };
    }
    return { kind: "failed", text: "Signing in is over." };
  }
}
