/**
 * Whether a session's socket refuses data, as the room asks at every commit.
 *
 * @module
 */

/**
 * A write in flight this long means the client's socket takes no data: it is
 * refusing, as much as after a partial write.
 */
export const STALL_MS = 250;

/**
 * A session's writes as the room sees them: whether one is in flight, whether the
 * last was partial, and how long one has been in flight, timed from the first
 * {@linkcode WriteWatch.refusing} call that saw it (the room asks at every commit),
 * so a stall counts from about its start, never earlier: reading the clock at
 * every write cost ping-pong a twentieth of its CPU.
 */
export class WriteWatch {
  // 0: no write in flight; -1: one in flight, not yet timed; else when first seen.
  #startedAt = 0;
  #partial = false;

  /** Whether a write is in flight, or the last one was partial. */
  get busy(): boolean {
    return this.#startedAt !== 0 || this.#partial;
  }

  /** A write starts. */
  started(): void {
    this.#startedAt = -1;
  }

  /** The write took `written` of its `size` bytes. */
  wrote(written: number, size: number): void {
    this.#partial = written < size;
  }

  /** The write ended, done or failed. */
  ended(): void {
    this.#startedAt = 0;
  }

  /**
   * Whether the socket refuses data: the last write was partial, or one has been in
   * flight for {@linkcode STALL_MS} or more.
   *
   * @param now The time now, from `performance.now()`.
   */
  refusing(now: number): boolean {
    if (this.#partial) return true;
    const started = this.#startedAt;
    if (started === 0) return false;
    if (started < 0) {
      this.#startedAt = now;
      return false;
    }
    return now - started >= STALL_MS;
  }
}
