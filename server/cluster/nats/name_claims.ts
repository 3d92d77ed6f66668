/**
 * The name claims of one node in the names bucket (`--unique-names`): one entry
 * per key of a claimed name (key: the hex of the UTF-8 of one of its `nameKeys`,
 * value: the node's id), made with `create`, which fails when the key exists, so
 * claims are atomic across nodes. nats-server 2.9 has no per-key TTL: the bucket's
 * age limit expires the claims of a dead node, and each node writes its own again
 * (compare-and-set on its last revision) with {@linkcode NameClaims.refresh}.
 *
 * @module
 */

import type { KV } from "@nats-io/kv";
import { nameKeys } from "../../../protocol/skeleton.ts";
import type { RosterMember } from "../../ops/presence.ts";
import type { LogLevel } from "../../options.ts";
import { claimKey, fromClaimKey, isTaken } from "./roster_entries.ts";
import { REQUEST_TIMEOUT_MS } from "./nats_connection.ts";

const decoder = new TextDecoder();

/** One node's claims in the names bucket. */
export class NameClaims {
  readonly #names: KV;
  readonly #node: string;
  readonly #log: (level: LogLevel, line: string) => void;
  readonly #lost: ((key: string) => void) | undefined;
  // Bucket key to the revision of our last write.
  readonly #claims = new Map<string, number>();

  /**
   * @param names The names bucket.
   * @param node This node's id, the value of its claims.
   * @param log Receives one line when a claim is lost.
   * @param lost Receives the name key of a claim lost while this node was away.
   */
  constructor(
    names: KV,
    node: string,
    log: (level: LogLevel, line: string) => void,
    lost: ((key: string) => void) | undefined,
  ) {
    this.#names = names;
    this.#node = node;
    this.#log = log;
    this.#lost = lost;
  }

  /**
   * Claims a name key.
   *
   * @returns `true` when claimed, `false` when another node holds it.
   * @throws {Error} When NATS does not answer.
   */
  async claim(key: string): Promise<boolean> {
    const bucketKey = claimKey(key);
    try {
      this.#claims.set(bucketKey, await this.#names.create(bucketKey, this.#node));
      return true;
    } catch (error) {
      if (isTaken(error)) return false;
      throw error;
    }
  }

  /** Releases a claim of this node (a delete that applies only while it is ours). */
  release(key: string): void {
    const bucketKey = claimKey(key);
    const revision = this.#claims.get(bucketKey);
    if (revision === undefined) return;
    this.#claims.delete(bucketKey);
    this.#names.delete(bucketKey, { previousSeq: revision }).catch(() => {});
  }

  /** Deletes every claim of this node; the deletes, to wait for. */
  releaseAll(): Promise<void>[] {
    const deletes: Promise<void>[] = [];
    for (const [key, revision] of this.#claims) {
      deletes.push(this.#names.delete(key, { previousSeq: revision }));
    }
    this.#claims.clear();
    return deletes;
  }

  /** Deletes the claims a dead node held for its members (those still its own). */
  async dropNode(node: string, members: Iterable<RosterMember>): Promise<void> {
    for (const member of members) {
      for (const key of nameKeys(member.name).map(claimKey)) {
        const entry = await this.#names.get(key).catch(() => null);
        if (entry?.operation === "PUT" && decoder.decode(entry.value) === node) {
          await this.#names.delete(key, { previousSeq: entry.revision }).catch(() => {});
        }
      }
    }
  }

  /**
   * Writes each claim again (compare-and-set on our last revision), so that the
   * bucket's age limit never takes it while this node lives; a claim expired and
   * taken by another node meanwhile is reported lost.
   *
   * @throws {Error} When NATS does not answer.
   */
  async refresh(): Promise<void> {
    const names = this.#names;
    for (const [key, revision] of this.#claims) {
      let next: number;
      try {
        next = await names.update(key, this.#node, revision, REQUEST_TIMEOUT_MS);
      } catch (error) {
        if (!isTaken(error)) throw error;
        // Expired while NATS was away: claim it again, unless someone else has.
        try {
          next = await names.create(key, this.#node);
        } catch (again) {
          if (!isTaken(again)) throw again;
          this.#claims.delete(key);
          this.#log(
            "warn",
            "presence: a name claim of this node was lost while it was away; its holder goes",
          );
          this.#lost?.(fromClaimKey(key));
          continue;
        }
      }
      if (this.#claims.has(key)) this.#claims.set(key, next);
    }
  }
}
