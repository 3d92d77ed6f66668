/**
 * A session between the accounts marker and its login: each message goes to the
 * {@linkcode Authenticator}, nothing more is read until it is answered, the
 * answers are written at once (the session is not in the room yet), and the
 * whole phase has its own deadline, longer than the login's (a password typed
 * at a prompt).
 *
 * @module
 */

import type { ReadGate } from "../room/read_gate.ts";
import type { Link } from "./link.ts";
import type { Authenticator, DisconnectReason } from "./session_host.ts";
import { voiceFrame } from "./voice.ts";

/** How long an authentication may take, in milliseconds. */
export const AUTH_TIMEOUT_MS = 120_000;

// Why a login with the marker is refused by a server without accounts.
const NO_ACCOUNTS = "this server does not support accounts";

/** What the phase needs from its session. */
export interface AuthPhaseHooks {
  /** The session's read gate: closed (reason `auth`) while a step runs. */
  readonly gate: ReadGate;
  /** Bytes written to clients so far. */
  readonly traffic: { bytesOut: number };
  /** Whether the session is closed or closing. */
  closed(): boolean;
  /** Tells the client why from `*`, then closes. */
  fail(reason: DisconnectReason, why: string): void;
  /** The client proved it owns `name`: log it in. */
  proven(name: string): void;
}

/** One session's authentication, from the marker to the login or the refusal. */
export class AuthPhase {
  readonly #auth: Authenticator;
  readonly #link: Link;
  readonly #hooks: AuthPhaseHooks;
  readonly #timer: ReturnType<typeof setTimeout>;
  #busy = false;
  #active = true;

  /**
   * Starts the phase, or, without an authentication (a server without accounts),
   * refuses the login through `hooks.fail`.
   *
   * @returns The phase, or `undefined` when refused.
   */
  static start(
    auth: Authenticator | undefined,
    link: Link,
    hooks: AuthPhaseHooks,
  ): AuthPhase | undefined {
    if (auth !== undefined) return new AuthPhase(auth, link, hooks);
    hooks.fail({ text: `login refused: ${NO_ACCOUNTS}`, level: "info" }, NO_ACCOUNTS);
    return undefined;
  }

  /** Whether the session's messages still go to the authentication (not proven yet). */
  get active(): boolean {
    return this.#active;
  }

  /**
   * @param auth The authentication.
   * @param link The session's link.
   * @param hooks What it needs from the session.
   * @param timeoutMs Its deadline.
   */
  constructor(
    auth: Authenticator,
    link: Link,
    hooks: AuthPhaseHooks,
    timeoutMs = AUTH_TIMEOUT_MS,
  ) {
    this.#auth = auth;
    this.#link = link;
    this.#hooks = hooks;
    this.#timer = setTimeout(() => {
      const reason = { text: "authentication timeout", level: "warn", cause: "login timeout" };
      hooks.fail(reason as DisconnectReason, "the authentication took too long");
    }, timeoutMs);
  }

  /** Stops its deadline (the session closed). */
  stop(): void {
    clearTimeout(this.#timer);
  }

  /**
   * One message of the client's.
   *
   * @param text Its bytes (valid UTF-8), valid during the call only.
   */
  message(text: Uint8Array): void {
    const hooks = this.#hooks;
    if (this.#busy) {
      const why = "a message arrived before the authentication's answer";
      hooks.fail({ text: `protocol error: ${why}`, level: "warn" }, why);
      return;
    }
    this.#busy = true;
    hooks.gate.close("auth");
    this.#auth.step(new TextDecoder().decode(text)).then(async (step) => {
      this.#busy = false;
      if (hooks.closed()) return;
      if (step.kind === "refused") {
        this.stop();
        hooks.fail({ text: `authentication refused: ${step.log}`, level: "warn" }, step.why);
        return;
      }
      if (!await this.#send(voiceFrame(step.text))) return;
      hooks.gate.open("auth");
      if (step.kind === "proven") {
        this.stop();
        this.#active = false;
        hooks.proven(step.name);
      }
    }).catch((error) => {
      this.stop();
      hooks.fail(
        { text: `authentication failed: ${error}`, level: "warn" },
        "authentication failed",
      );
    });
  }

  // The session is not in the room: nothing else writes to the link meanwhile.
  async #send(frame: Uint8Array): Promise<boolean> {
    try {
      for (let at = 0; at < frame.length;) {
        if (this.#hooks.closed()) return false;
        const count = await this.#link.write(frame.subarray(at));
        this.#hooks.traffic.bytesOut += count;
        at += count;
      }
      return !this.#hooks.closed();
    } catch {
      return false; // the read side sees the connection end
    }
  }
}
