/**
 * The client in a terminal: a line editor at the bottom, messages above it.
 *
 * @module
 */

import { utf8ByteLength } from "../../../protocol/utf8.ts";
import type { ChatClient } from "../../chat_client.ts";
import { ConnectionClosedError, MessageTooLargeError } from "../../errors.ts";
import { type Farewell, readFarewell, SERVER_USERNAME } from "../../last_words.ts";
import { applyKey } from "./key_bindings.ts";
import { KeyDecoder } from "./keys.ts";
import { afterLoss, type Lost, lowerFirst, sleep } from "./reconnection.ts";
import { LineEditor } from "./line_editor.ts";
import { LineBatcher } from "../line_batcher.ts";
import { ReconnectBackoff, type ReconnectBackoffOptions } from "./reconnect_backoff.ts";
import { ReplayFilter } from "./replay_filter.ts";
import { sanitize } from "../../sanitize.ts";
import { formatWithServerVoice } from "./server_voice.ts";
import { failed, type SessionEnd } from "../session_end.ts";
import { COMMANDS_HELP, readInputLine, UNKNOWN_COMMAND_HINT } from "../slash_command.ts";
import { TerminalOutput } from "./terminal_output.ts";
import { TerminalScreen } from "./terminal_screen.ts";
import { errorMessage } from "../../../cli/error_message.ts";

/** How terminal mode looks. */
export interface TerminalModeOptions {
  /** Whether to use colours: user names in colours of their own, the time dim. */
  color: boolean;
  /**
   * How many received messages may wait while the terminal takes the ones before;
   * past it they are skipped, and one line says how many.
   *
   * @default {100000}
   */
  maxBacklog?: number;
  /** The server's `host:port`, for the line that says where the client is connected. */
  address: string;
  /**
   * Connects and logs in again, after the connection ended without the user
   * asking; it rejects when it cannot, and gives up when `signal` aborts. When
   * absent, a lost connection ends the session.
   */
  reconnect?: (signal: AbortSignal) => Promise<ChatClient>;
  /** The delays between attempts to reconnect. */
  backoff?: ReconnectBackoffOptions;
}

// Signals that end the session: Ctrl-C, Ctrl-\, a closed terminal, `kill`.
const QUIT_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGQUIT", "SIGHUP", "SIGTERM"];
const DEFAULT_COLUMNS = 80;
const QUIT: SessionEnd = { kind: "quit" };
const DEFAULT_MAX_BACKLOG = 100_000;
// A login not refused within this long, and with nothing received, is taken as
// accepted: the protocol has no frame that says so.
const LOGIN_QUIET = 1000;

/**
 * Runs the client in a terminal. Standard input is put in raw mode (Ctrl-C still
 * sends SIGINT) and a line editor keeps the prompt and the line being typed at the
 * bottom, intact, while received messages are printed above it. Enter sends the
 * line (an empty line is not sent; a line over the limit is refused with a note
 * and kept for editing); Ctrl-D on an empty line or Ctrl-C quits. The terminal
 * is restored however the session ends.
 *
 * Messages are drawn in batches: those received in one turn of the event loop,
 * or while the terminal was taking the batch before, go in one write with one
 * redraw of the prompt line. The terminal is written in the background, so the
 * socket is read on while it is slow; at most `maxBacklog` messages wait, and
 * past that they are skipped with one line saying how many, rather than let the
 * server drop a client that has stopped reading.
 *
 * The first line says where the client is logging in and as whom, and a second
 * one that it is logged in once the login is accepted: the first message
 * received, or a second without a refusal (the protocol has no frame that says
 * so). A refused login ends the session with the server's reason. Messages from
 * the server's voice (`*`) are shown apart. Slash commands: `/help` lists them,
 * `/quit` leaves, `/who` is sent, whatever their case and the white space
 * around; another `/word` is answered here and not sent, and `//text` sends
 * `/text`.
 *
 * With `reconnect`, a connection that ends without the user asking is made
 * again, with growing delays, a note for each attempt and the typed line kept; a
 * history replay is not shown twice, and a login refused because the name is
 * still taken (the old session has not gone yet) is tried again. When the server
 * said why it closed the connection (the *Why* extension), the reason is shown;
 * a line it refused as over its limit is put back in the editor, and that limit
 * is kept, so the line is not sent into the same refusal. A port that speaks TLS
 * ends the session.
 *
 * @param first A logged-in client; terminal mode closes it (and those it
 * reconnects with).
 * @param options Colours, the backlog, the address and how to reconnect.
 * @returns How the session ended.
 */
export async function runTerminalMode(
  first: ChatClient,
  options: TerminalModeOptions,
): Promise<SessionEnd> {
  const editor = new LineEditor();
  const output = new TerminalOutput(Deno.stdout);
  const screen = new TerminalScreen(output, {
    color: options.color,
    columns: terminalColumns,
  });
  const batcher = new LineBatcher({
    draw: (lines) => screen.printAbove(lines, editor),
    drained: () => output.drained(),
    maxBacklog: options.maxBacklog ?? DEFAULT_MAX_BACKLOG,
    skipped: (count) =>
      screen.noteLine(`${count} messages skipped: the terminal could not keep up`),
  });
  const outputFailed = Promise.race([output.failure, batcher.failure])
    .then((error) => failed("write output", error));
  const quit = Promise.withResolvers<SessionEnd>();
  let leaving = false;
  // Aborted when the session ends: stops waiting to reconnect.
  const stopping = new AbortController();
  let client = first;
  let connected = true;
  const replays = new ReplayFilter();
  const backoff = new ReconnectBackoff(options.backoff);
  const note = (line: string) => batcher.note(screen.noteLine(line));
  // The server's limit on messages, once a refusal taught it.
  let maxMessageSize = first.maxMessageSize;
  // The lines sent on this connection that have not come back.
  let unconfirmed: string[] = [];
  let loggedIn = false;
  let loginTimer: ReturnType<typeof setTimeout> | undefined;
  const loggedInNote = () => {
    clearTimeout(loginTimer);
    if (loggedIn) return;
    loggedIn = true;
    note(`logged in as ${sanitize(client.username)}`);
  };
  const connectedNote = () => {
    loggedIn = false;
    note(`connected to ${sanitize(options.address)}; logging in as ${sanitize(client.username)}`);
    clearTimeout(loginTimer);
    loginTimer = setTimeout(loggedInNote, LOGIN_QUIET);
  };

  // What each signal does. A handler that fails (the terminal is gone) ends the
  // session rather than the process.
  const onSignal: [Deno.Signal, () => void][] = [
    ...QUIT_SIGNALS.map((signal): [Deno.Signal, () => void] => [signal, () => quit.resolve(QUIT)]),
    ["SIGWINCH", () => screen.drawPrompt(editor)],
    // Back from Ctrl-Z: the shell may have reset the terminal meanwhile.
    ["SIGCONT", () => {
      Deno.stdin.setRaw(true, { cbreak: true });
      screen.drawPrompt(editor);
    }],
  ];
  const handlers = onSignal.map(([signal, handle]): [Deno.Signal, () => void] => [signal, () => {
    try {
      handle();
    } catch {
      quit.resolve(QUIT);
    }
  }]);

  // Sends the line being typed, or runs its command; returns true when it quits.
  const send = (): boolean => {
    const line = editor.text;
    if (line === "") return false;
    const action = readInputLine(line);
    switch (action.kind) {
      case "quit":
        editor.submit();
        return true;
      case "help":
        editor.submit();
        for (const help of COMMANDS_HELP) note(help);
        return false;
      case "unknown":
        // Kept for a fix: Home, then a second / sends it as text.
        note(`${sanitize(action.command)}: ${UNKNOWN_COMMAND_HINT}`);
        return false;
    }
    if (!connected) {
      note("not connected: the line is kept; send it again once reconnected");
      return false;
    }
    const size = utf8ByteLength(action.text);
    if (size > maxMessageSize) {
      note(new MessageTooLargeError(size, maxMessageSize).message);
      return false;
    }
    editor.submit();
    unconfirmed.push(action.text);
    // A connection that fails shows on the receiving side, which ends the session.
    client.send(action.text).catch(() => {});
    return false;
  };

  // Receives on one connection until it ends; undefined when the user left.
  const receiveFrom = async (current: ChatClient, again: boolean): Promise<Lost | undefined> => {
    const since = Date.now();
    let heard = false;
    try {
      for await (const message of current) {
        if (leaving) return undefined;
        if (message.username !== SERVER_USERNAME) {
          heard = true;
          loggedInNote();
        } else if (again && !heard && readFarewell(message.text).kind === "login-refused") {
          // Trying again while the old session holds the name: the notes say it.
          continue;
        }
        if (message.username === current.username && message.text === unconfirmed[0]) {
          unconfirmed.shift();
        }
        if (!replays.accept(message)) continue;
        batcher.push(formatWithServerVoice(message, { color: options.color }));
      }
      return undefined;
    } catch (error) {
      const serverReason = error instanceof ConnectionClosedError ? error.serverReason : undefined;
      const farewell = serverReason === undefined ? undefined : readFarewell(serverReason);
      return { error: error as Error, farewell, heard, heldFor: Date.now() - since };
    } finally {
      clearTimeout(loginTimer);
    }
  };

  // A line the server refused as over its limit goes back in the editor, and its
  // limit is kept.
  const refusedLine = (farewell: Farewell & { kind: "too-large" }) => {
    maxMessageSize = Math.min(maxMessageSize, farewell.limit);
    const line = unconfirmed.find((text) => utf8ByteLength(text) === farewell.size) ??
      unconfirmed.find((text) => utf8ByteLength(text) > farewell.limit);
    if (line !== undefined) editor.restore(line);
    screen.drawPrompt(editor);
  };

  const receive = async (): Promise<SessionEnd> => {
    let again = false;
    while (true) {
      const lost = await receiveFrom(client, again);
      if (lost === undefined || leaving) return QUIT;
      if (lost.farewell?.kind === "too-large") refusedLine(lost.farewell);
      unconfirmed = [];
      const next = afterLoss(lost, { again, reconnects: options.reconnect !== undefined });
      if (next.kind === "end" || options.reconnect === undefined) {
        return { kind: "disconnected", error: lost.error };
      }
      connected = false;
      if (next.resetBackoff) backoff.reset();
      let why = next.why;
      while (true) {
        const delay = backoff.next();
        note(`${why}; reconnecting in ${Number((delay / 1000).toFixed(1))} s`);
        await sleep(delay, stopping.signal);
        if (leaving) return QUIT;
        try {
          client = await options.reconnect(stopping.signal);
          break;
        } catch (error) {
          if (leaving) return QUIT;
          why = lowerFirst(sanitize(errorMessage(error)));
        }
      }
      again = true;
      connected = true;
      replays.reconnected();
      connectedNote();
    }
  };

  const keyboard = Deno.stdin.readable.getReader();
  const type = async (): Promise<SessionEnd> => {
    const keys = new KeyDecoder();
    while (true) {
      const { done, value } = await keyboard.read();
      if (done) return QUIT;
      for (const key of keys.push(value)) {
        if (applyKey(key, editor, { enter: send, redraw: () => screen.clear(editor) })) return QUIT;
      }
      screen.drawPrompt(editor);
    }
  };

  Deno.stdin.setRaw(true, { cbreak: true });
  for (const [signal, handler] of handlers) addSignalListener(signal, handler);
  try {
    connectedNote();
    screen.drawPrompt(editor);
    const end = await Promise.race([receive(), type(), quit.promise, outputFailed]);
    leaving = true;
    stopping.abort();
    // Leaving by choice skips what is still waiting; a lost connection shows
    // everything received first.
    if (end.kind === "quit") batcher.discard();
    if (end.kind !== "failed") {
      await batcher.flush();
      screen.erasePrompt();
      await output.drained();
    }
    if (end.kind === "quit") await client.close();
    return end;
  } catch (error) {
    // The terminal itself failed (it was closed under us).
    leaving = true;
    stopping.abort();
    await client.close();
    return failed("write output", error);
  } finally {
    clearTimeout(loginTimer);
    for (const [signal, handler] of handlers) removeSignalListener(signal, handler);
    restoreTerminal();
    // Released, not cancelled: a cancelled read of standard input stays pending in
    // the runtime and swallows the next keys, which a password prompt after this
    // session needs (the process ends with Deno.exit, pending read or not).
    keyboard.releaseLock();
  }
}

function restoreTerminal(): void {
  try {
    Deno.stdin.setRaw(false);
  } catch {
    // The terminal is gone: there is nothing left to restore.
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || DEFAULT_COLUMNS;
  } catch {
    return DEFAULT_COLUMNS;
  }
}

// Not every platform has every signal: those it lacks are simply not listened to.
function addSignalListener(signal: Deno.Signal, handler: () => void): void {
  try {
    Deno.addSignalListener(signal, handler);
  } catch {
    // Unsupported here.
  }
}

function removeSignalListener(signal: Deno.Signal, handler: () => void): void {
  try {
    Deno.removeSignalListener(signal, handler);
  } catch {
    // Never added.
  }
}
