/**
 * A terminal written asynchronously: drawing never blocks the event loop.
 *
 * @module
 */

import { SerialWriter } from "../../../io/serial_writer.ts";
import type { ByteWriter, SyncByteWriter } from "../../../io/write_all.ts";

/**
 * Takes drawings at once and writes them to the terminal in the background, with
 * one `write` in flight; what is drawn meanwhile is joined into the next write.
 * While a slow terminal takes its time, the event loop goes on (the socket is
 * still read). After a failed write every later drawing throws its error.
 */
export class TerminalOutput implements SyncByteWriter {
  readonly #writer: SerialWriter;

  /** @param terminal Where the bytes go, such as `Deno.stdout`. */
  constructor(terminal: ByteWriter) {
    // No batch limit: a drawing waits only for the one before it.
    this.#writer = new SerialWriter(terminal, { maxBatchBytes: Infinity });
  }

  /** Resolves with the error of a write that failed; it never rejects. */
  get failure(): Promise<unknown> {
    return this.#writer.failure;
  }

  /**
   * Queues bytes to write.
   *
   * @param bytes A drawing; it must not change until written.
   * @returns `bytes.length`: everything is taken.
   * @throws When an earlier write failed.
   */
  writeSync(bytes: Uint8Array): number {
    this.#writer.push(bytes);
    return bytes.length;
  }

  /**
   * Waits until everything queued so far is written.
   *
   * @throws When a write failed.
   */
  async drained(): Promise<void> {
    await this.#writer.flush();
    if (this.#writer.failed) throw await this.#writer.failure;
  }
}
