/**
 * The outbound side of a connection: a queue of encoded frames with at most one
 * write in flight.
 *
 * @module
 */

import { type ByteWriter, writeAll } from "./write_all.ts";

// Frames queued while a write is in flight are joined into one write, up to this size.
const MAX_BATCH_SIZE = 64 * 1024;

interface Pending {
  readonly frame: Uint8Array;
  readonly written: PromiseWithResolvers<void>;
}

/**
 * Writes frames to a connection in order, with at most one `write` in flight.
 * Frames queued meanwhile are joined into the next write; a partial write is
 * carried on until every byte is written. After a failure every queued and later
 * frame fails with the same error.
 */
export class FrameWriter {
  readonly #conn: ByteWriter;
  readonly #queue: Pending[] = [];
  #writing: Promise<void> | undefined;
  #error: unknown;
  #failed = false;

  /** @param conn Where the frames go. */
  constructor(conn: ByteWriter) {
    this.#conn = conn;
  }

  /**
   * Queues a frame.
   *
   * @param frame The encoded frame; it must not change until written.
   * @returns A promise that resolves once the whole frame is written, or rejects
   * with the write's error.
   */
  write(frame: Uint8Array): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    const written = Promise.withResolvers<void>();
    this.#queue.push({ frame, written });
    this.#writing ??= this.#drain();
    return written.promise;
  }

  /**
   * Waits until every frame queued so far is written or has failed.
   *
   * @returns A promise that never rejects.
   */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      try {
        await writeAll(this.#conn, joinFrames(batch));
      } catch (error) {
        this.#fail(error, batch);
        break;
      }
      for (const { written } of batch) written.resolve();
    }
    this.#writing = undefined;
  }

  #takeBatch(): Pending[] {
    let size = 0;
    let count = 0;
    while (count < this.#queue.length && (count === 0 || size < MAX_BATCH_SIZE)) {
      size += this.#queue[count]!.frame.length;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  #fail(error: unknown, batch: Pending[]): void {
    this.#failed = true;
    this.#error = error;
    for (const { written } of [...batch, ...this.#queue.splice(0)]) written.reject(error);
  }
}

function joinFrames(batch: readonly Pending[]): Uint8Array {
  if (batch.length === 1) return batch[0]!.frame;
  const joined = new Uint8Array(batch.reduce((size, { frame }) => size + frame.length, 0));
  let at = 0;
  for (const { frame } of batch) {
    joined.set(frame, at);
    at += frame.length;
  }
  return joined;
}
