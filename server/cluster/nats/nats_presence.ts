/**
 * Presence across a cluster, over two JetStream key-value buckets on the
 * backplane's NATS connection:
 *
 * - `wirechat_<room>_nodes`: per node, its members as JSON (key: the node's id),
 *   put when they change, and a heartbeat (key `beat.<id>`), a few bytes put every
 *   `refreshMs`. Every node watches the bucket, so what it reads grows with the
 *   changes, not with the members: the union of the other entries is what `/who`
 *   adds to the local members. An entry deleted (a node shut down) or a heartbeat
 *   missing for `staleMs`, the lease (a node died), means its node is gone: its
 *   members are reported once to the caller, which announces their leaves with a
 *   message id of their own, so that several nodes noticing store one notice.
 * - `wirechat_<room>_names` (`--unique-names`): one entry per key of a claimed name (key: the
 *   hex of the UTF-8 of one of its `nameKeys`, value: the node's id), made with `create`,
 *   which fails when the key exists: claims are atomic. nats-server 2.9 has no
 *   per-key TTL, so the bucket's age limit (`maxAgeSeconds`) expires the claims of
 *   a dead node, and each node refreshes its own every `claimRefreshMs` with a
 *   compare-and-set `update`. A node that sees another one gone also deletes that
 *   node's claims at once.
 *
 * The server imports this module only for `--nats`. Requires `--allow-net` to the
 * NATS servers.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm, type KvWatchEntry } from "@nats-io/kv";
import { nameKeys } from "../../../protocol/skeleton.ts";
import type { ClusterRoster, RosterMember } from "../../ops/presence.ts";
import type { LogLevel } from "../../options.ts";
import { claimKey, fromClaimKey, isTaken, parseMembers } from "./roster_entries.ts";

export { claimKey } from "./roster_entries.ts";
import { oneLineMessage } from "../../../cli/error_message.ts";

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

// How long a key-value call waits for its answer.
const CALL_TIMEOUT_MS = 2_000;
// How long close waits for its deletes.
const CLOSE_TIMEOUT_MS = 1_000;

interface Peer {
  revision: number; // of its members entry
  seenAt: number; // when its heartbeat or members last arrived (local clock)
  members: RosterMember[];
}

// The key of a node's heartbeat in the nodes bucket.
const BEAT = "beat.";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
  readonly #names: KV | undefined;
  readonly #options: NatsPresenceOptions;
  readonly #refreshMs: number;
  readonly #staleMs: number;
  readonly #claimRefreshMs: number;
  readonly #log: (level: LogLevel, line: string) => void;
  readonly #peers = new Map<string, Peer>();
  // Claims of this node: bucket key to the revision of our last write.
  readonly #claims = new Map<string, number>();
  #members: readonly RosterMember[] = [];
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
    this.#names = names;
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
  async claim(key: string): Promise<boolean> {
    const names = this.#names;
    if (names === undefined || this.#closed) return true;
    const bucketKey = claimKey(key);
    try {
      this.#claims.set(bucketKey, await names.create(bucketKey, this.node));
      return true;
    } catch (error) {
      if (isTaken(error)) return false;
      throw error;
    }
  }

  /**
   * Releases a claim of this node (a delete that only applies while the claim is
   * still ours).
   *
   * @param key One of the name's `nameKeys`.
   */
  release(key: string): void {
    const bucketKey = claimKey(key);
    const revision = this.#claims.get(bucketKey);
    if (revision === undefined || this.#names === undefined || this.#closed) return;
    this.#claims.delete(bucketKey);
    this.#names.delete(bucketKey, { previousSeq: revision }).catch(() => {});
  }

  /**
   * This node's members changed: its roster entry is put at once.
   *
   * @param members This node's members.
   */
  update(members: readonly RosterMember[]): void {
    this.#members = members;
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
      for (const member of peer.members) yield member.name;
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
    const deletes = [this.#roster.delete(this.node), this.#roster.delete(BEAT + this.node)];
    for (const [key, revision] of this.#claims) {
      deletes.push(this.#names!.delete(key, { previousSeq: revision }));
    }
    this.#claims.clear();
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
    this.#timer = setTimeout(() => this.#run(), this.#dirty ? 0 : this.#refreshMs);
  }

  #run(): void {
    this.#tick = this.#refresh().catch((error) => {
      this.#log("warn", `presence: NATS roster not refreshed: ${oneLineMessage(error)}`);
    }).finally(() => {
      this.#tick = undefined;
      this.#schedule();
    });
  }

  // Puts this node's members when they changed and its heartbeat, judges the others
  // by theirs, and refreshes the claims when due.
  async #refresh(): Promise<void> {
    if (this.#dirty) {
      this.#dirty = false;
      await this.#roster.put(this.node, encoder.encode(JSON.stringify(this.#members)), {
        timeout: CALL_TIMEOUT_MS,
      });
    }
    await this.#roster.put(BEAT + this.node, encoder.encode(String(++this.#beats)), {
      timeout: CALL_TIMEOUT_MS,
    });
    await this.#judge();
    if (Date.now() - this.#lastClaimRefresh >= this.#claimRefreshMs) {
      this.#lastClaimRefresh = Date.now();
      await this.#refreshClaims();
    }
  }

  // Reads the bucket's changes as they come: members and heartbeats of other nodes.
  async #watch(watcher: AsyncIterable<KvWatchEntry>): Promise<void> {
    try {
      for await (const entry of watcher) {
        if (this.#closed) break;
        const beat = entry.key.startsWith(BEAT);
        const node = beat ? entry.key.slice(BEAT.length) : entry.key;
        if (node === this.node) {
          // Deleted by a node that found this one dead (it stalled past the lease):
          // put again.
          if (!beat && entry.operation !== "PUT") this.#dirty = true;
          continue;
        }
        const peer = this.#peers.get(node);
        if (entry.operation !== "PUT") {
          if (beat || peer === undefined) continue;
          this.#peers.delete(node); // its entry deleted: it left
          await this.#gone(node, peer, false);
          continue;
        }
        const seen = peer ?? { revision: 0, seenAt: 0, members: [] };
        seen.seenAt = Date.now();
        if (!beat) {
          seen.revision = entry.revision;
          seen.members = parseMembers(entry.value);
        }
        if (peer === undefined) this.#peers.set(node, seen);
      }
    } catch (error) {
      if (!this.#closed) {
        this.#log("warn", `presence: watching the roster failed: ${oneLineMessage(error)}`);
      }
    }
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
      `presence: node ${node} ${
        dead ? "stopped refreshing" : "left"
      } with ${peer.members.length} members`,
    );
    for (const member of peer.members) this.#options.gone(node, member);
    if (!dead) return;
    if (peer.revision > 0) {
      await this.#roster.delete(node, { previousSeq: peer.revision }).catch(() => {});
    }
    await this.#roster.delete(BEAT + node).catch(() => {});
    const names = this.#names;
    if (names === undefined) return;
    for (const member of peer.members) {
      for (const key of nameKeys(member.name).map(claimKey)) {
        const entry = await names.get(key).catch(() => null);
        if (entry?.operation === "PUT" && decoder.decode(entry.value) === node) {
          await names.delete(key, { previousSeq: entry.revision }).catch(() => {});
        }
      }
    }
  }

  // Writes each claim again (compare-and-set on our last revision), so that the
  // bucket's age limit never takes it while this node lives.
  async #refreshClaims(): Promise<void> {
    const names = this.#names;
    if (names === undefined) return;
    for (const [key, revision] of this.#claims) {
      let next: number;
      try {
        next = await names.update(key, this.node, revision, CALL_TIMEOUT_MS);
      } catch (error) {
        if (!isTaken(error)) throw error;
        // Expired while NATS was away: claim it again, unless someone else has.
        try {
          next = await names.create(key, this.node);
        } catch (again) {
          if (!isTaken(again)) throw again;
          this.#claims.delete(key);
          this.#log(
            "warn",
            "presence: a name claim of this node was lost while it was away; its holder goes",
          );
          this.#options.lost?.(fromClaimKey(key));
          continue;
        }
      }
      if (this.#claims.has(key)) this.#claims.set(key, next);
    }
  }
}
