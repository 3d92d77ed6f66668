/**
 * The command line of the client: flags, their checks, the help and the version.
 *
 * @module
 */

import {
  integerValue,
  nonEmptyValue,
  parseFlags,
  secondsValue,
  UsageError,
  VERSION,
} from "../../cli/flags.ts";
import {
  DEFAULT_MAX_INCOMING_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_USERNAME_SIZE,
  MAX_WIRE_SIZE,
} from "../../protocol/limits.ts";
import { DEFAULT_PORT, DEFAULT_TLS_PORT } from "../../protocol/ports.ts";
import { validateUsername } from "../../protocol/username.ts";

/** The default of `--write-timeout`, in seconds. */
export const DEFAULT_WRITE_TIMEOUT = 30;
/** The default of `--max-backlog`, in messages. */
export const DEFAULT_MAX_BACKLOG = 100_000;

/**
 * The default of `--wait`, in seconds: after the end of input, pipe mode waits
 * this long, at most, for each next echo of the lines sent.
 */
export const DEFAULT_ECHO_WAIT = 10;
/**
 * The exit status when a line of input was not delivered, in pipe mode: refused
 * here (over the size limit, an unknown command) or never echoed by the server.
 */
export const EXIT_NOT_SENT = 3;
/** The installed command's name, which its messages and usage lines start with. */
export const NAME = "wirechat-client";

export { UsageError, VERSION };

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
  /** The file whose first line is the password of a registered name (`--password-file`). */
  passwordFile?: string;
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
  /**
   * In pipe mode, after the input ends, the longest wait for the next echo of the
   * lines sent, in milliseconds (`--wait`).
   */
  wait: number;
  /**
   * In pipe mode, how long to keep reading once every line sent is echoed, in
   * milliseconds (`--linger`), for replies.
   */
  linger: number;
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "chat"; readonly options: ClientOptions };

/** What follows a usage error, on the same line. */
export const USAGE_HINT = `try: ${NAME} --help`;

/** What `--help` prints. */
export const HELP = `${NAME} ${VERSION}: chat over the wirechat protocol, in a terminal or a pipe

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
  at the end of input the client sends everything read and waits until the
  server has echoed every line (as long as echoes keep coming), then quits.
  Commands, in both: /who, /help, /quit; //text sends a line starting with /.
  A leading -- is ignored (deno task client -- bob); a later one ends the flags.

OPTIONS:
  --host <name>                Server host name or IP address (default: localhost)
  --port <port>                Server TCP port (default: ${DEFAULT_PORT}, or ${DEFAULT_TLS_PORT} with TLS)
  --tls                        Connect with TLS; the server's certificate must be
                               valid for --host and signed by one of Deno's default
                               root certificates (or by --ca); there is no way to
                               skip this check
  --ca <file>                  Also trust the CA certificate in this PEM file (a
                               private or test CA); implies --tls and needs
                               --allow-read
  --password-file <file>       The password of a registered name: the file's first
                               line (needs --allow-read); else WIRECHAT_PASSWORD,
                               else, on a terminal, a prompt when the server says
                               the name is registered
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
  --wait <seconds>             With pipes, after the input ends, how long to wait for
                               the next echo of the lines sent before giving up on
                               the rest (default: ${DEFAULT_ECHO_WAIT})
  --linger <seconds>           With pipes, keep reading and printing this long once
                               every line is echoed, for replies (default: 0)
  -h, --help                   Print this help and exit
  -V, --version                Print the version and exit

ENVIRONMENT:
  NO_COLOR                     When set, no colours in a terminal
  WIRECHAT_PASSWORD            The password of a registered name (needs
                               --allow-env=WIRECHAT_PASSWORD)
  DENO_TLS_CA_STORE=system     With --tls, trust the system's root certificates
                               instead of the ones built into Deno (mozilla)

EXIT STATUS:
  0 at the end of input or when you quit, 1 on a usage error, when the client
  cannot connect (no network permission, the server's certificate does not
  verify, the CA file cannot be read), when the login is refused, or when the
  connection is lost (in a terminal, where the client reconnects, only with the
  flag --no-reconnect); ${EXIT_NOT_SENT} with pipes when a line was not delivered:
  not sent (over --max-message-size, an unknown command; each named on standard
  error by its number) or not echoed by the server within --wait (counted on
  standard error)`;

const FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  tls: { type: "boolean" },
  ca: { type: "string" },
  "password-file": { type: "string" },
  "max-username-size": { type: "string" },
  "max-message-size": { type: "string" },
  "max-incoming-size": { type: "string" },
  "write-timeout": { type: "string" },
  "max-backlog": { type: "string" },
  "no-reconnect": { type: "boolean" },
  wait: { type: "string" },
  linger: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

type Flag = keyof typeof FLAGS;

/**
 * Parses the command line. Flags are checked here, before anything connects: an
 * unknown flag, a flag without its value, a value out of range, a missing or
 * extra user name is a {@linkcode UsageError}; a user name the server would
 * refuse is a `ProtocolError`. `--help` and `--version` win over a missing user
 * name.
 *
 * @param args The arguments, without the program's name.
 * @returns What to do.
 * @throws {UsageError} When the command line is wrong.
 * @throws {ProtocolError} When the user name is one no server takes.
 */
export function parseCommand(args: readonly string[]): Command {
  const { values, positionals } = parseFlags(args, FLAGS);
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const [username, ...extra] = positionals;
  if (username === undefined) throw new UsageError("missing user name");
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument ${extra[0]} (give one user name)`);
  }
  const hostname = nonEmptyValue("host", values.host ?? "localhost");
  const caFile = values.ca === undefined ? undefined : nonEmptyValue("ca", values.ca);
  const tls = values.tls === true || caFile !== undefined;
  const port = integer(values, "port", tls ? DEFAULT_TLS_PORT : DEFAULT_PORT, 1, 65535);
  const maxUsernameSize = size(values, "max-username-size", DEFAULT_MAX_USERNAME_SIZE, 1);
  const maxMessageSize = size(values, "max-message-size", DEFAULT_MAX_MESSAGE_SIZE, 1);
  const maxIncomingSize = size(values, "max-incoming-size", DEFAULT_MAX_INCOMING_SIZE, 0);
  const writeTimeout = integer(values, "write-timeout", DEFAULT_WRITE_TIMEOUT, 0, 86_400) * 1000;
  const maxBacklog = integer(values, "max-backlog", DEFAULT_MAX_BACKLOG, 1, 100_000_000);
  const wait = seconds(values, "wait", DEFAULT_ECHO_WAIT, 0.1);
  const linger = seconds(values, "linger", 0, 0);
  // Not a usage error: the command line is right, the name is not one the
  // server takes. It throws a ProtocolError.
  validateUsername(username, maxUsernameSize);
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
    wait: Math.round(wait * 1000),
    linger: Math.round(linger * 1000),
  };
  if (tls) options.tls = true;
  if (caFile !== undefined) options.caFile = caFile;
  const passwordFile = values["password-file"];
  if (passwordFile !== undefined) {
    options.passwordFile = nonEmptyValue("password-file", passwordFile as string);
  }
  return { kind: "chat", options };
}

type Values = { readonly [K in Flag]?: string | true };

function size(values: Values, flag: Flag, fallback: number, min: number): number {
  return integer(values, flag, fallback, min, MAX_WIRE_SIZE);
}

function seconds(values: Values, flag: Flag, fallback: number, min: number): number {
  const value = values[flag];
  return value === undefined ? fallback : secondsValue(flag, value as string, min, 86_400);
}

function integer(values: Values, flag: Flag, fallback: number, min: number, max: number): number {
  const value = values[flag];
  return value === undefined ? fallback : integerValue(flag, value as string, min, max);
}
