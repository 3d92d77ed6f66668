/**
 * The history on disk, written in batches: the room hands each message over (its
 * frame copied into the batch), and the batch goes to the store a few
 * milliseconds later as one row, between turns of the event loop. A crash loses
 * at most the batch not written yet.
 *
 * @module
 */

import type { DataStore } from "./data_store.ts";
import { writeRelayFrame } from "../room/broadcast_log.ts";

/** How {@linkcode HistoryWriter} batches. */
export interface HistoryWriterOptions {
  /**
   * How long a message waits at most before its batch is written, in milliseconds.
   *
   * @default {50}
   */
  readonly intervalMs?: number;
  /**
   * A batch this large is written at once.
   *
   * @default {256}
   */
  readonly maxBatch?: number;
  /** A batch could not be written (it is dropped): one line for the log. */
  readonly failed?: (line: string) => void;
}

/** Batches messages into a {@linkcode DataStore}'s history, trimmed to its length. */
export class HistoryWriter {
  readonly #store: DataStore;
  readonly #keep: number;
  readonly #intervalMs: number;
  readonly #maxBatch: number;
  readonly #failed: (line: string) => void;
  // The batch: relay frames one after another, as clients receive them.
  #buffer = new Uint8Array(64 * 1024);
  #used = 0;
  #count = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param store The store.
   * @param keep How many messages the history keeps.
   * @param options The batching.
   */
  constructor(store: DataStore, keep: number, options: HistoryWriterOptions = {}) {
    this.#store = store;
    this.#keep = keep;
    this.#intervalMs = options.intervalMs ?? 50;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#failed = options.failed ?? (() => {});
  }

  /** Messages waiting for their batch. */
  get pending(): number {
    return this.#count;
  }

  /**
   * Queues one message: its frame is written into the batch (one copy).
   *
   * @param timestamp Its timestamp, whole seconds.
   * @param sender The sender's name as an encoded string field.
   * @param text The message's bytes.
   */
  add(timestamp: number, sender: Uint8Array, text: Uint8Array): void {
    const size = 12 + sender.length + text.length;
    if (this.#used + size > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#used + size));
      grown.set(this.#buffer.subarray(0, this.#used));
      this.#buffer = grown;
    }
    writeRelayFrame(this.#buffer, this.#used, timestamp, sender, text);
    this.#used += size;
    if (++this.#count >= this.#maxBatch) {
      // Written at the next turn, not in the sender's call.
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.flush(), 0);
    } else {
      this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs);
    }
  }

  /** Writes what waits now: one row, in one transaction. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const count = this.#count;
    if (count === 0) return;
    const frames = this.#buffer.subarray(0, this.#used);
    this.#used = 0;
    this.#count = 0;
    try {
      this.#store.appendFrames(frames, count, this.#keep);
    } catch (error) {
      this.#failed(`history: ${count} messages not written: ${(error as Error).message}`);
    }
  }

  /** Writes what waits, and stops. */
  close(): void {
    this.flush();
  }
}
