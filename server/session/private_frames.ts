/**
 * Frames for one client alone (answers to `/who`), each due at a position of the
 * room's log, so it goes out between the right two messages.
 *
 * @module
 */

/** Private frames a session holds at most; more are not queued. */
export const MAX_PRIVATE_FRAMES = 4;

/**
 * A session's private frames, oldest first.
 *
 * @example
 * ```ts
 * import { PrivateFrames } from "./private_frames.ts";
 * import assert from "node:assert/strict";
 *
 * const frames = new PrivateFrames();
 * assert.ok(frames.push(new Uint8Array(3), 10));
 * assert.equal(frames.dueAt, 10);
 * assert.equal(frames.wrote(2), false); // one byte left
 * assert.equal(frames.wrote(1), true); // none left
 * ```
 */
export class PrivateFrames {
  readonly #queue: { frame: Uint8Array; readonly at: number }[] = [];

  /** Whether one more would be queued. */
  get full(): boolean {
    return this.#queue.length >= MAX_PRIVATE_FRAMES;
  }

  /** The log position at which the first is due; `Infinity` when none is. */
  get dueAt(): number {
    return this.#queue[0]?.at ?? Infinity;
  }

  /** The bytes of the first still to write. */
  get head(): Uint8Array {
    return this.#queue[0]!.frame;
  }

  /** Queues `frame`, due at log position `at`; `false` when full. */
  push(frame: Uint8Array, at: number): boolean {
    if (this.full) return false;
    this.#queue.push({ frame, at });
    return true;
  }

  /**
   * `written` bytes of the first went out.
   *
   * @returns `true` when none is left.
   */
  wrote(written: number): boolean {
    const head = this.#queue[0]!;
    if (written < head.frame.length) head.frame = head.frame.subarray(written);
    else this.#queue.shift();
    return this.#queue.length === 0;
  }
}
