/**
 * The one queue of outbound bytes with at most one write in flight, for every
 * writer that must never block its caller: a client's frames to its server, a
 * terminal drawn in the background, a log written to standard error.
 *
 * @module
 */

import { type ByteWriter, concatBytes } from "./write_all.ts";

/** How a {@linkcode SerialWriter} batches its writes and waits for them. */
export interface SerialWriterOptions {
  /**
   * Chunks queued while a write is in flight are joined into the next write, up
   * to about this many bytes.
   *
   * @default {65536}
   */
  maxBatchBytes?: number;
  /**
   * Whether the first write waits for the end of the current turn of the event
   * loop, so that every chunk queued in that turn goes in one write (a log's
   * lines); otherwise the first chunk is written at once (a message).
   *
   * @default {false}
   */
  batchTurn?: boolean;
  /**
   * How long one `write` may take without writing a byte, in milliseconds; 0
   * waits for ever.
   *
   * @default {0}
   */
  stallTimeout?: number;
  /**
   * Makes the error a stalled write fails with; the writer then fails as on any
   * error. The caller should close the connection, which ends the write still
   * in flight.
   *
   * @default {() => new Error("Write stalled")}
   */
  onStall?: () => Error;
}

interface Pending {
  readonly chunk: Uint8Array;
  readonly written: PromiseWithResolvers<void> | undefined;
}

const DEFAULT_MAX_BATCH_BYTES = 64 * 1024;

/**
 * Writes chunks of bytes in order, with at most one `write` in flight: chunks
 * queued meanwhile are joined into the next write, and a partial write is
 * carried on until every byte is written. A write that makes no progress for
 * `stallTimeout` milliseconds fails. After a failure, every queued and later
 * chunk fails with the same error, and {@linkcode SerialWriter.failure}
 * resolves with it.
 *
 * @example Chunks queued during a write go out together
 * ```ts
 * import { SerialWriter } from "./serial_writer.ts";
 * import assert from "node:assert/strict";
 *
 * const writes: number[][] = [];
 * const writer = new SerialWriter({
 *   write: (bytes) => {
 *     writes.push([...bytes]);
 *     return Promise.resolve(bytes.length);
 *   },
 * });
 * writer.push(new Uint8Array([1]));
 * writer.push(new Uint8Array([2]));
 * await writer.write(new Uint8Array([3]));
 * assert.deepEqual(writes, [[1], [2, 3]]);
 * ```
 */
export class SerialWriter {
  readonly #sink: ByteWriter;
  readonly #maxBatchBytes: number;
  readonly #batchTurn: boolean;
  readonly #stallTimeout: number;
  readonly #onStall: () => Error;
  #queue: Pending[] = [];
  #held = 0;
  #writing: Promise<void> | undefined;
  // The sink's own write, which may outlive a stalled drain.
  #inFlight: Promise<unknown> = Promise.resolve();
  #error: unknown;
  #failed = false;
  readonly #failure = Promise.withResolvers<unknown>();

  /**
   * @param sink Where the bytes go: a connection, `Deno.stdout`, standard error.
   * @param options Batching and how long a write may stall.
   */
  constructor(sink: ByteWriter, options: SerialWriterOptions = {}) {
    this.#sink = sink;
    this.#maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.#batchTurn = options.batchTurn ?? false;
    this.#stallTimeout = options.stallTimeout ?? 0;
    this.#onStall = options.onStall ?? (() => new Error("Write stalled"));
  }

  /** Bytes queued or being written, not yet taken by the sink. */
  get heldBytes(): number {
    return this.#held;
  }

  /** Whether a write failed: nothing more is written. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Resolves with the error of the write that failed; it never rejects. */
  get failure(): Promise<unknown> {
    return this.#failure.promise;
  }

  /**
   * Queues a chunk and says when it is written.
   *
   * @param chunk The bytes; they must not change until written.
   * @returns A promise that resolves once every byte of the chunk is written, or
   * rejects with the write's error.
   */
  write(chunk: Uint8Array): Promise<void> {
    if (this.#failed) return Promise.reject(this.#error);
    const written = Promise.withResolvers<void>();
    this.#enqueue({ chunk, written });
    return written.promise;
  }

  /**
   * Queues a chunk without a promise of its own: a failure shows in
   * {@linkcode SerialWriter.failure}.
   *
   * @param chunk The bytes; they must not change until written.
   * @throws The error of an earlier failed write.
   */
  push(chunk: Uint8Array): void {
    if (this.#failed) throw this.#error;
    this.#enqueue({ chunk, written: undefined });
  }

  /**
   * Waits until every chunk queued so far is written or has failed.
   *
   * @returns A promise that never rejects.
   */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    await this.#inFlight;
  }

  #enqueue(pending: Pending): void {
    this.#queue.push(pending);
    this.#held += pending.chunk.length;
    if (this.#writing !== undefined) return;
    if (!this.#batchTurn) {
      this.#writing = this.#drain();
      return;
    }
    const started = Promise.withResolvers<void>();
    this.#writing = started.promise.then(() => this.#drain());
    queueMicrotask(started.resolve);
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      try {
        await this.#writeAll(concatBytes(batch.map(({ chunk }) => chunk)));
      } catch (error) {
        this.#fail(error, batch);
        break;
      }
      for (const { written } of batch) written?.resolve();
    }
    this.#writing = undefined;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      const written = await this.#writeSome(bytes.subarray(at));
      at += written;
      this.#held -= written;
    }
  }

  // One write of the sink, raced against the stall timeout.
  async #writeSome(bytes: Uint8Array): Promise<number> {
    const writing = this.#sink.write(bytes);
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
    while (count < this.#queue.length && (count === 0 || size < this.#maxBatchBytes)) {
      size += this.#queue[count]!.chunk.length;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  #fail(error: unknown, batch: Pending[]): void {
    this.#failed = true;
    this.#error = error;
    const lost = [...batch, ...this.#queue];
    this.#queue = [];
    this.#held = 0;
    for (const { written } of lost) written?.reject(error);
    this.#failure.resolve(error);
  }
}
