/**
 * The client in a terminal: a line editor at the bottom, messages above it.
 *
 * @module
 */

import { utf8ByteLength } from "../protocol/utf8.ts";
import type { ChatClient } from "./chat_client.ts";
import { MessageTooLargeError } from "./errors.ts";
import { formatMessage } from "./format.ts";
import { type Key, KeyDecoder } from "./keys.ts";
import { LineEditor } from "./line_editor.ts";
import { LineBatcher } from "./line_batcher.ts";
import { failed, type SessionEnd } from "./session_end.ts";
import { TerminalOutput } from "./terminal_output.ts";
import { TerminalScreen } from "./terminal_screen.ts";

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
}

// Signals that end the session: Ctrl-C, Ctrl-\, a closed terminal, `kill`.
const QUIT_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGQUIT", "SIGHUP", "SIGTERM"];
const DEFAULT_COLUMNS = 80;
const QUIT: SessionEnd = { kind: "quit" };
const DEFAULT_MAX_BACKLOG = 100_000;

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
 * @param client A logged-in client; terminal mode closes it.
 * @param options Colours and the backlog.
 * @returns How the session ended.
 */
export async function runTerminalMode(
  client: ChatClient,
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

  const send = () => {
    const line = editor.text;
    if (line === "") return;
    const size = utf8ByteLength(line);
    if (size > client.maxMessageSize) {
      batcher.note(screen.noteLine(new MessageTooLargeError(size, client.maxMessageSize).message));
      return;
    }
    editor.submit();
    // A connection that fails shows on the receiving side, which ends the session.
    client.send(line).catch(() => {});
  };

  // Applies a key; returns true when it quits.
  const apply = (key: Key): boolean => {
    if (key.type === "text") {
      editor.insert(key.text);
      return false;
    }
    switch (key.key) {
      case "enter":
        send();
        break;
      case "backspace":
        editor.deleteBackward();
        break;
      case "delete":
        editor.deleteForward();
        break;
      case "left":
        editor.moveLeft();
        break;
      case "right":
        editor.moveRight();
        break;
      case "home":
        editor.moveHome();
        break;
      case "end":
        editor.moveEnd();
        break;
      case "up":
        editor.historyBack();
        break;
      case "down":
        editor.historyForward();
        break;
      case "delete-to-start":
        editor.deleteToStart();
        break;
      case "delete-to-end":
        editor.deleteToEnd();
        break;
      case "delete-word":
        editor.deleteWordBackward();
        break;
      case "end-of-input":
        if (editor.text === "") return true;
        editor.deleteForward();
        break;
      case "interrupt":
        return true;
      case "redraw":
        screen.clear(editor);
        break;
    }
    return false;
  };

  const receive = async (): Promise<SessionEnd> => {
    try {
      for await (const message of client) {
        if (leaving) break;
        batcher.push(formatMessage(message, { color: options.color }));
      }
      return QUIT;
    } catch (error) {
      return { kind: "disconnected", error: error as Error };
    }
  };

  const keyboard = Deno.stdin.readable.getReader();
  const type = async (): Promise<SessionEnd> => {
    const keys = new KeyDecoder();
    while (true) {
      const { done, value } = await keyboard.read();
      if (done) return QUIT;
      for (const key of keys.push(value)) {
        if (apply(key)) return QUIT;
      }
      screen.drawPrompt(editor);
    }
  };

  Deno.stdin.setRaw(true, { cbreak: true });
  for (const [signal, handler] of handlers) addSignalListener(signal, handler);
  try {
    screen.drawPrompt(editor);
    const end = await Promise.race([receive(), type(), quit.promise, outputFailed]);
    leaving = true;
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
    await client.close();
    return failed("write output", error);
  } finally {
    for (const [signal, handler] of handlers) removeSignalListener(signal, handler);
    restoreTerminal();
    await keyboard.cancel().catch(() => {});
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
