/**
 * One line per event, with a time and a level, filtered by level.
 *
 * @module
 */

import { UNSAFE_CHARACTERS } from "../../protocol/unsafe_characters.ts";
import { LOG_LEVELS, type LogLevel } from "../options.ts";

/** Options of {@linkcode Logger}, for tests mostly. */
export interface LoggerOptions {
  /**
   * The clock, in milliseconds since the epoch: line times and repeat intervals.
   *
   * @default {Date.now}
   */
  now?: () => number;
  /**
   * Calls `callback` after `delay` ms (a timer that never keeps the process alive)
   * and returns a function that cancels it: ends a repeat interval.
   *
   * @default {an unref'd setTimeout}
   */
  schedule?: (callback: () => void, delay: number) => () => void;
}

/** How long a repeated event of one kind is held to one line, in milliseconds. */
export const REPEAT_INTERVAL_MS = 1000;

/** A kind of repeated event inside its interval. */
interface Repeat {
  level: LogLevel;
  /** When the interval ends. */
  end: number;
  /** Events suppressed in the interval, and the last of them. */
  suppressed: number;
  last: string;
  cancel: () => void;
}

function scheduleUnref(callback: () => void, delay: number): () => void {
  const timer = setTimeout(callback, delay);
  Deno.unrefTimer(timer);
  return () => clearTimeout(timer);
}

/**
 * Writes log lines at or above a level.
 *
 * @example Lines with a time and a level
 * ```ts
 * import { Logger } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const logger = new Logger("info", (line) => lines.push(line), { now: () => 0 });
 * logger.info("listening");
 * logger.debug("not written");
 * assert.deepEqual(lines, ["1970-01-01T00:00:00.000Z info listening"]);
 * ```
 */
export class Logger {
  readonly #rank: number;
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  readonly #schedule: (callback: () => void, delay: number) => () => void;
  readonly #repeats = new Map<string, Repeat>();
  #closed = false;

  /**
   * @param level The least severe level written.
   * @param write Receives each line, without a line ending.
   * @param options The clock and the timer (tests replace them).
   */
  constructor(level: LogLevel, write: (line: string) => void, options: LoggerOptions = {}) {
    this.#rank = LOG_LEVELS.indexOf(level);
    this.#write = write;
    this.#now = options.now ?? Date.now;
    this.#schedule = options.schedule ?? scheduleUnref;
  }

  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.#rank;
  }

  /** Logs a failure of the server itself. */
  error(message: string): void {
    if (this.#rank >= 0) this.#line("error", message);
  }

  /** Logs a peer's misbehaviour or a degraded condition. */
  warn(message: string): void {
    if (this.#rank >= 1) this.#line("warn", message);
  }

  /** Logs a normal event: listening, connections, logins, departures. */
  info(message: string): void {
    if (this.#rank >= 2) this.#line("info", message);
  }

  /** Logs detail, message texts included. */
  debug(message: string): void {
    if (this.#rank >= 3) this.#line("debug", message);
  }

  /**
   * Logs an event that may repeat in a flood (refused connections, failed
   * accepts): at most one line per second per `kind`. The first event of a kind is
   * written at once and opens a one-second interval; events inside it are counted,
   * and when it ends the last of them is written with how many more there were,
   * `… (and 57 more like it in the last second)`, which opens the next interval.
   * An interval without events ends the series: the next event is written at once.
   * Call {@linkcode Logger.close} at shutdown to write what is still held.
   *
   * @example A flood of refusals in one line per second
   * ```ts
   * import { Logger } from "./logger.ts";
   * import assert from "node:assert/strict";
   *
   * const lines: string[] = [];
   * let now = 0;
   * let endInterval = () => {};
   * const logger = new Logger("info", (line) => lines.push(line.slice(25)), {
   *   now: () => now,
   *   schedule: (callback) => {
   *     endInterval = callback;
   *     return () => {};
   *   },
   * });
   * for (let port = 1; port <= 5; port++) logger.repeated("refused", "warn", `:${port} refused`);
   * now = 1000;
   * endInterval();
   * assert.deepEqual(lines, ["warn :1 refused", "warn :5 refused (and 3 more like it in the last second)"]);
   * ```
   *
   * @param kind Events of one kind share a limit, e.g. `"refused"`.
   * @param level The level of the event.
   * @param message The line of this event.
   */
  repeated(kind: string, level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    if (this.#closed) return this.#line(level, message);
    let repeat = this.#repeats.get(kind);
    // A clock past the end whose timer has not fired yet: end the interval now.
    if (repeat !== undefined && this.#now() >= repeat.end) {
      this.#endInterval(kind, repeat);
      repeat = this.#repeats.get(kind);
    }
    if (repeat === undefined) {
      this.#line(level, message);
      this.#open(kind, level);
      return;
    }
    repeat.suppressed++;
    repeat.last = message;
    repeat.level = level;
  }

  /**
   * Writes the repeated events still held back and stops their timers; from then
   * on, repeated events are written one line each. Call it at shutdown.
   */
  close(): void {
    this.#closed = true;
    for (const [kind, repeat] of this.#repeats) this.#endInterval(kind, repeat);
  }

  #open(kind: string, level: LogLevel): void {
    const repeat: Repeat = {
      level,
      end: this.#now() + REPEAT_INTERVAL_MS,
      suppressed: 0,
      last: "",
      cancel: () => {},
    };
    repeat.cancel = this.#schedule(() => this.#endInterval(kind, repeat), REPEAT_INTERVAL_MS);
    this.#repeats.set(kind, repeat);
  }

  #endInterval(kind: string, repeat: Repeat): void {
    if (this.#repeats.get(kind) !== repeat) return; // already ended
    repeat.cancel();
    this.#repeats.delete(kind);
    if (repeat.suppressed === 0) return;
    const more = repeat.suppressed - 1;
    this.#line(
      repeat.level,
      more === 0
        ? repeat.last
        : `${repeat.last} (and ${more.toLocaleString("en-US")} more like it in the last second)`,
    );
    if (!this.#closed) this.#open(kind, repeat.level);
  }

  #line(level: LogLevel, message: string): void {
    try {
      this.#write(`${new Date(this.#now()).toISOString()} ${level} ${message}`);
    } catch {
      // A log that cannot be written (standard error closed, a failing sink) must
      // not take a connection down with it; there is nowhere left to say so.
    }
  }
}

/**
 * `text` in double quotes, so that it can neither garble a log line nor fake
 * another one: a quote or backslash in it gets a backslash before it, and every
 * character of the shared policy, {@linkcode UNSAFE_CHARACTERS}, becomes `\uXXXX`.
 */
export function quote(text: string): string {
  const escaped = text.replace(/["\\]/g, "\\$&").replace(
    UNSAFE_CHARACTERS,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `"${escaped}"`;
}

/**
 * A count and its noun, singular for one: `1 connection`, `2 connections`,
 * `1 delivery`, `3 deliveries`.
 *
 * @example Counts in a log line
 * ```ts
 * import { counted } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(counted(1, "connection"), "1 connection");
 * assert.equal(counted(14, "message"), "14 messages");
 * assert.equal(counted(0, "delivery"), "0 deliveries");
 * ```
 *
 * @param count How many.
 * @param noun The noun, singular; one ending in a consonant and `y` takes `ies`.
 * @returns The count, a space and the noun.
 */
export function counted(count: number, noun: string): string {
  if (count === 1) return `${count} ${noun}`;
  return `${count} ${/[^aeiou]y$/.test(noun) ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;
}
