/**
 * The command-line client: parse the flags, connect, run the mode that fits the
 * standard streams, and turn how it ended into one line and an exit status.
 *
 * @module
 */

import { formatHostPort } from "../../cli/host_port.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import type { ChatClient } from "../chat_client.ts";
import { connect, type ConnectOptions } from "../connect.ts";
import { ConnectError, ConnectionClosedError, describeNetworkError } from "../errors.ts";
import { versionLine } from "../../cli/flags.ts";
import { EXIT_NOT_SENT, HELP, NAME, parseCommand, USAGE_HINT, UsageError } from "./cli_options.ts";
import { runPipeMode } from "./pipe_mode.ts";
import type { SessionEnd } from "./session_end.ts";
import { runTerminalMode } from "./terminal/terminal_mode.ts";
import { writeAllSync } from "../../io/write_all.ts";
import { errorMessage } from "../../cli/error_message.ts";
import { AuthenticationError } from "../authenticate.ts";
import {
  givenPassword,
  PasswordFileError,
  PLAIN_TCP_WARNING,
  promptOnce,
  refusedAsRegistered,
} from "./password_source.ts";

const encoder = new TextEncoder();

/**
 * Runs the command-line client to its end. It never throws: every failure
 * becomes one line on standard error and exit status 1.
 *
 * Requires `--allow-net`, and `--allow-read` for the file of `--ca`.
 *
 * @param args The arguments, without the program's name.
 * @returns The exit status: 0 when the input ended or the user quit, 3 when a line
 * of input was not delivered (pipe mode), 1 otherwise.
 */
export async function main(args: readonly string[]): Promise<number> {
  // An error nobody caught must not end the process with a stack trace either.
  const onUncaught = (event: ErrorEvent | PromiseRejectionEvent) => {
    event.preventDefault();
    fail(event instanceof ErrorEvent ? event.error : event.reason);
    Deno.exit(1);
  };
  globalThis.addEventListener("error", onUncaught);
  globalThis.addEventListener("unhandledrejection", onUncaught);
  try {
    return await run(args);
  } catch (error) {
    fail(error);
    return 1;
  } finally {
    globalThis.removeEventListener("error", onUncaught);
    globalThis.removeEventListener("unhandledrejection", onUncaught);
  }
}

async function run(args: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (error instanceof UsageError) {
      warn(`${NAME}: ${error.message}; ${USAGE_HINT}`);
      return 1;
    }
    if (!(error instanceof ProtocolError)) throw error;
    // A name no server takes: not a misuse of the command line, so no usage hint.
    warn(`${NAME}: ${lowerFirst(error.message)}`);
    return 1;
  }
  if (command.kind === "help") {
    print(HELP);
    return 0;
  }
  if (command.kind === "version") {
    print(versionLine(NAME));
    return 0;
  }

  const { caFile, passwordFile, ...options } = command.options;
  let caCerts: string[] | undefined;
  if (caFile !== undefined) {
    try {
      caCerts = [await readCaFile(caFile)];
    } catch (error) {
      if (!(error instanceof CaFileError)) throw error;
      warn(error.message);
      return 1;
    }
  }
  let connectOptions: ConnectOptions = caCerts === undefined ? options : { ...options, caCerts };
  let password;
  try {
    password = await givenPassword(passwordFile);
  } catch (error) {
    if (!(error instanceof PasswordFileError)) throw error;
    warn(error.message);
    return 1;
  }
  if (password !== undefined) connectOptions = { ...connectOptions, password };
  const warnPlain = () =>
    connectOptions.caCerts === undefined && !options.tls && warn(PLAIN_TCP_WARNING);
  if (password !== undefined) warnPlain();
  const open = async (): Promise<ChatClient | undefined> => {
    try {
      return await connect(connectOptions);
    } catch (error) {
      if (error instanceof ConnectError) warn(describeConnectError(error));
      else if (error instanceof AuthenticationError) warn(`${NAME}: ${error.message}`);
      else if (error instanceof ConnectionClosedError) warn(error.message);
      else throw error;
      return undefined;
    }
  };
  const terminal = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  const session = (client: ChatClient) =>
    terminal
      ? runTerminalMode(client, {
        color: !Deno.noColor,
        maxBacklog: command.options.maxBacklog,
        address: formatHostPort(options.hostname, options.port),
        ...options.reconnect ? { reconnect: (signal) => reconnect(connectOptions, signal) } : {},
      })
      : runPipeMode(client, {
        input: Deno.stdin.readable,
        print: printLines,
        warn,
        wait: command.options.wait,
        linger: command.options.linger,
      });
  let client = await open();
  if (client === undefined) return 1;
  let end = await session(client);
  // The server says the name is registered: on a terminal, ask for the password
  // (once the server has sent its challenge) and log in again.
  if (
    terminal && password === undefined && end.kind !== "quit" && refusedAsRegistered(end.error)
  ) {
    warn(end.error.message);
    warnPlain();
    connectOptions = { ...connectOptions, password: promptOnce(options.username) };
    client = await open();
    if (client === undefined) return 1;
    end = await session(client);
  }
  return report(end);
}

// Connects again for terminal mode; a client that connects after the session
// ended is closed at once.
async function reconnect(options: ConnectOptions, signal: AbortSignal): Promise<ChatClient> {
  const client = await connect({ ...options, signal });
  if (signal.aborted) {
    await client.close();
    throw signal.reason;
  }
  return client;
}

// Without --allow-net, Deno's "NotCapable" would read like a firewall: say which
// permission is missing and the ways to grant it.
function describeConnectError(error: ConnectError): string {
  if (!(error.cause instanceof Deno.errors.NotCapable)) return error.message;
  return `Cannot connect to ${formatHostPort(error.hostname, error.port)}: ` +
    "no network permission: add --allow-net (deno run --allow-net client.ts <username>, " +
    "or deno task client <username>)";
}

// The CA file of --ca cannot be used: the message says why, in one line.
class CaFileError extends Error {}

// The PEM text of the CA file, checked: Deno ignores a CA it cannot parse, which
// would only show later as the server's certificate not being trusted.
async function readCaFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotCapable
      ? "no read permission: add --allow-read (deno run --allow-net --allow-read client.ts, " +
        "or deno task client:tls)"
      : error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : describeNetworkError(error);
    throw new CaFileError(`Cannot read the CA file '${path}': ${why}`);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CaFileError(`Invalid CA file '${path}': it holds no PEM certificate`);
  }
  return text;
}

function report(end: SessionEnd): number {
  switch (end.kind) {
    case "quit":
      return end.notSent || end.notConfirmed ? EXIT_NOT_SENT : 0;
    case "disconnected":
      warn(describeDisconnection(end.error));
      if (end.notConfirmed) {
        const count = end.notConfirmed.toLocaleString("en-US");
        warn(
          end.notConfirmed === 1
            ? "1 line sent was not confirmed"
            : `${count} lines sent were not confirmed`,
        );
      }
      return 1;
    case "failed":
      warn(end.error.message);
      return 1;
  }
}

// One line that says how the connection ended, from what iterating the client threw.
function describeDisconnection(error: Error): string {
  // The server cut the connection short (a server drops a slow consumer so): the
  // frame was not invalid, it was never finished.
  if (error instanceof ProtocolError && error.code === "TRUNCATED") {
    return "Connection closed: the server closed the connection in the middle of a message";
  }
  if (error instanceof ProtocolError) {
    const detail = error.message.replace(/^Cannot decode frame: /, "");
    return `Connection closed: the server sent an invalid frame: ${detail}`;
  }
  return error.message;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function print(line: string): void {
  writeAllSync(Deno.stdout, encoder.encode(`${line}\n`));
}

function printLines(lines: readonly string[]): void {
  writeAllSync(Deno.stdout, encoder.encode(lines.join("\n") + "\n"));
}

function warn(line: string): void {
  try {
    writeAllSync(Deno.stderr, encoder.encode(`${line}\n`));
  } catch {
    // Nowhere left to tell.
  }
}

// The last resort: the terminal back to normal, and one line instead of a trace.
function fail(error: unknown): void {
  try {
    if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(false);
  } catch {
    // Not ours to restore.
  }
  const message = errorMessage(error);
  warn(`Unexpected error: ${message}`);
}
