/**
 * The outbound side of a connection: a queue of encoded frames with at most one
 * write in flight.
 *
 * @module
 */

import { type ByteWriter, concatBytes } from "./write_all.ts";

// Frames queued while a write is in flight are joined into one write, up to this size.
const MAX_BATCH_SIZE = 64 * 1024;

interface Pending {
  readonly frame: Uint8Array;
  readonly written: PromiseWithResolvers<void>;
}

/** How long a {@linkcode FrameWriter} waits for a write to make progress. */
export interface FrameWriterOptions {
  /**
   * How long one `write` may take without writing a byte, in milliseconds; 0
   * waits for ever.
   *
   * @default {0}
   */
  stallTimeout?: number;
  /**
   * Makes the error a stalled write fails with; the writer fails as on any
   * error. The caller should then close the connection, which ends the write
   * still in flight.
   *
   * @default {() => new Error("Write stalled")}
   */
  onStall?: () => Error;
}

/**
 * Writes frames to a connection in order, with at most one `write` in flight.
 * Frames queued meanwhile are joined into the next write; a partial write is
 * carried on until every byte is written. A write that makes no progress for
 * `stallTimeout` milliseconds fails. After a failure every queued and later
 * frame fails with the same error.
 */
export class FrameWriter {
  readonly #conn: ByteWriter;
  readonly #queue: Pending[] = [];
  readonly #stallTimeout: number;
  readonly #onStall: () => Error;
  #writing: Promise<void> | undefined;
  // The connection's own write, which may outlive a stalled drain.
  #inFlight: Promise<unknown> = Promise.resolve();
  #error: unknown;
  #failed = false;

  /**
   * @param conn Where the frames go.
   * @param options How long a write may stall.
   */
  constructor(conn: ByteWriter, options: FrameWriterOptions = {}) {
    this.#conn = conn;
    this.#stallTimeout = options.stallTimeout ?? 0;
    this.#onStall = options.onStall ?? (() => new Error("Write stalled"));
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
    await this.#inFlight;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      try {
        await this.#writeAll(concatBytes(batch.map(({ frame }) => frame)));
      } catch (error) {
        this.#fail(error, batch);
        break;
      }
      for (const { written } of batch) written.resolve();
    }
    this.#writing = undefined;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.#writeSome(bytes.subarray(at));
  }

  // One write of the connection, raced against the stall timeout.
  async #writeSome(bytes: Uint8Array): Promise<number> {
    const writing = this.#conn.write(bytes);
    this.#inFlight = writing.catch(() => {});
    if (this.#stallTimeout <= 0) return await writing;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#onStall()), this.#stallTimeout);
    });
    try {
      return await Promise.race([writing, stalled]);
    } finally {
      clearTimeout(timer);
    }
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
