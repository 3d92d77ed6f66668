/**
 * The operator's voice in the room: join and leave notices, `/who`, and the claims
 * of unique names. It reads the room (its members and their names) and speaks
 * through it; it never reaches into a session.
 *
 * In a cluster, this is where the backplane would plug in: the roster behind
 * `/who` and the name claims would come from every node (a JetStream key-value
 * bucket with `create` for atomic claims), and notices would carry a message id so
 * that a leave noticed by several nodes is announced once. Here, on one node, the
 * room is the whole truth.
 *
 * @module
 */

import { encodeChatMessage, encodeString } from "../protocol/encode.ts";
import type { Room } from "./room.ts";
import type { SessionEnd } from "./session.ts";

/** The user name of the server's voice; no client may log in with it. */
export const SERVER_NAME = "*";

// The server's name as a string field, ready for the room's log.
const SERVER_FIELD = encodeString(SERVER_NAME);
const encoder = new TextEncoder();

/**
 * The key under which two user names count as one: Unicode NFC, then case folded
 * by upper-casing and lower-casing (so `Alice`, `ALICE` and `alice` are one name,
 * and so are `Straße` and `STRASSE`), then NFC again.
 *
 * @example Case and normalisation variants share one key
 * ```ts
 * import { nameKey } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nameKey("ALICE"), nameKey("alice"));
 * assert.equal(nameKey("Jose\u0301"), nameKey("jos\u00e9"));
 * assert.equal(nameKey("Straße"), nameKey("STRASSE"));
 * ```
 *
 * @param name A user name.
 * @returns Its key.
 */
export function nameKey(name: string): string {
  return name.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC");
}

/**
 * What the room hears when `name` leaves: `bob left`, with the reason in brackets
 * when the server dropped the user.
 *
 * @example A slow consumer's leave
 * ```ts
 * import { leaveText } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(leaveText("bob", "slow consumer"), "bob left (slow consumer)");
 * assert.equal(leaveText("bob", "left"), "bob left");
 * ```
 *
 * @param name The user name.
 * @param cause Why the session ended, if known.
 * @returns The notice.
 */
export function leaveText(name: string, cause: SessionEnd["cause"]): string {
  switch (cause) {
    case "login timeout":
      return `${name} left (timeout)`;
    case "slow consumer":
      return `${name} left (slow consumer)`;
    case "protocol error":
      return `${name} left (protocol error)`;
    default:
      return `${name} left`;
  }
}

/**
 * The answer to `/who`: how many are in the room and their names, sorted.
 *
 * @example Three in the room
 * ```ts
 * import { whoText } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(whoText(["carol", "alice", "bob"]), "3 here: alice, bob, carol");
 * ```
 *
 * @param names The names of the members.
 * @returns The answer.
 */
export function whoText(names: Iterable<string>): string {
  const sorted = [...names].sort();
  return `${sorted.length} here: ${sorted.join(", ")}`;
}

/**
 * Whether a message's bytes are exactly `/who`.
 *
 * @param text A message's UTF-8 bytes.
 * @returns `true` for `/who`.
 */
export function isWho(text: Uint8Array): boolean {
  return text.length === 4 && text[0] === 0x2f && text[1] === 0x77 && text[2] === 0x68 &&
    text[3] === 0x6f;
}

/** What {@linkcode Presence} does. */
export interface PresenceOptions {
  /** Announce joins and leaves to the room. */
  readonly announce: boolean;
  /** Refuse a login whose name is already in the room. */
  readonly uniqueNames: boolean;
}

/**
 * The operator's part of the room on one node: notices from `*`, `/who`, and the
 * name claims of `--unique-names`.
 */
export class Presence {
  readonly #room: Room;
  readonly #options: PresenceOptions;
  readonly #publish: (sender: Uint8Array, text: Uint8Array) => void;
  // Name keys claimed by members, when names must be unique.
  readonly #claims = new Set<string>();

  /**
   * @param room The room it speaks to.
   * @param options What it does.
   * @param publish Accepts a notice into the room's order (through the backplane,
   * in a cluster).
   */
  constructor(
    room: Room,
    options: PresenceOptions,
    publish: (sender: Uint8Array, text: Uint8Array) => void,
  ) {
    this.#room = room;
    this.#options = options;
    this.#publish = publish;
  }

  /**
   * Claims `name` for a login, when names must be unique.
   *
   * @returns Why the login is refused (the text for the newcomer), or `undefined`
   * when the name is free (and now claimed).
   */
  claim(name: string): string | undefined {
    if (!this.#options.uniqueNames) return undefined;
    const key = nameKey(name);
    if (this.#claims.has(key)) return `the name "${name}" is taken`;
    this.#claims.add(key);
    return undefined;
  }

  /** A member logged in as `name`: the room hears it, when announcing. */
  joined(name: string): void {
    if (this.#options.announce) this.#say(`${name} joined`);
  }

  /**
   * A member logged in as `name` left: its claim is released and the room hears
   * it, when announcing.
   *
   * @param name The member's name.
   * @param cause Why its session ended.
   * @param quiet Release the claim but say nothing (the server is shutting down).
   */
  left(name: string, cause: SessionEnd["cause"], quiet: boolean): void {
    if (this.#options.uniqueNames) this.#claims.delete(nameKey(name));
    if (this.#options.announce && !quiet) this.#say(leaveText(name, cause));
  }

  /**
   * The frame that answers `/who` now: from `*`, for one member only.
   *
   * @returns The encoded chat frame.
   */
  who(): Uint8Array {
    const names: string[] = [];
    for (const member of this.#room.members()) {
      if (member.username !== undefined) names.push(member.username);
    }
    return encodeChatMessage({
      timestamp: Math.floor(Date.now() / 1000),
      username: SERVER_NAME,
      text: whoText(names),
    });
  }

  /**
   * The frame that tells a refused newcomer why.
   *
   * @param text The reason from {@linkcode Presence.claim}.
   * @returns The encoded chat frame.
   */
  refusal(text: string): Uint8Array {
    return encodeChatMessage({
      timestamp: Math.floor(Date.now() / 1000),
      username: SERVER_NAME,
      text,
    });
  }

  #say(text: string): void {
    this.#publish(SERVER_FIELD, encoder.encode(text));
  }
}
