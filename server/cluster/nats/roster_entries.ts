/**
 * What the presence buckets hold, as keys and values: a name's claim key and its
 * inverse, the keys of a node's heartbeat and member chunks, a chunk's members,
 * and the error of a claim already taken.
 *
 * @module
 */

import type { RosterMember } from "../../ops/presence.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The key of a name key in the names bucket: the hex of its UTF-8 bytes (a valid
 * key whatever the name holds).
 *
 * @example
 * ```ts
 * import { claimKey } from "./roster_entries.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(claimKey("alice"), "616c696365");
 * ```
 *
 * @param key One of a name's `nameKeys`.
 * @returns The bucket key.
 */
export function claimKey(key: string): string {
  let hex = "";
  for (const byte of encoder.encode(key)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** The name key behind a bucket key: the inverse of {@linkcode claimKey}. */
export function fromClaimKey(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let at = 0; at < bytes.length; at++) bytes[at] = parseInt(hex.slice(at * 2, at * 2 + 2), 16);
  return decoder.decode(bytes);
}

/** The prefix of a node's heartbeat key in the nodes bucket: `beat.<node>`. */
export const BEAT_PREFIX = "beat.";
/** The prefix of a node's member chunk keys in the nodes bucket: `m.<node>.<index>`. */
export const CHUNK_PREFIX = "m.";

/** The key of chunk `index` of `node`'s members. */
export function chunkKey(node: string, index: number): string {
  return `${CHUNK_PREFIX}${node}.${index}`;
}

/** What a key of the nodes bucket names. */
export type RosterKey =
  | { readonly kind: "beat"; readonly node: string }
  | { readonly kind: "chunk"; readonly node: string; readonly index: number }
  | { readonly kind: "unknown" };

/**
 * Reads a key of the nodes bucket. A key of neither shape is `unknown`: the
 * whole-roster entry of an older wirechat (its key was the bare node id), or
 * anything else.
 *
 * @example
 * ```ts
 * import { parseRosterKey } from "./roster_entries.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseRosterKey("m.4f2a-9c.3"), { kind: "chunk", node: "4f2a-9c", index: 3 });
 * assert.deepEqual(parseRosterKey("beat.4f2a-9c"), { kind: "beat", node: "4f2a-9c" });
 * assert.deepEqual(parseRosterKey("4f2a-9c"), { kind: "unknown" });
 * ```
 */
export function parseRosterKey(key: string): RosterKey {
  if (key.startsWith(BEAT_PREFIX)) return { kind: "beat", node: key.slice(BEAT_PREFIX.length) };
  if (!key.startsWith(CHUNK_PREFIX)) return { kind: "unknown" };
  const dot = key.lastIndexOf(".");
  const index = Number(key.slice(dot + 1));
  if (dot <= CHUNK_PREFIX.length || !Number.isSafeInteger(index) || index < 0) {
    return { kind: "unknown" };
  }
  return { kind: "chunk", node: key.slice(CHUNK_PREFIX.length, dot), index };
}

/**
 * One chunk's members as its value: JSON, an array of `[id, name]` pairs.
 *
 * @example
 * ```ts
 * import { encodeChunk, parseChunk } from "./roster_entries.ts";
 * import assert from "node:assert/strict";
 *
 * const value = encodeChunk([{ id: 7, name: "alice" }]);
 * assert.equal(new TextDecoder().decode(value), '[[7,"alice"]]');
 * assert.deepEqual(parseChunk(value), [{ id: 7, name: "alice" }]);
 * ```
 */
export function encodeChunk(members: Iterable<RosterMember>): Uint8Array {
  const pairs: [number, string][] = [];
  for (const member of members) pairs.push([member.id, member.name]);
  return encoder.encode(JSON.stringify(pairs));
}

/**
 * A chunk's members, from its value; `undefined` for a value that is not a whole
 * chunk (garbage, or the member list of an older wirechat: objects, not pairs).
 */
export function parseChunk(value: Uint8Array): RosterMember[] | undefined {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(value));
    if (!Array.isArray(parsed)) return undefined;
    const members: RosterMember[] = [];
    for (const pair of parsed) {
      if (!Array.isArray(pair) || typeof pair[0] !== "number" || typeof pair[1] !== "string") {
        return undefined;
      }
      members.push({ id: pair[0], name: pair[1] });
    }
    return members;
  } catch {
    return undefined;
  }
}

/** The bytes one member adds to its chunk's value: `[id,"name"]` and a comma. */
export function memberBytes(member: RosterMember): number {
  return encoder.encode(JSON.stringify([member.id, member.name])).length + 1;
}

/** Whether a create or compare-and-set was refused because the key holds another revision. */
export function isTaken(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}
