/**
 * A bounded queue of log lines, written asynchronously: logging never blocks the
 * server, even when nobody reads its standard error.
 *
 * @module
 */

import { concatBytes } from "../../io/write_all.ts";

/** Options of {@linkcode LogSink}. */
export interface LogSinkOptions {
  /**
   * The most bytes held (queued or being written); lines past it are dropped and
   * counted.
   *
   * @default {262144}
   */
  maxBytes?: number;
  /**
   * Writes some of `bytes` and resolves with how many were written.
   *
   * @default {Deno.stderr.write}
   */
  write?: (bytes: Uint8Array) => Promise<number>;
}

/** The default bound of a {@linkcode LogSink}: 256 KiB. */
export const DEFAULT_LOG_SINK_BYTES = 256 * 1024;

const encoder = new TextEncoder();

/**
 * Queues log lines and writes them with one asynchronous write in flight, every
 * line queued meanwhile batched into the next write. When `maxBytes` are held, new
 * lines are dropped and counted; once there is room again, one line says how many
 * (`… 3,412 log lines dropped`). A failing write (standard error closed) silently
 * ends the writing: there is nowhere left to say so.
 *
 * @example Lines written in order, in one batch
 * ```ts
 * import { LogSink } from "./log_sink.ts";
 * import assert from "node:assert/strict";
 *
 * const written: string[] = [];
 * const sink = new LogSink({
 *   write: (bytes) => {
 *     written.push(new TextDecoder().decode(bytes));
 *     return Promise.resolve(bytes.length);
 *   },
 * });
 * sink.write("one");
 * sink.write("two");
 * assert.equal(sink.heldBytes, 8);
 * assert.equal(await sink.flush(1000), true);
 * assert.deepEqual(written, ["one\ntwo\n"]);
 * ```
 */
export class LogSink {
  readonly #maxBytes: number;
  readonly #writeBytes: (bytes: Uint8Array) => Promise<number>;
  #queue: Uint8Array[] = [];
  #inFlight = 0; // lines in the write under way
  #held = 0;
  #dropped = 0;
  #unreported = 0;
  #writing = false;
  #broken = false;
  #closed = false;
  readonly #idle = new Set<() => void>();

  /** @param options The bound and the writer. */
  constructor(options: LogSinkOptions = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_LOG_SINK_BYTES;
    this.#writeBytes = options.write ?? ((bytes) => Deno.stderr.write(bytes));
  }

  /** Bytes queued or being written: at most `maxBytes`. */
  get heldBytes(): number {
    return this.#held;
  }

  /** Lines dropped so far because the queue was full (or the writer failed). */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Queues `line` (a line ending is added), or drops it when the queue is full.
   * Never throws and never blocks. Bound to the instance, so it can be passed as
   * the server's `log` option.
   *
   * @example Dropped lines are counted, then reported
   * ```ts
   * import { LogSink } from "./log_sink.ts";
   * import assert from "node:assert/strict";
   *
   * let text = "";
   * const sink = new LogSink({
   *   maxBytes: 100,
   *   write: (bytes) => {
   *     text += new TextDecoder().decode(bytes);
   *     return Promise.resolve(bytes.length);
   *   },
   * });
   * for (let i = 0; i < 10; i++) sink.write(`line ${i} `.padEnd(29, "."));
   * assert.equal(sink.dropped, 7);
   * await sink.flush(1000);
   * assert.match(text, /line 2 \.+\n.* warn … 7 log lines dropped\n$/);
   * ```
   */
  readonly write = (line: string): void => {
    if (this.#closed || this.#broken) {
      this.#dropped++;
      return;
    }
    if (this.#unreported > 0) this.#report();
    const bytes = encoder.encode(line + "\n");
    if (this.#unreported > 0 || this.#held + bytes.length > this.#maxBytes) {
      this.#dropped++;
      this.#unreported++;
      return;
    }
    this.#push(bytes);
  };

  /**
   * Waits until every queued line is written, or `timeoutMs` at most.
   *
   * @returns Whether everything was written in time.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.#unreported > 0) this.#report();
    if (this.#isIdle()) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    const written = await Promise.race([
      new Promise<true>((resolve) => {
        wake = () => resolve(true);
        this.#idle.add(wake);
      }),
      new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs)),
    ]);
    clearTimeout(timer);
    this.#idle.delete(wake!);
    return written;
  }

  /**
   * Takes no more lines, then flushes the queue for `timeoutMs` at most. A write
   * still pending on a stalled pipe keeps Deno running: a process that must end
   * calls `Deno.exit` afterwards.
   *
   * @returns Whether everything was written in time.
   */
  close(timeoutMs: number): Promise<boolean> {
    const flushed = this.flush(timeoutMs);
    this.#closed = true;
    return flushed;
  }

  #isIdle(): boolean {
    return !this.#writing && this.#queue.length === 0;
  }

  // Queues the line saying how many were dropped, if it fits.
  #report(): void {
    const bytes = encoder.encode(
      `${new Date().toISOString()} warn … ${this.#unreported.toLocaleString("en-US")} log ${
        this.#unreported === 1 ? "line" : "lines"
      } dropped\n`,
    );
    if (this.#held + bytes.length > this.#maxBytes) return;
    this.#unreported = 0;
    this.#push(bytes);
  }

  #push(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    this.#held += bytes.length;
    if (!this.#writing) {
      this.#writing = true;
      // Started in a microtask: every line logged in this turn goes in one write.
      queueMicrotask(() => this.#pump());
    }
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.length === 1 ? this.#queue[0]! : concatBytes(this.#queue);
        this.#inFlight = this.#queue.length;
        this.#queue = [];
        for (let at = 0; at < batch.length;) {
          const written = await this.#writeBytes(batch.subarray(at));
          at += written;
          this.#held -= written;
        }
        if (this.#unreported > 0) this.#report();
      }
    } catch {
      // Standard error is closed or broken: stop writing, for good.
      this.#broken = true;
      this.#dropped += this.#inFlight + this.#queue.length;
      this.#queue = [];
      this.#held = 0;
    }
    this.#writing = false;
    for (const wake of this.#idle) wake();
  }
}

let stderrSink: LogSink | undefined;

/**
 * The one sink of standard error that the server's default `log` option writes
 * to, created on first use.
 *
 * @example Flushing the default log before exiting
 * ```ts
 * import { stderrLogSink } from "./log_sink.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(stderrLogSink(), stderrLogSink());
 * assert.equal(await stderrLogSink().flush(100), true);
 * ```
 */
export function stderrLogSink(): LogSink {
  return stderrSink ??= new LogSink();
}
