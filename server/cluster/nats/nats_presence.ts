/**
 * Presence across a cluster, over two JetStream key-value buckets on the
 * backplane's NATS connection:
 *
 * - `wirechat_<room>_nodes`: per node, its members in chunks of at most 128 members
 *   and about 8 KiB (key `m.<id>.<index>`, value JSON `[[id, name], ...]`; see
 *   `roster_chunks.ts`), each put when it changes (a join or a leave re-puts one
 *   chunk; an emptied chunk's key is deleted), and a heartbeat (key `beat.<id>`), a
 *   few bytes put every `refreshMs` unless a chunk was put. Every node watches the
 *   bucket, which delivers per key, so what it reads grows with the changes, not
 *   with the members: the union of the other nodes' chunks is what `/who` adds to
 *   the local members. A heartbeat deleted (a node shut down) or nothing put by a
 *   node for `staleMs`, the lease (a node died), means its node is gone: its
 *   members are reported once to the caller, which announces their leaves with a
 *   message id of their own, so that several nodes noticing store one notice. A
 *   key of another shape (the single whole-roster entry of an older wirechat) is
 *   skipped and logged once: every node of a cluster runs the same version.
 * - `wirechat_<room>_names` (`--unique-names`): one entry per key of a claimed name,
 *   made with `create`, so claims are atomic (`name_claims.ts`); the bucket's age
 *   limit (`maxAgeSeconds`) expires the claims of a dead node, and each node
 *   refreshes its own every `claimRefreshMs`. A node that sees another one gone
 *   also deletes that node's claims at once.
 *
 * The server imports this module only for `--nats`. Requires `--allow-net` to the
 * NATS servers.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm, type KvWatchEntry } from "@nats-io/kv";
import type { ClusterRoster, RosterMember } from "../../ops/presence.ts";
import type { LogLevel } from "../../options.ts";
import { BEAT_PREFIX, chunkKey, parseChunk, parseRosterKey } from "./roster_entries.ts";
import { OwnChunks } from "./roster_chunks.ts";
import { NameClaims } from "./name_claims.ts";

export { claimKey } from "./roster_entries.ts";
import { oneLineMessage } from "../../../cli/error_message.ts";
import { REQUEST_TIMEOUT_MS } from "./nats_connection.ts";

/** Options of {@linkcode NatsPresence.open}. */
export interface NatsPresenceOptions {
  /** The NATS connection (the backplane's); it stays open on close. */
  readonly connection: NatsConnection;
  /**
   * The chat's name, as for the backplane: letters, digits, `-` and `_`.
   *
   * @default {"wirechat"}
   */
  readonly room?: string;
  /**
   * Whether names are claimed (`--unique-names`); without it, no names bucket is
   * made.
   *
   * @default {false}
   */
  readonly uniqueNames?: boolean;
  /** Receives each member of a node that is gone, once per node. */
  readonly gone: (node: string, member: RosterMember) => void;
  /**
   * How often this node puts its roster entry and reads the others', in
   * milliseconds.
   *
   * @default {1000}
   */
  readonly refreshMs?: number;
  /**
   * The lease: how long another node's entry may go unrefreshed before the node
   * counts as dead (its members announced gone, its claims free), in
   * milliseconds. A node stalled for less (a pause, a flood, `kill -STOP`) keeps
   * its members and their names.
   *
   * @default {15000}
   */
  readonly staleMs?: number;
  /**
   * This node lost the claim of a name one of its members holds (it was away for
   * longer than the lease, and someone else took the name meanwhile).
   *
   * @param key The name's `nameKey`.
   */
  readonly lost?: (key: string) => void;
  /**
   * How often this node refreshes its name claims, in milliseconds.
   *
   * @default {5000}
   */
  readonly claimRefreshMs?: number;
  /**
   * The buckets' age limit in seconds: an entry not refreshed for this long goes.
   *
   * @default {15}
   */
  readonly maxAgeSeconds?: number;
  /**
   * Receives one line per event (a claim lost, a node gone).
   *
   * @default {() => {}}
   */
  readonly log?: (level: LogLevel, line: string) => void;
}

// How long close waits for its deletes.
const CLOSE_TIMEOUT_MS = 1_000;
// How long changes that came during a write wait for more before they are written.
const COALESCE_MS = 50;

interface Peer {
  seenAt: number; // when its heartbeat or a chunk last arrived (local clock)
  chunks: Map<number, { revision: number; members: RosterMember[] }>;
}

function* membersOf(peer: Peer): Iterable<RosterMember> {
  for (const chunk of peer.chunks.values()) yield* chunk.members;
}

function countOf(peer: Peer): number {
  let count = 0;
  for (const chunk of peer.chunks.values()) count += chunk.members.length;
  return count;
}

const encoder = new TextEncoder();

/**
 * A {@linkcode ClusterRoster} over JetStream key-value buckets.
 *
 * @example Two nodes' rosters on one NATS
 * ```ts ignore
 * import { connect } from "@nats-io/transport-node";
 * import { NatsPresence } from "./nats_presence.ts";
 *
 * const connection = await connect({ servers: ["nats://127.0.0.1:4222"] });
 * const roster = await NatsPresence.open({ connection, gone: () => {}, uniqueNames: true });
 * console.log(await roster.claim("alice"));
 * roster.update([{ id: 1, name: "alice" }]);
 * await roster.close();
 * await connection.close();
 * ```
 */
export class NatsPresence implements ClusterRoster {
  /** This node's id: the key of its roster entry and the value of its claims. */
  readonly node: string = crypto.randomUUID().slice(0, 13);
  readonly #roster: KV;
  readonly #claims: NameClaims | undefined;
  readonly #options: NatsPresenceOptions;
  readonly #refreshMs: number;
  readonly #staleMs: number;
  readonly #claimRefreshMs: number;
  readonly #log: (level: LogLevel, line: string) => void;
  readonly #peers = new Map<string, Peer>();
  // This node's members in chunks; the list given since the last tick, if any.
  readonly #own = new OwnChunks();
  #pending: readonly RosterMember[] | (() => readonly RosterMember[]) | undefined;
  // Chunk index to the revision of our last put of it (deleted ones are not here).
  readonly #written = new Map<number, number>();
  #failed = false;
  #skippedLogged = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #tick: Promise<void> | undefined;
  #lastRefreshAt = 0;
  #beats = 0;
  #watcher: AsyncIterable<KvWatchEntry> & { stop(): void } | undefined;
  #watching: Promise<void> | undefined;
  #lastClaimRefresh = Date.now();
  #dirty = true;
  #closed = false;

  private constructor(options: NatsPresenceOptions, roster: KV, names: KV | undefined) {
    this.#options = options;
    this.#roster = roster;
    this.#claims = names === undefined
      ? undefined
      : new NameClaims(names, this.node, options.log ?? (() => {}), options.lost);
    this.#refreshMs = options.refreshMs ?? 1_000;
    this.#staleMs = options.staleMs ?? 15_000;
    this.#claimRefreshMs = options.claimRefreshMs ?? Math.min(5_000, this.#staleMs / 3);
    this.#log = options.log ?? (() => {});
  }

  /**
   * Opens (or creates) the buckets, reads the other nodes' entries and puts this
   * node's (empty) one.
   *
   * @param options The connection, room, pace and callbacks.
   * @returns The roster, refreshing itself until {@linkcode NatsPresence.close}.
   * @throws {Error} When the buckets cannot be opened.
   */
  static async open(options: NatsPresenceOptions): Promise<NatsPresence> {
    const room = options.room ?? "wirechat";
    // The buckets' age limit is only the last resort for claims nobody deletes: never
    // shorter than the lease, or a stalled node would lose what the lease keeps.
    const ttl = Math.max((options.maxAgeSeconds ?? 15) * 1000, options.staleMs ?? 15_000);
    const kvm = new Kvm(options.connection);
    // No age limit: an entry lives until its node deletes it, or another node finds
    // that node dead.
    const roster = await kvm.create(`wirechat_${room}_nodes`, { history: 1 });
    const names = options.uniqueNames === true
      ? await kvm.create(`wirechat_${room}_names`, { history: 1, ttl })
      : undefined;
    const presence = new NatsPresence(options, roster, names);
    const watcher = await roster.watch();
    presence.#watcher = watcher;
    presence.#watching = presence.#watch(watcher);
    await presence.#refresh();
    presence.#schedule();
    return presence;
  }

  /**
   * Claims a name key: `create` in the names bucket, which fails if another node
   * holds it.
   *
   * @param key One of the name's `nameKeys`.
   * @returns `true` when claimed, `false` when taken.
   * @throws {Error} When NATS does not answer.
   */
  claim(key: string): Promise<boolean> {
    if (this.#claims === undefined || this.#closed) return Promise.resolve(true);
    return this.#claims.claim(key);
  }

  /**
   * Releases a claim of this node (a delete that only applies while the claim is
   * still ours).
   *
   * @param key One of the name's `nameKeys`.
   */
  release(key: string): void {
    if (!this.#closed) this.#claims?.release(key);
  }

  /**
   * This node's members changed: the chunks that changed are put at once (or after
   * the write in flight).
   *
   * @param members This node's members, or how to list them when the chunks are
   * next written (once however many changes came meanwhile).
   */
  update(members: readonly RosterMember[] | (() => readonly RosterMember[])): void {
    this.#pending = members;
    this.#dirty = true;
    if (this.#closed) return;
    if (this.#tick === undefined) {
      clearTimeout(this.#timer);
      this.#run();
    }
  }

  /** The names of the members of the other live nodes, as last read. */
  *others(): Iterable<string> {
    for (const peer of this.#peers.values()) {
      for (const member of membersOf(peer)) yield member.name;
    }
  }

  /**
   * Stops refreshing and deletes this node's roster entry and claims (waiting one
   * second at most); the connection stays open.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#tick;
    this.#watcher?.stop();
    const deletes = [this.#roster.delete(BEAT_PREFIX + this.node)];
    for (const index of this.#written.keys()) {
      deletes.push(this.#roster.delete(chunkKey(this.node, index)));
    }
    deletes.push(...this.#claims?.releaseAll() ?? []);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(deletes),
      new Promise((resolve) => timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
    await this.#watching;
  }

  #schedule(): void {
    if (this.#closed) return;
    // After a failure, the next try waits its turn: no loop of timeouts. Changes that
    // came during a write go out together a little later: in a login storm, the
    // list is taken and compared a few times a second, not once a login.
    const delay = this.#dirty && !this.#failed ? COALESCE_MS : this.#refreshMs;
    this.#timer = setTimeout(() => this.#run(), delay);
  }

  #run(): void {
    this.#failed = false;
    this.#tick = this.#refresh().catch((error) => {
      this.#failed = true;
      this.#log("warn", `presence: NATS roster not refreshed: ${oneLineMessage(error)}`);
    }).finally(() => {
      this.#tick = undefined;
      this.#schedule();
    });
  }

  // Puts the chunks of this node's members that changed, or else its heartbeat;
  // judges the others by theirs, and refreshes the claims when due.
  async #refresh(): Promise<void> {
    this.#dirty = false;
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#pending = undefined;
      this.#own.set(typeof pending === "function" ? pending() : pending);
    }
    if (!await this.#writeChunks()) {
      await this.#roster.put(BEAT_PREFIX + this.node, encoder.encode(String(++this.#beats)), {
        timeout: REQUEST_TIMEOUT_MS,
      });
    }
    await this.#judge();
    if (Date.now() - this.#lastClaimRefresh >= this.#claimRefreshMs) {
      this.#lastClaimRefresh = Date.now();
      await this.#claims?.refresh();
    }
  }

  // Puts each changed chunk at once (an emptied one's key is deleted); one that
  // fails is written again at the next tick. Whether anything was put.
  async #writeChunks(): Promise<boolean> {
    const writes = this.#own.takeChanged();
    if (writes.length === 0) return false;
    const results = await Promise.allSettled(writes.map(async ({ index, value }) => {
      const key = chunkKey(this.node, index);
      if (value === undefined) {
        await this.#roster.delete(key);
        this.#written.delete(index);
      } else {
        this.#written.set(
          index,
          await this.#roster.put(key, value, { timeout: REQUEST_TIMEOUT_MS }),
        );
      }
    }));
    let failure: unknown;
    results.forEach((result, at) => {
      if (result.status === "fulfilled") return;
      failure ??= result.reason;
      this.#own.touch(writes[at]!.index);
      this.#dirty = true;
    });
    if (failure !== undefined) throw failure;
    return true;
  }

  // Reads the bucket's changes as they come: chunks and heartbeats of other nodes.
  async #watch(watcher: AsyncIterable<KvWatchEntry>): Promise<void> {
    try {
      for await (const entry of watcher) {
        if (this.#closed) break;
        const key = parseRosterKey(entry.key);
        if (key.kind === "unknown") {
          this.#skipped(`the entry ${JSON.stringify(entry.key)}`);
          continue;
        }
        if (key.node === this.node) {
          // A chunk deleted by a node that found this one dead (it stalled past the
          // lease), not by this node: put again.
          if (
            key.kind === "chunk" && entry.operation !== "PUT" && this.#own.holds(key.index) &&
            entry.revision > (this.#written.get(key.index) ?? 0)
          ) {
            this.#own.touch(key.index);
            this.#dirty = true;
          }
          continue;
        }
        const peer = this.#peers.get(key.node);
        if (entry.operation !== "PUT") {
          if (peer === undefined) continue;
          if (key.kind === "chunk") {
            peer.chunks.delete(key.index); // emptied: its members left
            continue;
          }
          this.#peers.delete(key.node); // its heartbeat deleted: it left
          await this.#gone(key.node, peer, false);
          continue;
        }
        const seen = peer ?? { seenAt: 0, chunks: new Map() };
        seen.seenAt = Date.now();
        if (peer === undefined) this.#peers.set(key.node, seen);
        if (key.kind === "beat") continue;
        const members = parseChunk(entry.value);
        if (members === undefined) {
          this.#skipped(`a chunk of node ${key.node} that is not a member list`);
          continue;
        }
        seen.chunks.set(key.index, { revision: entry.revision, members });
      }
    } catch (error) {
      if (!this.#closed) {
        this.#log("warn", `presence: watching the roster failed: ${oneLineMessage(error)}`);
      }
    }
  }

  // An entry this version cannot read: skipped, logged once.
  #skipped(what: string): void {
    if (this.#skippedLogged) return;
    this.#skippedLogged = true;
    this.#log(
      "warn",
      `presence: skipped ${what} in the roster bucket: every node of a cluster must run ` +
        `the same wirechat version (further ones are not logged)`,
    );
  }

  // Nodes whose heartbeat is older than the lease are gone, unless the blind spot
  // is ours (this node stalled, or NATS away): then nobody is judged by it.
  async #judge(): Promise<void> {
    const now = Date.now();
    const blind = this.#lastRefreshAt !== 0 && now - this.#lastRefreshAt > this.#staleMs;
    this.#lastRefreshAt = now;
    for (const [node, peer] of this.#peers) {
      if (this.#closed) return;
      if (blind) {
        peer.seenAt = now;
        continue;
      }
      if (now - peer.seenAt < this.#staleMs) continue;
      this.#peers.delete(node);
      await this.#gone(node, peer, true);
    }
  }

  // A node is gone: its members are reported; a dead one's entry and claims go.
  async #gone(node: string, peer: Peer, dead: boolean): Promise<void> {
    this.#log(
      "info",
      `presence: node ${node} ${dead ? "stopped refreshing" : "left"} with ${
        countOf(peer)
      } members`,
    );
    for (const member of membersOf(peer)) this.#options.gone(node, member);
    if (!dead) return;
    await Promise.all(
      [...peer.chunks].map(([index, chunk]) =>
        this.#roster.delete(chunkKey(node, index), { previousSeq: chunk.revision }).catch(() => {})
      ),
    );
    await this.#roster.delete(BEAT_PREFIX + node).catch(() => {});
    await this.#claims?.dropNode(node, membersOf(peer));
  }
}
