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
  versionLine,
} from "../cli/flags.ts";
import { MAX_WIRE_SIZE } from "../protocol/limits.ts";
import { DEFAULT_PORT, DEFAULT_TLS_PORT } from "../protocol/ports.ts";
import { type ChatServer, serve } from "./chat_server.ts";
import { stderrLogSink } from "./ops/log_sink.ts";
import { loadTlsFiles } from "./doors/tls_door.ts";
import { Logger } from "./ops/logger.ts";
import { LOG_LEVELS, type LogLevel, type ServerOptions } from "./options.ts";
import { errorMessage } from "../cli/error_message.ts";
import { CLUSTER_FLAGS, type NatsFiles, parseClusterFlags, readNatsFiles } from "./cli_cluster.ts";
import { HELP, NAME } from "./cli_help.ts";
import { DataStoreError } from "./store/data_store.ts";

// How long the exit waits for log lines still queued for standard error: a pipe
// that nobody reads must not keep a stopped server alive (the caller then ends the
// process with Deno.exit, which also abandons a write still pending).
const LOG_FLUSH_MS = 250;

export { HELP } from "./cli_help.ts";

// What follows a usage error, on the same line.
const USAGE_HINT = `try: ${NAME} --help`;

/** The server's options, with the TLS files still to read. */
export interface CliOptions extends ServerOptions {
  /** The certificate and key files of the TLS door, and its port. */
  tlsFiles?: { cert: string; key: string; port: number };
  /** Where to write the process's ID once listening (`--pid-file`). */
  pidFile?: string;
  /** The NATS credential and CA files, to read at start. */
  natsFiles?: NatsFiles;
  /** `--nats-user`. */
  natsUser?: string;
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
  "web-host": { type: "string", multiple: true },
  "web-plain": { type: "boolean" },
  ...CLUSTER_FLAGS,
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
  const stray = (["web-plain", "web-origin", "web-host"] as const).find((flag) => values[flag]);
  if (web === undefined && stray !== undefined) {
    throw new UsageError(`option --${stray} needs --web`);
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
    const hosts = values["web-host"] ?? [];
    const label = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
    const bad = hosts.find((host) => !new RegExp(`^${label}(\\.${label})*$`, "i").test(host));
    if (bad !== undefined) {
      throw new UsageError(
        `invalid value for --web-host: "${bad}" (expected a host name such as chat.example.com)`,
      );
    }
    if (hosts.length > 0) options.web.hosts = hosts;
    if (values["web-plain"]) options.web.plain = true;
  }
  const cluster = parseClusterFlags(values);
  if (cluster !== undefined) {
    options.nats = cluster.nats;
    options.natsFiles = cluster.files;
    if (cluster.user !== undefined) options.natsUser = cluster.user;
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
  const { tlsFiles, natsFiles, natsUser, ...serverOptions } = options;
  try {
    if (tlsFiles !== undefined) {
      serverOptions.tls = { ...loadTlsFiles(tlsFiles.cert, tlsFiles.key), port: tlsFiles.port };
    }
    if (serverOptions.nats !== undefined && natsFiles !== undefined) {
      serverOptions.nats = readNatsFiles(serverOptions.nats, natsFiles, natsUser);
    }
  } catch (error) {
    printError(errorMessage(error));
    return 1;
  }
  let server: ChatServer;
  try {
    server = serve(serverOptions);
  } catch (error) {
    printError(describeListenError(error, options));
    return 1;
  }
  // Signals are handled from the start: a node may be stopped while it joins its cluster.
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
  try {
    await server.ready;
  } catch (error) {
    await server.finished;
    await stopping;
    // The log lines before it first: the reason is the last line.
    await stderrLogSink().close(LOG_FLUSH_MS);
    if (signalsHangUp) Deno.removeSignalListener("SIGHUP", hangUp);
    if (stopping !== undefined) return 0; // a signal while joining the cluster
    printError(errorMessage(error));
    return 1;
  }
  if (options.pidFile !== undefined) {
    try {
      writePidFile(options.pidFile);
    } catch (error) {
      if (signalsHangUp) Deno.removeSignalListener("SIGHUP", hangUp);
      await server.shutdown();
      await stderrLogSink().close(LOG_FLUSH_MS);
      printError(errorMessage(error));
      return 1;
    }
  }
  await server.finished;
  if (signalsHangUp) Deno.removeSignalListener("SIGHUP", hangUp);
  await stopping; // its last line ("shut down: …") is logged after `finished`
  if (options.pidFile !== undefined) removePidFile(options.pidFile);
  await stderrLogSink().close(LOG_FLUSH_MS);
  return 0;
}
