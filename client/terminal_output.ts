/**
 * A terminal written asynchronously: drawing never blocks the event loop.
 *
 * @module
 */

import { type ByteWriter, concatBytes, type SyncByteWriter, writeAll } from "./write_all.ts";

/**
 * Takes drawings at once and writes them to the terminal in the background, with
 * one `write` in flight; what is drawn meanwhile is joined into the next write.
 * While a slow terminal takes its time, the event loop goes on (the socket is
 * still read). After a failed write every later drawing throws its error.
 */
export class TerminalOutput implements SyncByteWriter {
  readonly #terminal: ByteWriter;
  #pending: Uint8Array[] = [];
  #writing: Promise<void> | undefined;
  #error: unknown;
  #failed = false;
  readonly #failure = Promise.withResolvers<unknown>();

  /** @param terminal Where the bytes go, such as `Deno.stdout`. */
  constructor(terminal: ByteWriter) {
    this.#terminal = terminal;
  }

  /** Resolves with the error of a write that failed; it never rejects. */
  get failure(): Promise<unknown> {
    return this.#failure.promise;
  }

  /**
   * Queues bytes to write.
   *
   * @param bytes A drawing; it must not change until written.
   * @returns `bytes.length`: everything is taken.
   * @throws When an earlier write failed.
   */
  writeSync(bytes: Uint8Array): number {
    if (this.#failed) throw this.#error;
    this.#pending.push(bytes);
    this.#writing ??= this.#drain();
    return bytes.length;
  }

  /**
   * Waits until everything queued so far is written.
   *
   * @throws When a write failed.
   */
  async drained(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (this.#failed) throw this.#error;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const chunks = this.#pending;
        this.#pending = [];
        await writeAll(this.#terminal, concatBytes(chunks));
      }
    } catch (error) {
      this.#failed = true;
      this.#error = error;
      this.#pending = [];
      this.#failure.resolve(error);
    }
    this.#writing = undefined;
  }
}
