/**
 * The client with pipes: plain lines in, plain lines out.
 *
 * @module
 */

import type { ChatClient } from "../chat_client.ts";
import { formatMessage } from "../format.ts";
import { LineBatcher } from "./line_batcher.ts";
import { type InputLine, LineSplitter } from "./line_splitter.ts";
import { sanitize } from "../sanitize.ts";
import { SERVER_USERNAME } from "../last_words.ts";
import { failed, type SessionEnd } from "./session_end.ts";
import { COMMANDS_HELP, readInputLine, UNKNOWN_COMMAND_HINT } from "./slash_command.ts";

/** Where pipe mode reads and writes. */
export interface PipeModeOptions {
  /** The input: each line is one message. */
  input: ReadableStream<Uint8Array>;
  /**
   * Writes lines of output at once, each followed by a line ending; it may block
   * until the output takes them, which paces the reading of the socket.
   *
   * @param lines Received messages, formatted, without line endings.
   */
  print: (lines: readonly string[]) => void;
  /**
   * Tells the user something, on standard error.
   *
   * @param line One line, without its line ending.
   */
  warn: (line: string) => void;
  /**
   * After the end of input, how long to wait for the next echo of a line sent, in
   * milliseconds: pipe mode waits as long as echoes keep coming, and gives up on
   * the lines not confirmed once none has come for this long.
   *
   * @default {10000}
   */
  wait?: number;
  /**
   * How long to keep reading once every line sent is confirmed, in milliseconds:
   * replies to them (a bot's answer) arrive meanwhile.
   *
   * @default {0}
   */
  linger?: number;
}

/**
 * Runs the client with pipes: every line of input (without its `\n` or `\r\n`)
 * is sent as one message, an empty line as an empty message. Slash commands
 * work as in a terminal: `/who` is sent, `/quit` ends the input, `/help` lists
 * the commands on standard error, an unknown `/word` is not sent (a warning
 * names its line) and `//text` sends `/text`. A line over the limit is refused
 * with a warning that names its number (`line 3: message of 3012 bytes exceeds
 * the limit of 3000; not sent`); such lines are counted in the session's end,
 * `notSent`. Every received message is printed as `<HH:MM> [user] text` as soon
 * as it arrives: the messages received in one turn of the event loop are
 * printed in one go, and none is ever skipped.
 *
 * At the end of input, every line read is sent, and pipe mode waits until each
 * has come back as its own echo: nothing is lost without a word. A server that
 * paces a fast sender echoes slowly, and pipe mode waits as long as echoes keep
 * coming; once none has come for `wait` milliseconds, it says on standard error
 * how many lines were not confirmed and counts them in `notConfirmed`. Then it
 * keeps reading for `linger` milliseconds, and closes the connection gracefully.
 *
 * @param client A logged-in client; pipe mode closes it.
 * @param options The input, the output and the waits.
 * @returns How the session ended.
 */
export async function runPipeMode(
  client: ChatClient,
  options: PipeModeOptions,
): Promise<SessionEnd> {
  const { input, print, warn, wait = DEFAULT_WAIT, linger = 0 } = options;
  const echoes = new EchoTracker(client.username);
  const reader = input.getReader();
  const batcher = new LineBatcher({ draw: print });
  const printFailed = batcher.failure.then((error) => failed("write output", error));
  let inputCancelled = false;
  let inputComplete = false;

  const printAll = async (): Promise<SessionEnd> => {
    let end: SessionEnd = { kind: "quit" };
    try {
      for await (const message of client) {
        batcher.push(formatMessage(message));
        echoes.received(message);
      }
    } catch (error) {
      end = { kind: "disconnected", error: error as Error };
    }
    // Everything received is printed before the session ends.
    await batcher.flush();
    return end;
  };

  const receiving = (async (): Promise<SessionEnd> => {
    try {
      return await Promise.race([printAll(), printFailed]);
    } finally {
      // Whatever ends the session ends the input: a pending read would keep the
      // process waiting for a line that can no longer be sent.
      echoes.abandon();
      inputCancelled = true;
      await reader.cancel().catch(() => {});
    }
  })();

  const splitter = new LineSplitter(client.maxMessageSize);
  let lineNumber = 0;
  let notSent = 0;
  let quitting = false;
  const sendLines = async (lines: Iterable<InputLine>) => {
    const sending = [];
    for (const { text, size } of lines) {
      if (quitting) break;
      lineNumber++;
      if (text === undefined) {
        notSent++;
        warn(
          `line ${lineNumber}: message of ${size} bytes exceeds the limit of ${client.maxMessageSize}; not sent`,
        );
        continue;
      }
      const action = readInputLine(text);
      if (action.kind === "quit") {
        quitting = true;
      } else if (action.kind === "help") {
        for (const line of COMMANDS_HELP) warn(line);
      } else if (action.kind === "unknown") {
        notSent++;
        warn(`line ${lineNumber}: ${sanitize(action.command)}: ${UNKNOWN_COMMAND_HINT}; not sent`);
      } else {
        echoes.sent(action.text);
        sending.push(client.send(action.text));
      }
    }
    // The lines of one chunk go out together; waiting for them paces the reading
    // of input to the speed of the connection.
    await Promise.all(sending);
  };

  let failure: SessionEnd | undefined;
  let notConfirmed = 0;
  try {
    while (!quitting) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        failure = failed("read input", error);
        break;
      }
      if (chunk.done) break;
      await sendLines(splitter.push(chunk.value));
    }
    if (!inputCancelled && failure === undefined) {
      inputComplete = true;
      if (!quitting) await sendLines(splitter.end());
      await echoes.allEchoed(wait);
      notConfirmed = echoes.pending;
      if (notConfirmed > 0 && !echoes.abandoned) {
        warn(
          `${count(notConfirmed)} of ${count(echoes.total)} ${
            echoes.total === 1 ? "line" : "lines"
          } not confirmed: ` +
            `no echo from the server for ${wait / 1000} s`,
        );
      } else if (linger > 0) {
        await untilEndOr(receiving, linger);
      }
    }
  } catch (error) {
    // Sending failed, so the connection is broken even if the server has not
    // closed it yet.
    failure = { kind: "disconnected", error: error as Error };
  }
  if (quitting) void reader.cancel().catch(() => {});
  if (failure !== undefined) {
    // A send that failed means the connection is broken: what the receiving side
    // learns on its end (the server's reason for closing) says more than the
    // write's error, so it is given a moment to learn it.
    if (failure.kind === "disconnected") await untilEndOr(receiving, SEND_FAILURE_GRACE);
    await client.close();
    const end = await receiving;
    return withUnconfirmed(end.kind === "quit" ? failure : end, echoes.pending);
  }
  await client.close();
  let end = await receiving;
  // The server may close the connection once it has echoed everything: the
  // session did its work.
  if (end.kind === "disconnected" && inputComplete && echoes.done) end = { kind: "quit" };
  if (end.kind !== "quit") return withUnconfirmed(end, echoes.pending);
  if (notSent === 0 && notConfirmed === 0) return end;
  return {
    kind: "quit",
    ...(notSent > 0 ? { notSent } : {}),
    ...(notConfirmed > 0 ? { notConfirmed } : {}),
  };
}

// How long a failed send waits for the receiving side to learn why.
const SEND_FAILURE_GRACE = 2000;

/** The longest wait, by default, for the next echo after the end of input: 10 s. */
export const DEFAULT_WAIT = 10_000;

// A disconnection with the count of the lines sent that the server never echoed.
function withUnconfirmed(end: SessionEnd, pending: number): SessionEnd {
  return end.kind === "disconnected" && pending > 0 ? { ...end, notConfirmed: pending } : end;
}

// 3000 as "3,000".
function count(n: number): string {
  return n.toLocaleString("en-US");
}

// Waits `ms` milliseconds, or less if the session ends first.
async function untilEndOr(session: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([session, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

// The server's answer to /who: "3 here: alice, bob, carol".
const WHO_ANSWER = /^\d+ here: /;

/**
 * Follows which of the messages sent have come back from the server. The server
 * relays one client's messages in order, so they must come back in the order sent.
 */
class EchoTracker {
  readonly #username: string;
  #waiting: string[] = [];
  #next = 0;
  #confirmed = 0;
  #progress: (() => void) | undefined;
  #abandoned = false;

  constructor(username: string) {
    this.#username = username;
  }

  /** Whether every message sent has come back. */
  get done(): boolean {
    return this.#next === this.#waiting.length;
  }

  /** How many messages sent have not come back. */
  get pending(): number {
    return this.#waiting.length - this.#next;
  }

  /** How many messages were sent. */
  get total(): number {
    return this.#confirmed + this.pending;
  }

  /** Whether the connection ended before every message came back. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  sent(text: string): void {
    this.#waiting.push(text);
  }

  received(message: { username: string; text: string }): void {
    if (this.done) return;
    const expected = this.#waiting[this.#next];
    const echo = message.username === this.#username && message.text === expected;
    // A server that knows /who answers it from `*` instead of relaying it.
    const answer = expected === "/who" && message.username === SERVER_USERNAME &&
      WHO_ANSWER.test(message.text);
    if (!echo && !answer) return;
    this.#next++;
    this.#confirmed++;
    if (this.done) {
      this.#waiting = [];
      this.#next = 0;
    }
    this.#progress?.();
  }

  /** Stops waiting: the connection has ended. */
  abandon(): void {
    this.#abandoned = true;
    this.#progress?.();
  }

  /**
   * Waits until every message sent has come back, or until none has come back
   * for `idle` milliseconds.
   *
   * @param idle The longest wait for the next echo.
   */
  async allEchoed(idle: number): Promise<void> {
    while (!this.done && !this.#abandoned) {
      const progress = Promise.withResolvers<boolean>();
      this.#progress = () => progress.resolve(true);
      const timer = setTimeout(() => progress.resolve(false), idle);
      const moved = await progress.promise;
      clearTimeout(timer);
      this.#progress = undefined;
      if (!moved) return;
    }
  }
}
