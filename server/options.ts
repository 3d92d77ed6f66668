/**
 * The server's options, their defaults, and how they are checked.
 *
 * @module
 */

import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE, MAX_WIRE_SIZE } from "../mod.ts";
import { stderrLogSink } from "./log_sink.ts";

/**
 * How much the server logs: each level includes the ones before it.
 *
 * @example Keeping the log lines in memory
 * ```ts
 * import { type LogLevel, serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const logLevel: LogLevel = "info";
 * const server = serve({ hostname: "127.0.0.1", port: 0, logLevel, log: (line) => lines.push(line) });
 * await server.shutdown();
 * assert.match(lines[0]!, / info listening on 127\.0\.0\.1:\d+ /);
 * assert.match(lines.at(-1)!, / info shut down: /);
 * ```
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

/** The log levels, least verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

/**
 * Options of {@linkcode serve}.
 *
 * @example A small server, stopped by a signal
 * ```ts
 * import { serve, type ServerOptions } from "@wirechat/wirechat/server";
 *
 * const stop = new AbortController();
 * const options: ServerOptions = {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   maxClients: 100,
 *   maxMessageSize: 1000,
 *   loginTimeout: 5000,
 *   logLevel: "warn",
 *   signal: stop.signal,
 * };
 * const server = serve(options);
 * stop.abort();
 * await server.finished;
 * ```
 */
export interface ServerOptions {
  /**
   * The address to listen on.
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * The TCP port to listen on; 0 picks a free one (see `ChatServer.addr`).
   *
   * @default {9000}
   */
  port?: number;
  /**
   * The largest user name accepted, in UTF-8 bytes.
   *
   * @default {25}
   */
  maxUsernameSize?: number;
  /**
   * The largest message accepted, in UTF-8 bytes.
   *
   * @default {3000}
   */
  maxMessageSize?: number;
  /**
   * The most connections held at once, logged in or not; more are closed as soon
   * as they are accepted.
   *
   * @default {10000}
   */
  maxClients?: number;
  /**
   * The most bytes queued for one client that does not read fast enough; past it the
   * client is disconnected as a slow consumer, and nobody else waits for it.
   *
   * @default {1048576}
   */
  maxQueueBytes?: number;
  /**
   * Milliseconds a connection may take to log in before it is closed.
   *
   * @default {10000}
   */
  loginTimeout?: number;
  /**
   * How much to log.
   *
   * @default {"info"}
   */
  logLevel?: LogLevel;
  /**
   * Receives each log line (without a line ending) at or above `logLevel`.
   *
   * The default writes to standard error through a bounded queue (256 KiB), never
   * blocking the server: when nobody reads standard error, lines are dropped and
   * counted, and a later line says how many.
   *
   * @default {writes the line to standard error}
   */
  log?: (line: string) => void;
  /** Shuts the server down when aborted. */
  signal?: AbortSignal;
}

/** {@linkcode ServerOptions} with every default filled in. */
export type ResolvedServerOptions = Required<Omit<ServerOptions, "signal">> & {
  signal: AbortSignal | undefined;
};

// Through a bounded queue written asynchronously: a stalled stderr pipe must never
// block the server (lines are dropped and counted instead).
function writeToStderr(line: string): void {
  stderrLogSink().write(line);
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${name}: ${value} is not an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Fills in the defaults of `options` and checks every value.
 *
 * @throws {RangeError} When a value is out of range.
 */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const logLevel = options.logLevel ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new RangeError(`Invalid logLevel: "${logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  const loginTimeout = options.loginTimeout ?? 10_000;
  if (!(loginTimeout > 0) || loginTimeout > 2 ** 31 - 1) {
    throw new RangeError(`Invalid loginTimeout: ${loginTimeout} is not a number of milliseconds`);
  }
  return {
    hostname: options.hostname ?? "0.0.0.0",
    port: checkInteger("port", options.port ?? 9000, 0, 65535),
    maxUsernameSize: checkInteger(
      "maxUsernameSize",
      options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE,
      1,
      MAX_WIRE_SIZE,
    ),
    maxMessageSize: checkInteger(
      "maxMessageSize",
      options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      0,
      MAX_WIRE_SIZE,
    ),
    maxClients: checkInteger("maxClients", options.maxClients ?? 10_000, 1, 2 ** 31 - 1),
    maxQueueBytes: checkInteger("maxQueueBytes", options.maxQueueBytes ?? 1 << 20, 1, 2 ** 40),
    loginTimeout,
    logLevel,
    log: options.log ?? writeToStderr,
    signal: options.signal,
  };
}
