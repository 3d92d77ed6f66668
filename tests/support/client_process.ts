/**
 * Spawning the command-line client with `deno run`, as a user would, and reading
 * what it writes as it writes it.
 *
 * @module
 */

import { finish } from "./process.ts";
/** The client's entry point. */
export const CLIENT = new URL("../../client.ts", import.meta.url).pathname;

/** Environment that makes the output predictable: no colours, a fixed time zone. */
export const CLIENT_ENV: Record<string, string> = { NO_COLOR: "1", TZ: "UTC" };

/** What a spawned client printed and how it exited. */
export interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The arguments of `deno run` for the client.
 *
 * @param args The client's arguments.
 * @param allowNet What `--allow-net` allows; everything when empty.
 */
export function clientArgs(args: readonly string[], allowNet = "127.0.0.1"): string[] {
  return [
    "run",
    "-q",
    allowNet === "" ? "--allow-net" : `--allow-net=${allowNet}`,
    CLIENT,
    ...args,
  ];
}

/**
 * Runs the client to its end with `input` on standard input (then closed).
 *
 * @param args The client's arguments.
 * @param input Standard input.
 * @param options Environment and net permission.
 */
export function runClient(
  args: readonly string[],
  input = "",
  options: { env?: Record<string, string>; allowNet?: string } = {},
): Promise<ClientResult> {
  return finish(spawnClient(args, options), input);
}

/**
 * Spawns the client with every standard stream piped.
 *
 * @param args The client's arguments.
 * @param options Environment and net permission.
 */
export function spawnClient(
  args: readonly string[],
  options: { env?: Record<string, string>; allowNet?: string } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: clientArgs(args, options.allowNet),
    env: { ...CLIENT_ENV, ...options.env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads a byte stream line by line, as the lines arrive. */
export class LineReader {
  readonly #lines: ReadableStreamDefaultReader<string>;
  #buffer = "";
  readonly #decoder = new TextDecoder();
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
    this.#lines = new ReadableStream<string>({
      pull: async (controller) => {
        while (true) {
          const newline = this.#buffer.indexOf("\n");
          if (newline !== -1) {
            controller.enqueue(this.#buffer.slice(0, newline));
            this.#buffer = this.#buffer.slice(newline + 1);
            return;
          }
          const { done, value } = await this.#reader.read();
          if (done) {
            if (this.#buffer !== "") controller.enqueue(this.#buffer);
            this.#buffer = "";
            controller.close();
            return;
          }
          this.#buffer += this.#decoder.decode(value, { stream: true });
        }
      },
    }).getReader();
  }

  /** The next line, without its `\n`, or undefined at the end of the stream. */
  async next(): Promise<string | undefined> {
    const { done, value } = await this.#lines.read();
    return done ? undefined : value;
  }

  /** The rest of the stream, as text. */
  async rest(): Promise<string> {
    const lines: string[] = [];
    for (let line = await this.next(); line !== undefined; line = await this.next()) {
      lines.push(line);
    }
    return lines.map((line) => `${line}\n`).join("");
  }
}

/** Whether text shows a stack trace or an uncaught error. */
export function hasStackTrace(text: string): boolean {
  return /Stack backtrace|error: Uncaught|^\s+at /m.test(text);
}
