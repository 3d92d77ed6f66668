/**
 * What a session needs from the server that owns it, and the words for how a
 * connection ends.
 *
 * @module
 */

import type { ReadGate } from "../room/read_gate.ts";
import type { Room } from "../room/room.ts";

/**
 * Why the server ended a connection, and how loudly to log it. (The client's
 * `SessionEnd`, in client/session_end.ts, is how a client command's session
 * ended: another thing, hence another name.)
 */
export interface DisconnectReason {
  /** What happened, for the log: "left", "login timeout", ... */
  readonly text: string;
  /** `warn` for a peer's misbehaviour, `info` for ordinary departures. */
  readonly level: "info" | "warn" | "debug";
  /** What ended it, for those who count or announce departures. */
  readonly cause?: DisconnectCause;
}

/** What ended a connection, for those who count or announce departures. */
export type DisconnectCause =
  | "left"
  | "evicted"
  | "login timeout"
  | "slow consumer"
  | "protocol error"
  | "name taken";

/** @deprecated Use {@linkcode DisconnectReason}: the old name, kept for the modules that import it. */
export type SessionEnd = DisconnectReason;

/** What a session needs from the server that owns it. */
export interface SessionHost<Session = unknown> {
  /** The limits for the decoder. */
  readonly limits: { readonly maxUsernameSize: number; readonly maxMessageSize: number };
  /** Messages per second and burst per connection; `rate` 0 turns the limit off. */
  readonly rate: { readonly rate: number; readonly burst: number };
  /** The room the session joins once logged in. */
  readonly room: Room;
  /**
   * Closed until the server has joined its cluster: no session reads anything
   * (not even a login) before, so nobody is let into a room cut off from the
   * others.
   */
  readonly opening: ReadGate;
  /** Bytes read from and written to clients so far; sessions add to them. */
  readonly traffic: { bytesIn: number; bytesOut: number };
  /**
   * Decides whether a login may proceed.
   *
   * @returns `undefined` to let it in, or why not: the text for the log and the
   * frame the newcomer receives before it is closed; or a promise of either (a
   * claim across a cluster), during which the session reads nothing more.
   * @param proven Whether the client proved it owns the name (accounts).
   */
  refuseLogin(
    username: string,
    proven?: boolean,
  ): LoginRefusal | undefined | Promise<LoginRefusal | undefined>;
  /**
   * A login with the accounts marker: the authentication that follows, or
   * `undefined` when the server has no accounts. The login deadline no longer
   * applies to the session (its own, longer one does).
   */
  authenticate?(session: Session): Authenticator | undefined;
  /** A login let in by {@linkcode refuseLogin} was closed before it could join. */
  loginAbandoned(username: string): void;
  /** The session logged in (it is in the room already). */
  loggedIn(session: Session): void;
  /** The session received a message (its bytes are valid during the call only). */
  received(session: Session, sender: Uint8Array, text: Uint8Array): void;
  /** The session closed its connection. */
  closed(session: Session, reason: DisconnectReason): void;
  /** The session is closed and nothing of it runs any more: no read, no write. */
  ended(session: Session): void;
  /** The bytes the session holds for reads grew (or shrank, when negative). */
  readBuffer(delta: number): void;
}

/** Why a login is refused: the text for the log and the frame for the newcomer. */
export interface LoginRefusal {
  /** The reason, for the log. */
  readonly text: string;
  /** The frame the newcomer receives before it is closed. */
  readonly frame: Uint8Array;
}

/** What one step of an authentication (accounts) answers. */
export type AuthStep =
  /** Send `text` from `*` and wait for the next message. */
  | { readonly kind: "challenge"; readonly text: string }
  /** Send `text` (the server's signature) from `*`, then log `name` in. */
  | { readonly kind: "proven"; readonly name: string; readonly text: string }
  /** Tell the client `why` from `*` and close; `log` is for the log (never a secret). */
  | { readonly kind: "refused"; readonly why: string; readonly log: string };

/** One authentication, as a session drives it: one step per message of the client's. */
export interface Authenticator {
  /** Takes the client's next message and says what to answer. */
  step(text: string): Promise<AuthStep>;
}
