/**
 * The received chunks a link holds until its session reads them.
 *
 * @module
 */

/**
 * Moves bytes from the front of `queue` into `buffer`, as many as fit; a chunk
 * cut short stays at the front with its rest.
 *
 * @example
 * ```ts
 * import { takeChunks } from "./chunk_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const queue = [new Uint8Array([1, 2]), new Uint8Array([3, 4, 5])];
 * const buffer = new Uint8Array(3);
 * assert.equal(takeChunks(queue, buffer), 3);
 * assert.deepEqual([...buffer], [1, 2, 3]);
 * assert.deepEqual(queue.map((chunk) => [...chunk]), [[4, 5]]);
 * ```
 *
 * @param queue The chunks, oldest first; changed in place.
 * @param buffer Where to copy.
 * @returns How many bytes were copied.
 */
export function takeChunks(queue: Uint8Array[], buffer: Uint8Array): number {
  let copied = 0;
  while (copied < buffer.length && queue.length > 0) {
    const head = queue[0]!;
    const count = Math.min(head.length, buffer.length - copied);
    buffer.set(count === head.length ? head : head.subarray(0, count), copied);
    copied += count;
    if (count === head.length) queue.shift();
    else queue[0] = head.subarray(count);
  }
  return copied;
}
