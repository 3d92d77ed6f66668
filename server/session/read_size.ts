/**
 * How much a session reads at a time: little while a client is quiet, more while
 * it sends in bursts.
 *
 * @module
 */

// Idle connections dominate a chat server's memory: each keeps one read pending, and
// that read holds its buffer. Reads start small and grow fourfold while they fill the
// buffer; a read that does not fill it means the client paused, and the next read
// goes back to at most SETTLED_READ_SIZE, so a connection that sent a burst and went
// quiet costs what an idle one does.
/** The first read's size, and the least. */
export const MIN_READ_SIZE = 64;
const SETTLED_READ_SIZE = 1024;
const MAX_READ_SIZE = 64 * 1024;

/**
 * The size of the next read, after one of `read` bytes into a buffer of `size`.
 *
 * @example
 * ```ts
 * import { nextReadSize } from "./read_size.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nextReadSize(64, 64), 256); // a full read: grow
 * assert.equal(nextReadSize(65536, 10), 64); // the client paused: shrink
 * ```
 */
export function nextReadSize(size: number, read: number): number {
  if (read === size) return size < MAX_READ_SIZE ? size * 4 : size;
  let next = MIN_READ_SIZE;
  while (next <= read && next < SETTLED_READ_SIZE) next *= 4;
  return Math.min(next, size);
}
