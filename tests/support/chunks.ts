/**
 * Ways to cut a byte stream into chunks, and to join chunks back.
 *
 * @module
 */

import type { Random } from "./random.ts";

/** Joins byte arrays into one: the project's one `concat`. */
export { concatBytes as concat } from "../../io/write_all.ts";

/** `bytes` cut at the given offsets (ascending, inside the array). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of offsets) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** `bytes` cut into chunks of random sizes from 1 to `maxChunk`. */
export function randomSplit(bytes: Uint8Array, random: Random, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + random.int(maxChunk);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** `bytes` cut into 1-byte chunks. */
export function byteByByte(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}
