/**
 * The client with pipes: plain lines in, plain lines out.
 *
 * @module
 */

import type { ChatClient } from "./chat_client.ts";
import { formatMessage } from "./format.ts";
import { LineBatcher } from "./line_batcher.ts";
import { type InputLine, LineSplitter } from "./line_splitter.ts";
import { failed, type SessionEnd } from "./session_end.ts";

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
   * How long, at most, to wait at the end of input for the server to echo the
   * messages sent, in milliseconds.
   *
   * @default {2000}
   */
  echoTimeout?: number;
  /**
   * When set, how long to keep reading after the end of input, in milliseconds,
   * whether or not the messages sent are echoed: replies to them (a bot's answer)
   * arrive meanwhile. It replaces `echoTimeout`.
   */
  wait?: number;
}

/**
 * Runs the client with pipes: every line of input (without its `\n` or `\r\n`)
 * is sent as one message, an empty line as an empty message, and a line over the
 * limit is refused with a warning that names its number (`line 3: message of
 * 3012 bytes exceeds the limit of 3000; not sent`) and counted in the session's
 * end, `notSent`. Every received message is printed as
 * `<HH:MM> [user] text` as soon as it arrives: the messages received in one turn
 * of the event loop are printed in one go, and none is ever skipped. At the end of input, every line
 * read is sent, the client waits (a bounded moment) for the server to echo them,
 * or for `wait` milliseconds, then closes the connection gracefully.
 *
 * @param client A logged-in client; pipe mode closes it.
 * @param options The input and the output.
 * @returns How the session ended.
 */
export async function runPipeMode(
  client: ChatClient,
  options: PipeModeOptions,
): Promise<SessionEnd> {
  const { input, print, warn, echoTimeout = 2000, wait } = options;
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
  const sendLines = async (lines: Iterable<InputLine>) => {
    const sending = [];
    for (const { text, size } of lines) {
      lineNumber++;
      if (text === undefined) {
        notSent++;
        warn(
          `line ${lineNumber}: message of ${size} bytes exceeds the limit of ${client.maxMessageSize}; not sent`,
        );
        continue;
      }
      echoes.sent(text);
      sending.push(client.send(text));
    }
    // The lines of one chunk go out together; waiting for them paces the reading
    // of input to the speed of the connection.
    await Promise.all(sending);
  };

  let failure: SessionEnd | undefined;
  try {
    while (true) {
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
      await sendLines(splitter.end());
      if (wait === undefined) await echoes.allEchoed(echoTimeout);
      else await untilEndOr(receiving, wait);
    }
  } catch (error) {
    // Sending failed, so the connection is broken even if the server has not
    // closed it yet.
    failure = { kind: "disconnected", error: error as Error };
  }
  if (failure !== undefined) {
    await client.close();
    const end = await receiving;
    return end.kind === "quit" ? failure : end;
  }
  await client.close();
  let end = await receiving;
  // The server may close the connection once it has echoed everything: the
  // session did its work.
  if (end.kind === "disconnected" && inputComplete && echoes.done) end = { kind: "quit" };
  return end.kind === "quit" && notSent > 0 ? { kind: "quit", notSent } : end;
}

// Waits `ms` milliseconds, or less if the session ends first.
async function untilEndOr(session: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([session, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}

/**
 * Follows which of the messages sent have come back from the server. The server
 * relays one client's messages in order, so they must come back in the order sent.
 */
class EchoTracker {
  readonly #username: string;
  #waiting: string[] = [];
  #next = 0;
  #allEchoed: PromiseWithResolvers<void> | undefined;
  #abandoned = false;

  constructor(username: string) {
    this.#username = username;
  }

  /** Whether every message sent has come back. */
  get done(): boolean {
    return this.#next === this.#waiting.length;
  }

  sent(text: string): void {
    this.#waiting.push(text);
  }

  received(message: { username: string; text: string }): void {
    if (this.done) return;
    if (message.username !== this.#username || message.text !== this.#waiting[this.#next]) return;
    this.#next++;
    if (this.done) {
      this.#waiting = [];
      this.#next = 0;
      this.#allEchoed?.resolve();
    }
  }

  /** Stops waiting: the connection has ended. */
  abandon(): void {
    this.#abandoned = true;
    this.#allEchoed?.resolve();
  }

  /**
   * Waits until every message sent has come back, or `timeout` milliseconds.
   *
   * @param timeout The longest wait.
   */
  async allEchoed(timeout: number): Promise<void> {
    if (this.done || this.#abandoned) return;
    this.#allEchoed = Promise.withResolvers();
    const timer = setTimeout(this.#allEchoed.resolve, timeout);
    await this.#allEchoed.promise;
    clearTimeout(timer);
  }
}
