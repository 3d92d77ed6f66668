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
// quiet costs at most that. The read right after a growth usually brings the tail of
// what filled the buffer: a buffer of up to SETTLED_READ_SIZE keeps its size then, or
// a client that sends one frame a little over 64 bytes at a time would cost two reads
// and two new buffers per frame. SETTLED_READ_SIZE is 4 KiB: with 1 KiB, a sender
// whose bursts were a little over 1 KiB (16 messages of 64 bytes) went 1 KiB, 4 KiB,
// a tail, 256 bytes, 1 KiB..., twice the reads of a 4 KiB buffer, and one node
// relayed fan-out to 100 at three quarters of the rate (bench/README.md).
/** The first read's size, and the least. */
export const MIN_READ_SIZE = 64;
const SETTLED_READ_SIZE = 4096;
const MAX_READ_SIZE = 64 * 1024;

/**
 * The size of the next read, after one of `read` bytes into a buffer of `size`.
 *
 * @param size The size of the buffer just read into.
 * @param read How many bytes the read brought.
 * @param grown Whether `size` was grown after the read before it (which filled its buffer).
 * @returns The size of the buffer for the next read.
 *
 * @example
 * ```ts
 * import { nextReadSize } from "./read_size.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nextReadSize(64, 64), 256); // a full read: grow
 * assert.equal(nextReadSize(65536, 10), 64); // the client paused: shrink
 * assert.equal(nextReadSize(256, 4, true), 256); // the tail of the frame that filled 64
 * ```
 */
export function nextReadSize(size: number, read: number, grown = false): number {
  if (read === size) return size < MAX_READ_SIZE ? size * 4 : size;
  if (grown && size <= SETTLED_READ_SIZE) return size;
  let next = MIN_READ_SIZE;
  while (next <= read && next < SETTLED_READ_SIZE) next *= 4;
  return Math.min(next, size);
}
