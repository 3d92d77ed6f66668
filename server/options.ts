/**
 * The server's options, their defaults, and how they are checked.
 *
 * @module
 */

import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_USERNAME_SIZE,
  MAX_WIRE_SIZE,
} from "../protocol/limits.ts";
import { DEFAULT_PORT, DEFAULT_TLS_PORT } from "../protocol/ports.ts";
import { stderrLogSink } from "./ops/log_sink.ts";

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
   * The largest message accepted, in UTF-8 bytes; at least 1.
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
   * The most connections not logged in yet. When they, or `maxClients`, are
   * reached, the oldest pending login that has waited more than a second is closed
   * to make room for a newcomer.
   *
   * @default {8192}
   */
  maxPendingLogins?: number;
  /**
   * The most connections from one address (an IPv6 /64 counts as one); 0 for no
   * limit. Behind a proxy, every client has the proxy's address.
   *
   * @default {0}
   */
  maxConnectionsPerIp?: number;
  /**
   * Messages per second one connection may send on average; past its burst, the
   * server stops reading from it until it is within its rate again (nothing is
   * dropped). 0 turns the limit off.
   *
   * @default {100}
   */
  maxMessageRate?: number;
  /**
   * Messages one connection may send at once on top of its rate.
   *
   * @default {1000}
   */
  maxMessageBurst?: number;
  /**
   * How many of the last messages a newcomer receives right after logging in.
   *
   * @default {0}
   */
  history?: number;
  /**
   * The most bytes queued for one client that does not read fast enough; past it,
   * while its socket refuses data, the client is disconnected as a slow consumer,
   * and nobody else waits for it. When clients that do read fall half of it behind,
   * the server stops reading from senders until they are within a quarter.
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
   * A TLS door beside the plain one: the certificate chain and key (PEM text, as
   * `Deno.listenTls` takes them) and its port. Requires `--allow-net`; reading the
   * files is the caller's.
   */
  tls?: TlsOptions;
  /**
   * Opens no plain TCP door: only TLS (and the other doors asked for).
   *
   * @default {false}
   */
  tlsOnly?: boolean;
  /**
   * The web door: the browser page at `/` and its WebSocket endpoint at `/ws`,
   * into the same room. Over HTTPS when `tls` is given (read at start only:
   * `Deno.serve` cannot change its certificate), unless `plain`.
   */
  web?: WebOptions;
  /**
   * Joins a cluster of servers that are one chat, over NATS JetStream. Without it
   * the server is one process and loads no dependency.
   */
  nats?: NatsOptions;
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
  /**
   * Announce joins and leaves to the room, as messages from the user name `*`
   * (`alice joined`, `bob left (slow consumer)`); they count for `history`.
   *
   * @default {false}
   */
  presence?: boolean;
  /**
   * Refuse a login whose name is already in the room, compared after NFC
   * normalisation and case folding; the newcomer receives one message from `*`
   * saying why, then is closed.
   *
   * @default {false}
   */
  uniqueNames?: boolean;
  /**
   * Serve `/metrics` (Prometheus text) and `/healthz` over HTTP on this address;
   * port 0 picks a free one (see `ChatServer.addrs.metrics`). Off when not given.
   */
  metrics?: { readonly hostname: string; readonly port: number };
  /**
   * Seconds between two stats lines in the log (at `info`); 0 for none.
   *
   * @default {0}
   */
  statsInterval?: number;
  /**
   * The data folder: one SQLite file (`wirechat.sqlite`) holding the accounts and,
   * on a single node with `history`, the history, which then survives a restart.
   * Requires `--allow-read` and `--allow-write` for the folder. Off when not given.
   */
  data?: string;
  /**
   * Admit registered names only (their owners, with their passwords); needs `data`.
   *
   * @default {false}
   */
  registeredOnly?: boolean;
  /** Shuts the server down when aborted. */
  signal?: AbortSignal;
}

/** How a node proves itself to NATS: one way at a time. */
export type NatsAuth =
  | { readonly user: string; readonly password: string }
  | { readonly token: string }
  | { readonly creds: string }
  | { readonly nkeySeed: string };

/** The cluster of {@linkcode ServerOptions}: NATS JetStream. */
export interface NatsOptions {
  /**
   * NATS URLs. Credentials in them still work for the library
   * (`nats://user:password@host:4222`); prefer {@linkcode NatsOptions.auth}.
   */
  servers: string[];
  /** How this node proves itself to NATS. Without it (and none in the URLs), one warning. */
  auth?: NatsAuth;
  /** The CA certificates (PEM) that NATS's TLS certificate must chain to. */
  ca?: string;
  /**
   * The chat's name (letters, digits, `-`, `_`): servers with the same NATS and
   * room are one chat.
   *
   * @default {"wirechat"}
   */
  room?: string;
  /**
   * Seconds the room's stream keeps a message.
   *
   * @default {86400}
   */
  maxAgeSeconds?: number;
  /**
   * Messages this node holds while NATS is out of reach; past them, it stops
   * reading from its senders.
   *
   * @default {10000}
   */
  maxPending?: number;
  /**
   * The lease, in seconds: a node that stops answering (stalled, frozen, cut off)
   * keeps its members and their names this long before the others count it as
   * gone.
   *
   * @default {15}
   */
  leaseSeconds?: number;
}

/** The web door of {@linkcode ServerOptions}. */
export interface WebOptions {
  /**
   * The address to listen on.
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /** The port to listen on; 0 picks a free one (see `ChatServer.addrs.web`). */
  port: number;
  /**
   * Origins besides the page's own whose pages may open the WebSocket
   * (`https://chat.example.com`); a request from any other gets 403.
   *
   * @default {[]}
   */
  allowedOrigins?: string[];
  /**
   * Host names the page is served under (`chat.example.com`), besides IP
   * literals and `localhost`: a WebSocket request whose `Host` header is none of
   * them gets 403 (DNS rebinding).
   *
   * @default {[]}
   */
  hosts?: string[];
  /**
   * Plain HTTP even when the server has a TLS certificate: behind a proxy that
   * terminates TLS (its `https://` origin is then the page's own).
   *
   * @default {false}
   */
  plain?: boolean;
}

/** The TLS door of {@linkcode ServerOptions}. */
export interface TlsOptions {
  /** The certificate chain, PEM: the server's certificate first. */
  cert: string;
  /** The certificate's private key, PEM. */
  key: string;
  /**
   * The TLS port; 0 picks a free one (see `ChatServer.addrs.tls`).
   *
   * @default {9443}
   */
  port?: number;
}

/** {@linkcode ServerOptions} with every default filled in. */
export type ResolvedServerOptions =
  & Required<Omit<ServerOptions, "signal" | "tls" | "nats" | "web" | "metrics" | "data">>
  & {
    signal: AbortSignal | undefined;
    data: string | undefined;
    web: WebOptions | undefined;
    tls: Required<TlsOptions> | undefined;
    nats: NatsOptions | undefined;
    metrics: { readonly hostname: string; readonly port: number } | undefined;
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

function checkNats(nats: NatsOptions | undefined): NatsOptions | undefined {
  const lease = nats?.leaseSeconds;
  if (lease !== undefined && !(lease >= 1 && lease <= 3600)) {
    throw new RangeError(
      `Invalid leaseSeconds: ${lease} is not a number of seconds from 1 to 3600`,
    );
  }
  return nats;
}

function checkStatsInterval(seconds: number): number {
  if (!(seconds >= 0 && seconds <= 86400)) {
    throw new RangeError(
      `Invalid statsInterval: ${seconds} is not a number of seconds from 0 to 86400`,
    );
  }
  return seconds;
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
  if (options.tlsOnly && options.tls === undefined) {
    throw new RangeError("Invalid tlsOnly: it needs the tls option");
  }
  if (options.registeredOnly && options.data === undefined) {
    throw new RangeError("Invalid registeredOnly: it needs the data option");
  }
  const loginTimeout = options.loginTimeout ?? 10_000;
  if (!(loginTimeout > 0) || loginTimeout > 2 ** 31 - 1) {
    throw new RangeError(`Invalid loginTimeout: ${loginTimeout} is not a number of milliseconds`);
  }
  return {
    hostname: options.hostname ?? "0.0.0.0",
    port: checkInteger("port", options.port ?? DEFAULT_PORT, 0, 65535),
    maxUsernameSize: checkInteger(
      "maxUsernameSize",
      options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE,
      1,
      MAX_WIRE_SIZE,
    ),
    maxMessageSize: checkInteger(
      "maxMessageSize",
      options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      1, // at 0, nobody could say anything
      MAX_WIRE_SIZE,
    ),
    maxClients: checkInteger("maxClients", options.maxClients ?? 10_000, 1, 2 ** 31 - 1),
    maxPendingLogins: checkInteger(
      "maxPendingLogins",
      options.maxPendingLogins ?? 8192,
      1,
      2 ** 31 - 1,
    ),
    maxConnectionsPerIp: checkInteger(
      "maxConnectionsPerIp",
      options.maxConnectionsPerIp ?? 0,
      0,
      2 ** 31 - 1,
    ),
    maxMessageRate: checkInteger("maxMessageRate", options.maxMessageRate ?? 100, 0, 1e9),
    maxMessageBurst: checkInteger("maxMessageBurst", options.maxMessageBurst ?? 1000, 1, 1e9),
    history: checkInteger("history", options.history ?? 0, 0, 1_000_000),
    maxQueueBytes: checkInteger("maxQueueBytes", options.maxQueueBytes ?? 1 << 20, 1, 2 ** 40),
    loginTimeout,
    tls: options.tls === undefined ? undefined : {
      cert: options.tls.cert,
      key: options.tls.key,
      port: checkInteger("tls.port", options.tls.port ?? DEFAULT_TLS_PORT, 0, 65535),
    },
    tlsOnly: options.tlsOnly ?? false,
    nats: checkNats(options.nats),
    web: options.web,
    logLevel,
    log: options.log ?? writeToStderr,
    presence: options.presence ?? false,
    uniqueNames: options.uniqueNames ?? false,
    metrics: options.metrics === undefined ? undefined : {
      hostname: options.metrics.hostname,
      port: checkInteger("metrics port", options.metrics.port, 0, 65535),
    },
    statsInterval: checkStatsInterval(options.statsInterval ?? 0),
    data: options.data,
    registeredOnly: options.registeredOnly ?? false,
    signal: options.signal,
  };
}
