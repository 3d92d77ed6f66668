/**
 * The command line of the server: flags, help, signals, exit codes.
 *
 * @module
 */

import {
  integerValue as integer,
  nonEmptyValue,
  parseFlags,
  secondsValue,
  UsageError,
  VERSION,
  versionLine,
} from "../cli/flags.ts";
import {
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_USERNAME_SIZE,
  MAX_WIRE_SIZE,
} from "../protocol/limits.ts";
import { DEFAULT_PORT, DEFAULT_TLS_PORT } from "../protocol/ports.ts";
import { type ChatServer, serve } from "./chat_server.ts";
import { stderrLogSink } from "./ops/log_sink.ts";
import { loadTlsFiles } from "./doors/tls_door.ts";
import { Logger } from "./ops/logger.ts";
import { LOG_LEVELS, type LogLevel, type ServerOptions } from "./options.ts";
import { errorMessage } from "../cli/error_message.ts";
import { DataStoreError } from "./store/data_store.ts";

const NAME = "wirechat-server";

// How long the exit waits for log lines still queued for standard error: a pipe
// that nobody reads must not keep a stopped server alive (the caller then ends the
// process with Deno.exit, which also abandons a write still pending).
const LOG_FLUSH_MS = 250;

/** The text of `--help`. */
export const HELP = `${NAME} ${VERSION}: the wirechat chat server.
Relays every message to every logged-in client, the sender included.

INSTALL:
  deno install -g -N --v8-flags=--max-semi-space-size=1 -n ${NAME} jsr:@wirechat/wirechat/server

USAGE:
  ${NAME} [options]
  ${NAME} accounts add|remove|list ... --data <dir>   (see accounts --help)
  deno run --allow-net --v8-flags=--max-semi-space-size=1 server.ts [options]

OPTIONS:
  --host <address>             Address to listen on (default: 0.0.0.0)
  --port <port>                TCP port; 0 picks a free one (default: ${DEFAULT_PORT})
  --max-username-size <bytes>  Longest user name accepted (default: ${DEFAULT_MAX_USERNAME_SIZE})
  --max-message-size <bytes>   Longest message accepted (default: ${DEFAULT_MAX_MESSAGE_SIZE})
  --max-clients <count>        Most connections held at once (default: 10000)
  --max-pending-logins <count> Most connections not logged in yet; when full, the oldest
                               one waiting over a second makes room (default: 8192)
  --max-connections-per-ip <count>
                               Most connections from one address, an IPv6 /64 counting
                               as one; 0 for no limit (default: 0; public servers: 20)
  --max-message-rate <count>   Messages per second per connection; past the burst the
                               server stops reading from it for a while; 0 for no limit
                               (default: 100)
  --max-message-burst <count>  Messages a connection may send at once (default: 1000)
  --max-queue-bytes <bytes>    Bytes queued for a client whose socket refuses data before
                               it is disconnected as a slow consumer; at half of it for
                               clients that do read, senders wait (default: 1048576)
  --history <count>            Messages a newcomer receives right after logging in
                               (default: 0)
  --tls-cert <file>            PEM certificate chain: opens a TLS door beside the plain one
                               (needs --allow-read for the files)
  --tls-key <file>             PEM private key of --tls-cert
  --tls-port <port>            TLS port (default: ${DEFAULT_TLS_PORT})
  --tls-only                   Open no plain TCP door; SIGHUP re-reads the certificate
  --web <[host:]port>          Serve the browser page and its WebSocket door here (HTTPS
                               with --tls-cert, read at start only); a bare port
                               binds the address of --host
  --web-origin <origin>        Another origin whose pages may connect (repeatable)
  --web-plain                  Plain HTTP despite --tls-cert (behind a TLS proxy)
  --nats <url>[,<url>...]      Join the servers on this NATS JetStream as one chat
                               (credentials in the URL: nats://user:pass@host:4222)
  --room <name>                The chat's name in NATS: letters, digits, - and _
                               (default: wirechat)
  --nats-max-age <seconds>     How long the room's stream keeps messages (default: 86400)
  --nats-max-pending <count>   Messages held while NATS is unreachable before senders
                               wait (default: 10000)
  --login-timeout <seconds>    Time a connection has to log in (default: 10)
  --log-level <level>          error, warn, info or debug; debug logs message texts
                               (default: info)
  --presence                   Announce joins and leaves (with the reason when the
                               server dropped the user) as messages from *
  --unique-names               Refuse a login whose name is in the room already
                               (compared after NFC normalisation and case folding)
  --metrics <[host:]port>      Serve /metrics (Prometheus text) and /healthz over HTTP;
                               a bare port binds 127.0.0.1
  --stats-interval <seconds>   Log a line of the same figures this often; 0 for none
                               (default: 0)
  --data <dir>                 Keep accounts and (with --history) the history in this
                               folder's SQLite file (needs --allow-read --allow-write)
  --registered-only            Admit registered names only (needs --data)
  --pid-file <file>            Write the process's ID here once listening, removed at
                               exit, for kill -HUP "$(cat <file>)" (needs --allow-write)
  -h, --help                   Print this help and exit
  -V, --version                Print the version and exit

A message that is exactly /who is not relayed: its sender alone receives the list
of who is in the room, from *. Logs go to standard error, one line per event. SIGINT or SIGTERM shuts the server
down: it stops accepting, closes every connection and exits with status 0.
Exit status 1: a bad flag, or the address cannot be listened on.`;

// What follows a usage error, on the same line.
const USAGE_HINT = `try: ${NAME} --help`;

/** The server's options, with the TLS files still to read. */
export interface CliOptions extends ServerOptions {
  /** The certificate and key files of the TLS door, and its port. */
  tlsFiles?: { cert: string; key: string; port: number };
  /** Where to write the process's ID once listening (`--pid-file`). */
  pidFile?: string;
}

const FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  "max-username-size": { type: "string" },
  "max-message-size": { type: "string" },
  "max-clients": { type: "string" },
  "max-queue-bytes": { type: "string" },
  "max-pending-logins": { type: "string" },
  "max-connections-per-ip": { type: "string" },
  "max-message-rate": { type: "string" },
  "max-message-burst": { type: "string" },
  history: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-port": { type: "string" },
  "tls-only": { type: "boolean" },
  web: { type: "string" },
  "web-origin": { type: "string", multiple: true },
  "web-plain": { type: "boolean" },
  nats: { type: "string" },
  room: { type: "string" },
  "nats-max-age": { type: "string" },
  "nats-max-pending": { type: "string" },
  "login-timeout": { type: "string" },
  "log-level": { type: "string" },
  presence: { type: "boolean" },
  "unique-names": { type: "boolean" },
  metrics: { type: "string" },
  "stats-interval": { type: "string" },
  "pid-file": { type: "string" },
  data: { type: "string" },
  "registered-only": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/**
 * Turns command-line arguments into server options.
 *
 * @returns The options, or `"help"` / `"version"` when those were asked for.
 * @throws {UsageError} When an argument is unknown or malformed.
 */
export function parseServerArgs(args: string[]): CliOptions | "help" | "version" {
  const { values, positionals } = parseFlags(args, FLAGS);
  if (values.help) return "help";
  if (values.version) return "version";
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const options: CliOptions = {};
  if (values.host !== undefined) options.hostname = nonEmptyValue("host", values.host);
  if (values.port !== undefined) options.port = integer("port", values.port, 0, 65535);
  const size = values["max-username-size"];
  if (size !== undefined) {
    options.maxUsernameSize = integer("max-username-size", size, 1, MAX_WIRE_SIZE);
  }
  const message = values["max-message-size"];
  if (message !== undefined) {
    options.maxMessageSize = integer("max-message-size", message, 1, MAX_WIRE_SIZE);
  }
  const clients = values["max-clients"];
  if (clients !== undefined) options.maxClients = integer("max-clients", clients, 1, 2 ** 31 - 1);
  const queue = values["max-queue-bytes"];
  if (queue !== undefined) options.maxQueueBytes = integer("max-queue-bytes", queue, 1, 2 ** 40);
  const counts = [
    ["max-pending-logins", "maxPendingLogins", 1],
    ["max-connections-per-ip", "maxConnectionsPerIp", 0],
    ["max-message-rate", "maxMessageRate", 0],
    ["max-message-burst", "maxMessageBurst", 1],
    ["history", "history", 0],
  ] as const;
  for (const [flag, option, min] of counts) {
    const value = values[flag];
    if (value !== undefined) {
      options[option] = integer(flag, value, min, flag === "history" ? 1_000_000 : 1e9);
    }
  }
  const cert = values["tls-cert"];
  const key = values["tls-key"];
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(
      `option ${cert === undefined ? "--tls-key" : "--tls-cert"} needs ${
        cert === undefined ? "--tls-cert" : "--tls-key"
      } too`,
    );
  }
  const tlsPort = values["tls-port"];
  if (cert === undefined && (tlsPort !== undefined || values["tls-only"])) {
    throw new UsageError(
      `option ${
        tlsPort !== undefined ? "--tls-port" : "--tls-only"
      } needs --tls-cert and --tls-key`,
    );
  }
  if (cert !== undefined && key !== undefined) {
    options.tlsFiles = {
      cert,
      key,
      port: tlsPort === undefined ? DEFAULT_TLS_PORT : integer("tls-port", tlsPort, 0, 65535),
    };
    if (values["tls-only"]) options.tlsOnly = true;
  }
  const web = values.web;
  if (web === undefined && (values["web-origin"] !== undefined || values["web-plain"])) {
    throw new UsageError(
      `option ${values["web-plain"] ? "--web-plain" : "--web-origin"} needs --web`,
    );
  }
  if (web !== undefined) {
    // A bare port binds the address of --host, as the chat's own port does.
    const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):)?(\d+)$/.exec(web);
    if (match === null) {
      throw new UsageError(
        `invalid value for --web: "${web}" (expected a port or host:port, e.g. 8080 or 127.0.0.1:8080)`,
      );
    }
    options.web = {
      hostname: match[1] ?? (match[2] || (options.hostname ?? "0.0.0.0")),
      port: integer("web", match[3]!, 0, 65535),
    };
    const origins = values["web-origin"] ?? [];
    for (const origin of origins) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        throw new UsageError(
          `invalid value for --web-origin: "${origin}" (expected an origin such as https://chat.example.com)`,
        );
      }
    }
    if (origins.length > 0) options.web.allowedOrigins = origins;
    if (values["web-plain"]) options.web.plain = true;
  }
  const nats = values.nats;
  const natsOnly = (["room", "nats-max-age", "nats-max-pending"] as const)
    .find((flag) => values[flag] !== undefined);
  if (nats === undefined && natsOnly !== undefined) {
    throw new UsageError(`option --${natsOnly} needs --nats`);
  }
  if (nats !== undefined) {
    const servers = nats.split(",").map((url) => url.trim()).filter((url) => url !== "");
    for (const url of servers) {
      if (!/^(nats|tls|wss?):\/\/[^\s/]+$|^[^\s:/]+:\d+$/.test(url)) {
        throw new UsageError(
          `invalid value for --nats: "${url}" (expected a URL such as nats://127.0.0.1:4222)`,
        );
      }
    }
    if (servers.length === 0) throw new UsageError("invalid value for --nats: it is empty");
    options.nats = { servers };
    const room = values.room;
    if (room !== undefined) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) {
        throw new UsageError(
          `invalid value for --room: "${room}" (expected letters, digits, - and _)`,
        );
      }
      options.nats.room = room;
    }
    const age = values["nats-max-age"];
    if (age !== undefined) options.nats.maxAgeSeconds = integer("nats-max-age", age, 1, 2 ** 31);
    const pending = values["nats-max-pending"];
    if (pending !== undefined) {
      options.nats.maxPending = integer("nats-max-pending", pending, 1, 1e9);
    }
  }
  const timeout = values["login-timeout"];
  if (timeout !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(timeout) ? Number(timeout) : NaN;
    if (!(seconds > 0 && seconds <= 86400)) {
      throw new UsageError(
        `invalid value for --login-timeout: "${timeout}" (expected seconds, more than 0, at most 86400)`,
      );
    }
    options.loginTimeout = Math.round(seconds * 1000) || 1;
  }
  const level = values["log-level"];
  if (level !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(
        `invalid value for --log-level: "${level}" (expected ${LOG_LEVELS.join(", ")})`,
      );
    }
    options.logLevel = level as LogLevel;
  }
  if (values.presence) options.presence = true;
  if (values["unique-names"]) options.uniqueNames = true;
  if (values.metrics !== undefined) options.metrics = hostPort("metrics", values.metrics);
  const interval = values["stats-interval"];
  if (interval !== undefined) {
    options.statsInterval = secondsValue("stats-interval", interval, 0, 86400);
  }
  const pidFile = values["pid-file"];
  if (pidFile !== undefined) options.pidFile = nonEmptyValue("pid-file", pidFile);
  if (values.data !== undefined) options.data = nonEmptyValue("data", values.data);
  if (values["registered-only"] && !values.data) {
    throw new UsageError("option --registered-only needs --data");
  }
  if (values["registered-only"]) options.registeredOnly = true;
  return options;
}

// `port`, `host:port`, `[v6]:port`: the address of an operator's HTTP endpoint.
// A bare port binds 127.0.0.1: it is not public unless an address says so.
function hostPort(flag: string, value: string): { hostname: string; port: number } {
  const match = /^(?:(?:\[([^\]]+)\]|([^:\[\]]+)):)?(\d+)$/.exec(value);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port <= 65535)) {
    throw new UsageError(
      `invalid value for --${flag}: "${value}" (expected a port or host:port, e.g. 9100 or 127.0.0.1:9100)`,
    );
  }
  return { hostname: match[1] ?? match[2] ?? "127.0.0.1", port };
}

// Writes the process's ID to the file of --pid-file, for `kill -HUP "$(cat FILE)"`.
function writePidFile(path: string): void {
  try {
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
  } catch (error) {
    const why = error instanceof Deno.errors.NotCapable
      ? `no write permission: add --allow-write=${path}`
      : errorMessage(error);
    throw new Error(`cannot write the PID file '${path}': ${why}`);
  }
}

// Removes the file of --pid-file, if it still holds this process's ID.
function removePidFile(path: string): void {
  try {
    if (Deno.readTextFileSync(path).trim() === String(Deno.pid)) Deno.removeSync(path);
  } catch {
    // Gone already, or not ours to remove.
  }
}

function describeListenError(error: unknown, options: ServerOptions): string {
  if (error instanceof DataStoreError) return error.message;
  const where = `${options.hostname ?? "0.0.0.0"}:${options.port ?? DEFAULT_PORT}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return `cannot listen on ${where}: the address is already in use`;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return `cannot listen on ${where}: no network permission (run with --allow-net)`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `cannot listen on ${where}: the address is not available on this machine`;
  }
  const message = errorMessage(error);
  return `cannot listen on ${where}: ${message.split("\n")[0]}`;
}

function printError(message: string): void {
  console.error(`${NAME}: ${message}`);
}

/**
 * Runs the server as a command: parses `args`, serves until SIGINT or SIGTERM.
 * Its signal handlers stay installed: end the process with `Deno.exit` after it.
 *
 * @param args The command-line arguments (without the program name).
 * @returns The exit status: 0 after a clean shutdown (or `--help`), 1 on a bad
 * flag or when the address cannot be listened on. Log lines still pending after a
 * short wait are abandoned: the caller must end the process with `Deno.exit`.
 */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "accounts") {
    return (await import("./accounts/accounts_command.ts")).accountsMain(args.slice(1));
  }
  let options;
  try {
    options = parseServerArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(`${error.message}; ${USAGE_HINT}`);
    return 1;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  if (options === "version") {
    console.log(versionLine(NAME));
    return 0;
  }
  const { tlsFiles, ...serverOptions } = options;
  if (tlsFiles !== undefined) {
    try {
      serverOptions.tls = { ...loadTlsFiles(tlsFiles.cert, tlsFiles.key), port: tlsFiles.port };
    } catch (error) {
      printError(errorMessage(error));
      return 1;
    }
  }
  let server: ChatServer;
  try {
    server = serve(serverOptions);
  } catch (error) {
    printError(describeListenError(error, options));
    return 1;
  }
  try {
    await server.ready;
  } catch (error) {
    await server.finished;
    // The log lines before it first: the reason is the last line.
    await stderrLogSink().close(LOG_FLUSH_MS);
    printError(errorMessage(error));
    return 1;
  }
  if (options.pidFile !== undefined) {
    try {
      writePidFile(options.pidFile);
    } catch (error) {
      await server.shutdown();
      await stderrLogSink().close(LOG_FLUSH_MS);
      printError(errorMessage(error));
      return 1;
    }
  }
  // The same bounded queue as the server's own lines: one order, never blocking.
  const logger = new Logger(options.logLevel ?? "info", stderrLogSink().write);
  let stopping: Promise<void> | undefined;
  const stop = (signal: Deno.Signal) => {
    // Ctrl-C under `deno task start` arrives twice: the terminal signals the whole
    // process group, and deno task forwards it to its child too. One line.
    if (stopping !== undefined) return;
    logger.info(`received ${signal}, shutting down`);
    stopping = server.shutdown();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  // The handlers stay until the process exits (the caller ends it with Deno.exit): a
  // second Ctrl-C while the last log lines drain must find them, not the default
  // action, which would end the process with status 130.
  for (const signal of signals) Deno.addSignalListener(signal, () => stop(signal));
  const reload = () => {
    try {
      const { cert, key } = loadTlsFiles(tlsFiles!.cert, tlsFiles!.key);
      server.reloadTls(cert, key).then(
        () => logger.info("SIGHUP: TLS certificate reloaded"),
        (error) => logger.error(`SIGHUP: ${errorMessage(error)}; keeping the old certificate`),
      );
    } catch (error) {
      logger.error(`SIGHUP: ${errorMessage(error)}; keeping the old certificate`);
    }
  };
  // Without TLS files there is nothing to re-read, but a SIGHUP (a closed terminal,
  // a habit of operators) must not end the server: it is logged and ignored.
  const hangUp = tlsFiles !== undefined
    ? reload
    : () => logger.info("SIGHUP ignored: no TLS certificate to reload");
  const signalsHangUp = Deno.build.os !== "windows";
  if (signalsHangUp) Deno.addSignalListener("SIGHUP", hangUp);
  await server.finished;
  if (signalsHangUp) Deno.removeSignalListener("SIGHUP", hangUp);
  await stopping; // its last line ("shut down: …") is logged after `finished`
  if (options.pidFile !== undefined) removePidFile(options.pidFile);
  await stderrLogSink().close(LOG_FLUSH_MS);
  return 0;
}
