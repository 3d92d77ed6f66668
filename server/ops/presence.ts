/**
 * The operator's voice in the room: join and leave notices, `/who`, and the claims
 * of unique names. It reads the room (its members and their names) and speaks
 * through it; it never reaches into a session.
 *
 * On one node, the room is the whole truth. In a cluster, a {@linkcode ClusterRoster}
 * (the NATS one is in `nats_presence.ts`) adds the members of the other nodes to
 * `/who`, makes name claims atomic across nodes, and reports the members of a node
 * that died; every leave notice carries the message id `leave-<node>-<member id>`,
 * so a leave noticed by several nodes is announced once.
 *
 * @module
 */

import { encodeChatMessage, encodeString } from "../../protocol/encode.ts";
import { nameKeys } from "../../protocol/skeleton.ts";
import type { Room } from "../room/room.ts";
import type { SessionEnd } from "../session/session_host.ts";
import { NoticePacer } from "./notice_pacer.ts";

/** A member of one node, as the cluster's roster holds it. */
export interface RosterMember {
  /** Its id on its node, unique for the node's lifetime. */
  readonly id: number;
  /** Its user name. */
  readonly name: string;
}

/**
 * The cluster's side of presence: the other nodes' members and the name claims of
 * every node. {@linkcode Presence} works without one (a single node).
 */
export interface ClusterRoster {
  /** This node's id in the cluster, part of the message ids of its leave notices. */
  readonly node: string;
  /**
   * Claims a name key for this node, atomically across the cluster (a name has one
   * or two keys: `nameKeys` in `protocol/skeleton.ts`).
   *
   * @param key One of the name's keys.
   * @returns `true` when claimed, `false` when another node holds it.
   * @throws {Error} When the claim cannot be decided now (the cluster is unreachable).
   */
  claim(key: string): Promise<boolean>;
  /** Releases a claim of this node; never throws. */
  release(key: string): void;
  /**
   * This node's members changed: the cluster hears the new list, or calls
   * `members` for it when it next writes (once for many changes).
   */
  update(members: readonly RosterMember[] | (() => readonly RosterMember[])): void;
  /** The names of the members of the other live nodes. */
  others(): Iterable<string>;
  /** Stops; removes this node's roster entry and claims (bounded in time). */
  close(): Promise<void>;
}

/** The user name of the server's voice; no client may log in with it. */
export const SERVER_NAME = "*";

// The server's name as a string field, ready for the room's log.
const SERVER_FIELD = encodeString(SERVER_NAME);
const encoder = new TextEncoder();

/**
 * How a user name appears in the server's notices and `/who`: as a JSON string
 * literal, so that no name (`bob, admin`, `bob" joined`) can forge another entry or
 * another notice.
 *
 * @example
 * ```ts
 * import { quoteName } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quoteName("alice"), '"alice"');
 * assert.equal(quoteName('bob", "eve'), '"bob\\", \\"eve"');
 * ```
 *
 * @param name A user name.
 * @returns It, quoted.
 */
export function quoteName(name: string): string {
  return JSON.stringify(name);
}

/**
 * What the room hears when `name` joins: `"alice" joined`.
 *
 * @param name The user name.
 * @returns The notice.
 */
export function joinText(name: string): string {
  return `${quoteName(name)} joined`;
}

/**
 * What the room hears when `name` leaves: `"bob" left`, with the reason in
 * brackets when the server dropped the user.
 *
 * @example A slow consumer's leave
 * ```ts
 * import { leaveText } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(leaveText("bob", "slow consumer"), '"bob" left (slow consumer)');
 * assert.equal(leaveText("bob", "left"), '"bob" left');
 * ```
 *
 * @param name The user name.
 * @param cause Why the session ended, if known.
 * @returns The notice.
 */
export function leaveText(name: string, cause: SessionEnd["cause"]): string {
  const left = `${quoteName(name)} left`;
  switch (cause) {
    case "login timeout":
      return `${left} (timeout)`;
    case "slow consumer":
      return `${left} (slow consumer)`;
    case "protocol error":
      return `${left} (protocol error)`;
    default:
      return left;
  }
}

/**
 * The answer to `/who`: how many are in the room and their names, sorted, each
 * quoted with {@linkcode quoteName} and separated by `, `.
 *
 * @example Three in the room, one of them with a comma in the name
 * ```ts
 * import { whoText } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(whoText(["carol", "alice", "bob"]), '3 here: "alice", "bob", "carol"');
 * assert.equal(whoText(["bob, admin"]), '1 here: "bob, admin"');
 * ```
 *
 * @param names The names of the members.
 * @returns The answer.
 */
export function whoText(names: Iterable<string>): string {
  const sorted = [...names].sort();
  return `${sorted.length} here: ${sorted.map(quoteName).join(", ")}`;
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
  /**
   * How long a join is held before it is announced (a member who leaves within it
   * is never announced), in milliseconds.
   *
   * @default {1000}
   */
  readonly joinHoldMs?: number;
}

/**
 * Accepts a notice into the room's order (through the backplane, in a cluster);
 * notices with the same `id` reach the room once.
 */
export type PublishNotice = (sender: Uint8Array, text: Uint8Array, id?: string) => void;

/** A logged-in member, as presence knows it: by identity, with its name. */
export interface PresenceMember {
  /** The user name. */
  readonly username: string | undefined;
  /** Tells the member why (from `*`) and disconnects it: its name was lost. */
  dismiss?(why: string): void;
}

/**
 * The operator's part of the room: notices from `*`, `/who`, and the name claims
 * of `--unique-names`; on one node by itself, or across a cluster once
 * {@linkcode Presence.join} gives it a {@linkcode ClusterRoster}.
 */
export class Presence {
  readonly #room: Room;
  readonly #options: PresenceOptions;
  readonly #publish: PublishNotice;
  // Name keys claimed by members of this node, when names must be unique.
  readonly #claims = new Set<string>();
  // This node's members and their roster ids.
  readonly #members = new Map<PresenceMember, RosterMember>();
  #nextId = 0;
  // The cluster's roster: being set up (a promise), ready, or none.
  #cluster: ClusterRoster | Promise<ClusterRoster | undefined> | undefined;
  #closed = false;
  readonly #pacer: NoticePacer;
  // The answer to /who, kept while the roster and the second stay the same.
  #version = 0;
  #who: { readonly key: string; readonly frame: Uint8Array } | undefined;

  /**
   * @param room The room it speaks to.
   * @param options What it does.
   * @param publish Accepts a notice into the room's order.
   */
  constructor(room: Room, options: PresenceOptions, publish: PublishNotice) {
    this.#room = room;
    this.#options = options;
    this.#publish = publish;
    // A member whose join is still held is not listed yet (by /who, or to the other
    // nodes): whoever keeps a list from /who and the notices sees each member once.
    this.#pacer = new NoticePacer((text, id) => this.#say(text, id), {
      ...(options.joinHoldMs === undefined ? {} : { holdMs: options.joinHoldMs }),
      released: () => this.#rosterChanged(),
    });
  }

  /**
   * Joins a cluster: claims wait for `roster` and then go through it; `/who`
   * includes its other nodes' members.
   *
   * @param roster The cluster's roster once set up, or `undefined` when that failed
   * (the server is stopping).
   */
  join(roster: Promise<ClusterRoster | undefined>): void {
    this.#cluster = roster.then((ready) => {
      this.#cluster = ready;
      ready?.update([...this.#members.values()]);
      return ready;
    });
  }

  /**
   * The members of a node that died (or shut down) left: the room hears it, once
   * however many nodes report it, when announcing.
   *
   * @param node The node's id.
   * @param member The member.
   */
  gone(node: string, member: RosterMember): void {
    if (this.#options.announce) {
      this.#pacer.left(undefined, leaveText(member.name, "left"), `leave-${node}-${member.id}`);
    }
  }

  /**
   * Claims `name` for a login, when names must be unique.
   *
   * @returns Why the login is refused (the text for the newcomer), or `undefined`
   * when the name is free (and now claimed); a promise of either in a cluster.
   */
  claim(name: string): string | undefined | Promise<string | undefined> {
    if (!this.#options.uniqueNames) return undefined;
    const keys = nameKeys(name);
    if (keys.some((key) => this.#claims.has(key))) return taken(name);
    for (const key of keys) this.#claims.add(key);
    const cluster = this.#cluster;
    if (cluster === undefined) return undefined;
    const drop = () => keys.forEach((key) => this.#claims.delete(key));
    return Promise.resolve(cluster).then((ready) => ready ? claimAll(ready, keys) : true).then(
      (claimed) => {
        if (claimed) return undefined;
        drop();
        return taken(name);
      },
      () => {
        drop();
        return `names cannot be checked now: try again later`;
      },
    );
  }

  /**
   * This node lost the claim of `key` while it was away (past the cluster's
   * lease) and someone else holds the name now: the member of this node holding
   * it is told why and disconnected, not left as a duplicate.
   *
   * @param key One of the name's keys (`nameKeys` in `protocol/skeleton.ts`).
   */
  lost(key: string): void {
    for (const [member, entry] of this.#members) {
      if (!nameKeys(entry.name).includes(key)) continue;
      this.#claims.delete(key);
      member.dismiss?.(
        `the name ${quoteName(entry.name)} was taken while this server was away from the cluster`,
      );
    }
  }

  /**
   * Releases a claim granted to a login that went away before it could join.
   *
   * @param name The name claimed.
   */
  unclaim(name: string): void {
    if (!this.#options.uniqueNames) return;
    const cluster = this.#cluster;
    for (const key of nameKeys(name)) {
      if (this.#claims.delete(key) && cluster !== undefined && !(cluster instanceof Promise)) {
        cluster.release(key);
      }
    }
  }

  /** A member logged in: the room hears it, when announcing. */
  joined(member: PresenceMember): void {
    const name = member.username!;
    this.#members.set(member, { id: ++this.#nextId, name });
    this.#rosterChanged();
    if (this.#options.announce) this.#pacer.joined(member, joinText(name));
  }

  /**
   * A logged-in member left: its claim is released and the room hears it, when
   * announcing.
   *
   * @param member The member.
   * @param cause Why its session ended.
   * @param quiet Release the claim but say nothing (the server is shutting down).
   */
  left(member: PresenceMember, cause: SessionEnd["cause"], quiet: boolean): void {
    const entry = this.#members.get(member);
    if (entry === undefined) return;
    this.#members.delete(member);
    this.unclaim(entry.name);
    this.#rosterChanged();
    if (this.#options.announce && !quiet) {
      const cluster = this.#cluster;
      const id = cluster === undefined || cluster instanceof Promise
        ? undefined
        : `leave-${cluster.node}-${entry.id}`;
      this.#pacer.left(member, leaveText(entry.name, cause), id);
    }
  }

  /**
   * The frame that answers `/who` now: from `*`, for one member only. In a
   * cluster, the names of the other nodes' members come from the roster as this
   * node last read it (a second old at most, by default).
   *
   * @returns The encoded chat frame.
   */
  who(): Uint8Array {
    // Each frame carries its second: the answer is kept per roster version and second.
    const second = Math.floor(Date.now() / 1000);
    const key = `${this.#version}:${second}`;
    if (this.#who?.key === key) return this.#who.frame;
    const names: string[] = [];
    for (const [member, entry] of this.#members) {
      if (!this.#pacer.isHeld(member)) names.push(entry.name);
    }
    const cluster = this.#cluster;
    if (cluster !== undefined && !(cluster instanceof Promise)) names.push(...cluster.others());
    const frame = encodeChatMessage({
      timestamp: second,
      username: SERVER_NAME,
      text: whoText(names),
    });
    this.#who = { key, frame };
    return frame;
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

  /**
   * Leaves the cluster: its roster entry and claims go (the other nodes announce
   * the leaves of this node's members). Nothing more goes through the cluster.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pacer.close();
    const cluster = await this.#cluster;
    // A node leaving a cluster says its members left, with the ids the others would
    // use: they may not have read its latest roster entry before it goes.
    if (cluster !== undefined && this.#options.announce) {
      for (const entry of this.#members.values()) {
        this.#say(leaveText(entry.name, "left"), `leave-${cluster.node}-${entry.id}`);
      }
    }
    this.#cluster = undefined;
    await cluster?.close();
  }

  #rosterChanged(): void {
    this.#version++;
    const cluster = this.#cluster;
    if (cluster !== undefined && !(cluster instanceof Promise)) cluster.update(this.#listed);
  }

  // The members the cluster may list (not those whose join is still held); taken
  // when the cluster writes, not at every change: a storm of logins would copy the
  // whole list once a login.
  readonly #listed = (): RosterMember[] => {
    const listed: RosterMember[] = [];
    for (const [member, entry] of this.#members) {
      if (!this.#pacer.isHeld(member)) listed.push(entry);
    }
    return listed;
  };

  #say(text: string, id?: string): void {
    this.#publish(SERVER_FIELD, encoder.encode(text), id);
  }
}

function taken(name: string): string {
  return `the name ${quoteName(name)} is taken`;
}

// Claims every key of a name across the cluster, or none: the keys granted before
// one is refused (or the cluster fails) are released.
async function claimAll(cluster: ClusterRoster, keys: readonly string[]): Promise<boolean> {
  const granted: string[] = [];
  try {
    for (const key of keys) {
      if (!await cluster.claim(key)) break;
      granted.push(key);
    }
  } finally {
    if (granted.length < keys.length) granted.forEach((key) => cluster.release(key));
  }
  return granted.length === keys.length;
}
