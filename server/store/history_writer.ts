/**
 * The history on disk, written in batches: the room hands each message over
 * (two small copies), and the batch goes to the store a few milliseconds later,
 * in one transaction, between turns of the event loop. A crash loses at most the
 * batch not written yet.
 *
 * @module
 */

import type { DataStore, StoredMessage } from "./data_store.ts";

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

const decoder = new TextDecoder();

/** Batches messages into a {@linkcode DataStore}'s history, trimmed to its length. */
export class HistoryWriter {
  readonly #store: DataStore;
  readonly #keep: number;
  readonly #intervalMs: number;
  readonly #maxBatch: number;
  readonly #failed: (line: string) => void;
  #pending: { timestamp: number; sender: Uint8Array; text: Uint8Array }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  // The last sender's field and name: consecutive messages from one sender decode once.
  #lastField: Uint8Array | undefined;
  #lastName = "";

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
    return this.#pending.length;
  }

  /**
   * Queues one message; its bytes are copied.
   *
   * @param timestamp Its timestamp, whole seconds.
   * @param sender The sender's name as an encoded string field.
   * @param text The message's bytes.
   */
  add(timestamp: number, sender: Uint8Array, text: Uint8Array): void {
    this.#pending.push({ timestamp, sender: sender.slice(), text: text.slice() });
    if (this.#pending.length >= this.#maxBatch) {
      // Written at the next turn, not in the sender's call.
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.flush(), 0);
    } else {
      this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs);
    }
  }

  /** Writes what waits now, in one transaction. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const messages: StoredMessage[] = batch.map(({ timestamp, sender, text }) => ({
      timestamp,
      username: this.#name(sender),
      text,
    }));
    try {
      this.#store.appendHistory(messages, this.#keep);
    } catch (error) {
      this.#failed(
        `history: ${messages.length} messages not written: ${(error as Error).message}`,
      );
    }
  }

  /** Writes what waits, and stops. */
  close(): void {
    this.flush();
  }

  #name(field: Uint8Array): string {
    const last = this.#lastField;
    if (
      last !== undefined && last.length === field.length && last.every((b, i) => b === field[i])
    ) {
      return this.#lastName;
    }
    this.#lastField = field;
    this.#lastName = decoder.decode(field.subarray(4));
    return this.#lastName;
  }
}
