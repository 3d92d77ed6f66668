/**
 * One line per event, with a time and a level, filtered by level.
 *
 * @module
 */

import { LOG_LEVELS, type LogLevel } from "./options.ts";

/** Writes log lines at or above a level. */
export class Logger {
  readonly #rank: number;
  readonly #write: (line: string) => void;

  /**
   * @param level The least severe level written.
   * @param write Receives each line, without a line ending.
   */
  constructor(level: LogLevel, write: (line: string) => void) {
    this.#rank = LOG_LEVELS.indexOf(level);
    this.#write = write;
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

  #line(level: LogLevel, message: string): void {
    try {
      this.#write(`${new Date().toISOString()} ${level} ${message}`);
    } catch {
      // A log that cannot be written (standard error closed, a failing sink) must
      // not take a connection down with it; there is nowhere left to say so.
    }
  }
}

// Characters that could garble a log line or fake another one: controls and
// bidirectional formatting characters.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` in double quotes, with anything that could garble a log line escaped. */
export function quote(text: string): string {
  const escaped = text.replace(/["\\]/g, "\\$&").replace(
    UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `"${escaped}"`;
}
