/**
 * This node's members as the nodes bucket holds them: split into chunks of
 * bounded size (at most {@linkcode CHUNK_MEMBERS} members and about
 * {@linkcode CHUNK_BYTES} bytes each), so that a join or a leave re-puts one chunk,
 * not the whole list, and no value comes near NATS's `max_payload` whatever the
 * number of members. Pure: no I/O.
 *
 * @module
 */

import type { RosterMember } from "../../ops/presence.ts";
import { encodeChunk, memberBytes } from "./roster_entries.ts";

/** The most members one chunk holds. */
export const CHUNK_MEMBERS = 128;
/** A chunk takes no new member once its value is this long (bytes). */
export const CHUNK_BYTES = 8 * 1024;

interface Chunk {
  readonly members: Map<number, RosterMember>;
  bytes: number;
}

/** A chunk to write: its value, or `undefined` when it is empty (its key goes). */
export interface ChunkWrite {
  /** The chunk's index: its key is `m.<node>.<index>`. */
  readonly index: number;
  /** The chunk's value, or `undefined` to delete its key. */
  readonly value: Uint8Array | undefined;
}

/**
 * This node's members in chunks: {@linkcode OwnChunks.set} takes the whole list
 * and marks the chunks it changed; {@linkcode OwnChunks.takeChanged} gives them to
 * write. A newcomer goes to the first chunk with room, a member stays in its chunk
 * until it leaves.
 *
 * @example A join changes one chunk
 * ```ts
 * import { OwnChunks } from "./roster_chunks.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks = new OwnChunks();
 * const members = Array.from({ length: 300 }, (_, i) => ({ id: i, name: `user${i}` }));
 * chunks.set(members);
 * assert.deepEqual(chunks.takeChanged().map((write) => write.index), [0, 1, 2]);
 * chunks.set(members.filter((member) => member.id !== 5));
 * assert.deepEqual(chunks.takeChanged().map((write) => write.index), [0]);
 * ```
 */
export class OwnChunks {
  readonly #maxMembers: number;
  readonly #maxBytes: number;
  readonly #chunks: Chunk[] = [];
  // Member id to the index of its chunk.
  readonly #where = new Map<number, number>();
  readonly #changed = new Set<number>();
  // No chunk below this index has room.
  #fillFrom = 0;

  /**
   * @param maxMembers The most members of a chunk.
   * @param maxBytes A chunk takes no new member once its value is this long.
   */
  constructor(maxMembers: number = CHUNK_MEMBERS, maxBytes: number = CHUNK_BYTES) {
    this.#maxMembers = maxMembers;
    this.#maxBytes = maxBytes;
  }

  /** How many members are held. */
  get size(): number {
    return this.#where.size;
  }

  /**
   * This node's members now: those gone leave their chunks, newcomers take a
   * place; each chunk touched is marked changed.
   *
   * @param members Every member of this node (each id once).
   */
  set(members: readonly RosterMember[]): void {
    const present = new Set<number>();
    const newcomers: RosterMember[] = [];
    for (const member of members) {
      const index = this.#where.get(member.id);
      if (index !== undefined) {
        if (this.#chunks[index]!.members.get(member.id)!.name === member.name) {
          present.add(member.id);
          continue;
        }
        this.#remove(member.id, index); // the same id under another name: a new member
      }
      present.add(member.id);
      newcomers.push(member);
    }
    for (const [id, index] of this.#where) {
      if (!present.has(id)) this.#remove(id, index);
    }
    for (const member of newcomers) this.#add(member);
  }

  /** Marks a chunk to write again (its write failed, or another node deleted its key). */
  touch(index: number): void {
    if (index < this.#chunks.length) this.#changed.add(index);
  }

  /** Whether the chunk holds anyone. */
  holds(index: number): boolean {
    return (this.#chunks[index]?.members.size ?? 0) > 0;
  }

  /** The chunks changed since the last call, in order, and forgets them. */
  takeChanged(): ChunkWrite[] {
    const writes: ChunkWrite[] = [];
    for (const index of [...this.#changed].sort((a, b) => a - b)) {
      const members = this.#chunks[index]!.members;
      writes.push({ index, value: members.size === 0 ? undefined : encodeChunk(members.values()) });
    }
    this.#changed.clear();
    return writes;
  }

  /** The indexes of every chunk that holds anyone. */
  *indexes(): Iterable<number> {
    for (let index = 0; index < this.#chunks.length; index++) {
      if (this.holds(index)) yield index;
    }
  }

  #remove(id: number, index: number): void {
    const chunk = this.#chunks[index]!;
    chunk.bytes -= memberBytes(chunk.members.get(id)!);
    chunk.members.delete(id);
    this.#where.delete(id);
    this.#changed.add(index);
    if (index < this.#fillFrom) this.#fillFrom = index;
  }

  #add(member: RosterMember): void {
    let index = this.#fillFrom;
    for (; index < this.#chunks.length; index++) {
      const chunk = this.#chunks[index]!;
      if (chunk.members.size < this.#maxMembers && chunk.bytes < this.#maxBytes) break;
    }
    this.#fillFrom = index;
    if (index === this.#chunks.length) this.#chunks.push({ members: new Map(), bytes: 2 });
    const chunk = this.#chunks[index]!;
    chunk.members.set(member.id, member);
    chunk.bytes += memberBytes(member);
    this.#where.set(member.id, index);
    this.#changed.add(index);
  }
}
