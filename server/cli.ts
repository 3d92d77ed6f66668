/**
 * The command line of the server: flags, help, signals, exit codes.
 *
 * @module
 */

import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE, MAX_WIRE_SIZE } from "../mod.ts";
import { type ChatServer, serve } from "./chat_server.ts";
import { stderrLogSink } from "./log_sink.ts";
import { Logger } from "./logger.ts";
import { LOG_LEVELS, type LogLevel, type ServerOptions } from "./options.ts";

const NAME = "wirechat-server";

// How long the exit waits for log lines still queued for standard error: a pipe
// that nobody reads must not keep a stopped server alive (the caller then ends the
// process with Deno.exit, which also abandons a write still pending).
const LOG_FLUSH_MS = 250;

/** The text of `--help`. */
export const HELP = `${NAME} ${denoJson.version}: the wirechat chat server.
Relays every message to every logged-in client, the sender included.

INSTALL:
  deno install -g -N --v8-flags=--max-semi-space-size=1 -n ${NAME} jsr:@wirechat/wirechat/server

USAGE:
  ${NAME} [options]
  deno run --allow-net --v8-flags=--max-semi-space-size=1 server.ts [options]

OPTIONS:
  --host <address>             Address to listen on (default: 0.0.0.0)
  --port <port>                TCP port; 0 picks a free one (default: 9000)
  --max-username-size <bytes>  Longest user name accepted (default: ${DEFAULT_MAX_USERNAME_SIZE})
  --max-message-size <bytes>   Longest message accepted (default: ${DEFAULT_MAX_MESSAGE_SIZE})
  --max-clients <count>        Most connections held at once (default: 10000)
  --max-pending-logins <count> Most connections not logged in yet; when full, the oldest
                               one waiting over a second makes room (default: 4096)
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
  --login-timeout <seconds>    Time a connection has to log in (default: 10)
  --log-level <level>          error, warn, info or debug; debug logs message texts
                               (default: info)
  --presence                   Announce joins and leaves (with the reason when the
                               server dropped the user) as messages from *
  --unique-names               Refuse a login whose name is in the room already
                               (compared after NFC normalisation and case folding)
  --metrics <host:port>        Serve /metrics (Prometheus text) and /healthz over HTTP
  --stats-interval <seconds>   Log a line of the same figures this often; 0 for none
                               (default: 0)
  -h, --help                   Print this help and exit
  -V, --version                Print the version and exit

A message that is exactly /who is not relayed: its sender alone receives the list
of who is in the room, from *. Logs go to standard error, one line per event. SIGINT or SIGTERM shuts the server
down: it stops accepting, closes every connection and exits with status 0.
Exit status 1: a bad flag, or the address cannot be listened on.`;

const USAGE = `usage: ${NAME} [--host <address>] [--port <port>] [--max-username-size <bytes>]
       [--max-message-size <bytes>] [--max-clients <count>] [--max-pending-logins <count>]
       [--max-connections-per-ip <count>] [--max-message-rate <count>]
       [--max-message-burst <count>] [--max-queue-bytes <bytes>] [--history <count>]
       [--login-timeout <seconds>] [--log-level <level>] [--presence] [--unique-names]
       [--metrics <host:port>] [--stats-interval <seconds>] [--help] [--version]`;

/** A misuse of the command line: the message is printed with a hint to `--help`. */
class UsageError extends Error {}

function integer(flag: string, value: string, min: number, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new UsageError(
      `invalid value for --${flag}: "${value}" (expected an integer from ${min} to ${max})`,
    );
  }
  return number;
}

/**
 * Turns command-line arguments into server options.
 *
 * @returns The options, or `"help"` / `"version"` when those were asked for.
 * @throws {UsageError} When an argument is unknown or malformed.
 */
export function parseServerArgs(args: string[]): ServerOptions | "help" | "version" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
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
        "login-timeout": { type: "string" },
        "log-level": { type: "string" },
        presence: { type: "boolean" },
        "unique-names": { type: "boolean" },
        metrics: { type: "string" },
        "stats-interval": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    throw new UsageError(parseArgsProblem(error));
  }
  const { values } = parsed;
  if (values.help) return "help";
  if (values.version) return "version";
  const options: ServerOptions = {};
  if (values.host !== undefined) {
    if (values.host === "") throw new UsageError("invalid value for --host: it is empty");
    options.hostname = values.host;
  }
  if (values.port !== undefined) options.port = integer("port", values.port, 0, 65535);
  const size = values["max-username-size"];
  if (size !== undefined) {
    options.maxUsernameSize = integer("max-username-size", size, 1, MAX_WIRE_SIZE);
  }
  const message = values["max-message-size"];
  if (message !== undefined) {
    options.maxMessageSize = integer("max-message-size", message, 0, MAX_WIRE_SIZE);
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
    const seconds = /^\d+(\.\d+)?$/.test(interval) ? Number(interval) : NaN;
    if (!(seconds >= 0 && seconds <= 86400)) {
      throw new UsageError(
        `invalid value for --stats-interval: "${interval}" (expected seconds from 0 to 86400)`,
      );
    }
    options.statsInterval = seconds;
  }
  return options;
}

// `host:port`, `[v6]:port`: the address of an HTTP endpoint.
function hostPort(flag: string, value: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d+)$/.exec(value);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port <= 65535)) {
    throw new UsageError(
      `invalid value for --${flag}: "${value}" (expected host:port, e.g. 127.0.0.1:9100)`,
    );
  }
  return { hostname: match[1] ?? match[2]!, port };
}

function parseArgsProblem(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^']*)'/.exec(message)?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? message}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1] ?? option ?? "";
      if (/ambiguous/.test(message)) {
        return `option ${name} needs a value (write ${name}=-1 for a value that starts with "-")`;
      }
      return /argument missing/.test(message)
        ? `option ${name} needs a value`
        : `option ${name} takes no value`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? message}`;
    default:
      return message;
  }
}

function describeListenError(error: unknown, options: ServerOptions): string {
  const where = `${options.hostname ?? "0.0.0.0"}:${options.port ?? 9000}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return `cannot listen on ${where}: the address is already in use`;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return `cannot listen on ${where}: no network permission (run with --allow-net)`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `cannot listen on ${where}: the address is not available on this machine`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `cannot listen on ${where}: ${message.split("\n")[0]}`;
}

function printError(message: string): void {
  console.error(`${NAME}: ${message}`);
}

/**
 * Runs the server as a command: parses `args`, serves until SIGINT or SIGTERM.
 *
 * @param args The command-line arguments (without the program name).
 * @returns The exit status: 0 after a clean shutdown (or `--help`), 1 on a bad
 * flag or when the address cannot be listened on. Log lines still pending after a
 * short wait are abandoned: the caller must end the process with `Deno.exit`.
 */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parseServerArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(error.message);
    console.error(USAGE);
    return 1;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  if (options === "version") {
    console.log(`${NAME} ${denoJson.version}`);
    return 0;
  }
  let server: ChatServer;
  try {
    server = serve(options);
  } catch (error) {
    printError(describeListenError(error, options));
    return 1;
  }
  // The same bounded queue as the server's own lines: one order, never blocking.
  const logger = new Logger(options.logLevel ?? "info", stderrLogSink().write);
  let stopping: Promise<void> | undefined;
  const stop = (signal: Deno.Signal) => {
    logger.info(`received ${signal}, shutting down`);
    stopping ??= server.shutdown();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = signals.map((signal) => {
    const handler = () => stop(signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  await server.finished;
  await stopping; // its last line ("shut down: …") is logged after `finished`
  for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  await stderrLogSink().close(LOG_FLUSH_MS);
  return 0;
}
