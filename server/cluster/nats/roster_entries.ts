/**
 * What the presence buckets hold, as keys and values: a name's claim key and its
 * inverse, a node's members, and the error of a claim already taken.
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

/** A node's members, from its entry; nothing it cannot read. */
export function parseMembers(value: Uint8Array): RosterMember[] {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(value));
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((member): member is RosterMember =>
      typeof member?.id === "number" && typeof member?.name === "string"
    );
  } catch {
    return [];
  }
}

/** Whether a create or compare-and-set was refused because the key holds another revision. */
export function isTaken(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}
