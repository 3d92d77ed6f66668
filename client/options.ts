/**
 * The command line of the client: flags, their checks, the help and the version.
 *
 * @module
 */

import { parseArgs } from "node:util";
import denoConfig from "../deno.json" with { type: "json" };
import { ProtocolError } from "../protocol/errors.ts";
import {
  DEFAULT_MAX_INCOMING_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_USERNAME_SIZE,
  MAX_WIRE_SIZE,
} from "../protocol/limits.ts";
import { validateUsername } from "../protocol/username.ts";

/** The default of `--write-timeout`, in seconds. */
export const DEFAULT_WRITE_TIMEOUT = 30;
/** The default of `--max-backlog`, in messages. */
export const DEFAULT_MAX_BACKLOG = 100_000;

/** The version of the package, from `deno.json`. */
export const VERSION: string = denoConfig.version;

/** What the client needs to run, from the command line. */
export interface ClientOptions {
  /** The server's host name or IP address. */
  hostname: string;
  /** The server's TCP port. */
  port: number;
  /** Present when the client connects with TLS (`--tls`, or implied by `--ca`). */
  tls?: true;
  /** The file of a CA certificate to trust besides the default roots (`--ca`), PEM. */
  caFile?: string;
  /** The user name to log in with; already checked against `maxUsernameSize`. */
  username: string;
  /** The largest user name, in UTF-8 bytes. */
  maxUsernameSize: number;
  /** The largest message sent, in UTF-8 bytes. */
  maxMessageSize: number;
  /** The largest string accepted from the server, in UTF-8 bytes. */
  maxIncomingSize: number;
  /** How long a write to the server may make no progress, in milliseconds; 0 for ever. */
  writeTimeout: number;
  /** How many received messages terminal mode holds while the terminal catches up. */
  maxBacklog: number;
  /** Whether terminal mode reconnects after losing the connection (not `--no-reconnect`). */
  reconnect: boolean;
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "chat"; readonly options: ClientOptions };

/** A command line the client cannot run: the message says why, in one line. */
export class UsageError extends Error {
  /** @param message What is wrong, for a person. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The synopsis, printed after a usage error. */
export const USAGE = `Usage: client.ts [--host localhost] [--port 9000] [--tls] [--ca <file>]
                 [--max-username-size ${DEFAULT_MAX_USERNAME_SIZE}]
                 [--max-message-size ${DEFAULT_MAX_MESSAGE_SIZE}] [--max-incoming-size ${DEFAULT_MAX_INCOMING_SIZE}]
                 [--write-timeout ${DEFAULT_WRITE_TIMEOUT}] [--max-backlog ${DEFAULT_MAX_BACKLOG}] [--no-reconnect]
                 [--help] [--version] <username>`;

/** What `--help` prints. */
export const HELP =
  `wirechat client ${VERSION}: chat over the wirechat protocol, in a terminal or a pipe

INSTALL:
  deno install -g -N -n wirechat-client jsr:@wirechat/wirechat/client

USAGE:
  wirechat-client [options] <username>
  deno run --allow-net client.ts [options] <username>
  deno run --allow-net --allow-read client.ts --ca <file> [options] <username>
  deno task client:tls --ca <file> [options] <username>

  In a terminal, a line editor keeps what you type at the bottom while messages
  arrive above it: Enter sends, Up and Down recall earlier lines, Ctrl-D on an
  empty line or Ctrl-C quits. With pipes, each line of input is sent as one
  message and each message received is printed as one line, <HH:MM> [user] text;
  at the end of input the client sends everything read, then quits.

OPTIONS:
  --host <name>                Server host name or IP address (default: localhost)
  --port <port>                Server TCP port (default: 9000, or 9443 with TLS)
  --tls                        Connect with TLS; the server's certificate must be
                               valid for --host and signed by one of Deno's default
                               root certificates (or by --ca); there is no way to
                               skip this check
  --ca <file>                  Also trust the CA certificate in this PEM file (a
                               private or test CA); implies --tls and needs
                               --allow-read
  --max-username-size <bytes>  The server's limit on user names, in UTF-8 bytes
                               (default: ${DEFAULT_MAX_USERNAME_SIZE})
  --max-message-size <bytes>   The server's limit on messages, in UTF-8 bytes; longer
                               ones are refused here (default: ${DEFAULT_MAX_MESSAGE_SIZE})
  --max-incoming-size <bytes>  The largest user name or text accepted from the server
                               (default: ${DEFAULT_MAX_INCOMING_SIZE})
  --write-timeout <seconds>    Drop the connection when the server takes no data for
                               this long; 0 waits for ever (default: ${DEFAULT_WRITE_TIMEOUT})
  --max-backlog <messages>     In a terminal, how many received messages wait while the
                               terminal catches up; past it they are skipped, and a line
                               says how many (default: ${DEFAULT_MAX_BACKLOG})
  --no-reconnect               In a terminal, exit 1 when the connection is lost
                               instead of reconnecting (0.5 s, doubling to 30 s)
  -h, --help                   Print this help and exit
  -V, --version                Print the version and exit

ENVIRONMENT:
  NO_COLOR                     When set, no colours in a terminal
  DENO_TLS_CA_STORE=system     With --tls, trust the system's root certificates
                               instead of the ones built into Deno (mozilla)

EXIT STATUS:
  0 at the end of input or when you quit, 1 on a usage error, when the client
  cannot connect (the server's certificate does not verify, the CA file cannot
  be read), or when the connection is lost (in a terminal, where the client
  reconnects, only with --no-reconnect)`;

const FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  tls: { type: "boolean" },
  ca: { type: "string" },
  "max-username-size": { type: "string" },
  "max-message-size": { type: "string" },
  "max-incoming-size": { type: "string" },
  "write-timeout": { type: "string" },
  "max-backlog": { type: "string" },
  "no-reconnect": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

type Flag = keyof typeof FLAGS;

/**
 * Parses the command line. Flags are checked here, before anything connects: an
 * unknown flag, a flag without its value, a value out of range, a missing or
 * extra user name, or a user name the server would refuse is a
 * {@linkcode UsageError}. `--help` and `--version` win over a missing user name.
 *
 * @param args The arguments, without the program's name.
 * @returns What to do.
 * @throws {UsageError} When the command line is wrong.
 */
export function parseCommand(args: readonly string[]): Command {
  // The tokens, checked here, give messages in the house style where `strict`
  // would throw Node's.
  const { tokens } = parseArgs({
    args: [...args],
    options: FLAGS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Partial<Record<Flag, string | true>> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    if (!Object.hasOwn(FLAGS, token.name)) {
      throw new UsageError(`Unknown option '${token.rawName}'`);
    }
    const flag = token.name as Flag;
    if (FLAGS[flag].type === "boolean") {
      if (token.value !== undefined) {
        throw new UsageError(`Option '${token.rawName}' takes no value`);
      }
      values[flag] = true;
    } else {
      if (token.value === undefined) {
        throw new UsageError(`Missing value for option '${token.rawName}'`);
      }
      values[flag] = token.value;
    }
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const [username, ...extra] = positionals;
  if (username === undefined) throw new UsageError("Missing user name");
  if (extra.length > 0) {
    throw new UsageError(`Unexpected argument '${extra[0]}': give one user name`);
  }
  const hostname = (values.host as string | undefined) ?? "localhost";
  if (hostname === "") throw new UsageError("Invalid value '' for option '--host': it is empty");
  const caFile = values.ca as string | undefined;
  if (caFile === "") throw new UsageError("Invalid value '' for option '--ca': it is empty");
  const tls = values.tls === true || caFile !== undefined;
  const port = integer(values, "port", tls ? 9443 : 9000, 1, 65535);
  const maxUsernameSize = size(values, "max-username-size", DEFAULT_MAX_USERNAME_SIZE, 1);
  const maxMessageSize = size(values, "max-message-size", DEFAULT_MAX_MESSAGE_SIZE, 0);
  const maxIncomingSize = size(values, "max-incoming-size", DEFAULT_MAX_INCOMING_SIZE, 0);
  const writeTimeout = integer(values, "write-timeout", DEFAULT_WRITE_TIMEOUT, 0, 86_400) * 1000;
  const maxBacklog = integer(values, "max-backlog", DEFAULT_MAX_BACKLOG, 1, 100_000_000);
  try {
    validateUsername(username, maxUsernameSize);
  } catch (error) {
    if (error instanceof ProtocolError) throw new UsageError(error.message);
    throw error;
  }
  const options: ClientOptions = {
    hostname,
    port,
    username,
    maxUsernameSize,
    maxMessageSize,
    maxIncomingSize,
    writeTimeout,
    maxBacklog,
    reconnect: values["no-reconnect"] !== true,
  };
  if (tls) options.tls = true;
  if (caFile !== undefined) options.caFile = caFile;
  return { kind: "chat", options };
}

function size(
  values: Partial<Record<Flag, string | true>>,
  flag: Flag,
  fallback: number,
  min: number,
): number {
  return integer(values, flag, fallback, min, MAX_WIRE_SIZE);
}

function integer(
  values: Partial<Record<Flag, string | true>>,
  flag: Flag,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = values[flag];
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value as string) ? Number(value) : NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new UsageError(
      `Invalid value '${value}' for option '--${flag}': expected an integer from ${min} to ${max}`,
    );
  }
  return parsed;
}
