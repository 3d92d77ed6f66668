/**
 * Running a command under a real pseudo-terminal with `script` from util-linux,
 * and watching its screen through a {@linkcode VirtualTerminal}.
 *
 * @module
 */

import { VirtualTerminal } from "./virtual_terminal.ts";

/** Quotes a word for `sh`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

/**
 * Finds `script` from util-linux, installing it with apt-get when it is missing
 * and the tests run as root on a Debian-like system.
 *
 * @returns Why pseudo-terminal tests cannot run, or undefined when they can.
 */
async function findScript(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") {
    return `needs util-linux's script, on Linux (this is ${Deno.build.os})`;
  }
  if (await succeeds("script", ["--version"])) return undefined;
  // apt-get works as root only; anywhere else it fails, and the tests are ignored.
  if (await succeeds("apt-get", ["--version"])) {
    console.error("tests: `script` is missing; installing bsdutils (util-linux) with apt-get");
    await succeeds("apt-get", ["install", "-y", "-qq", "bsdutils"]) ||
      await succeeds("sh", ["-c", "apt-get update -qq && apt-get install -y -qq bsdutils"]);
    if (await succeeds("script", ["--version"])) return undefined;
  }
  return "util-linux's `script` is missing and could not be installed (apt-get as root)";
}

/** Why pseudo-terminal tests are skipped here, or undefined when they run. */
export const PTY_UNAVAILABLE: string | undefined = await findScript();
if (PTY_UNAVAILABLE !== undefined) {
  console.error(`tests: pseudo-terminal tests are ignored: ${PTY_UNAVAILABLE}`);
}

/** A shell command running under a pseudo-terminal of a fixed size. */
export class PseudoTerminal implements AsyncDisposable {
  readonly screen: VirtualTerminal;
  readonly #child: Deno.ChildProcess;
  readonly #input: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reading: Promise<void>;
  #output = "";
  #changed = Promise.withResolvers<void>();
  #ended = false;
  #error: unknown;
  #closed = false;

  /**
   * Starts `command` with `sh` under a new pseudo-terminal.
   *
   * @param command A shell command.
   * @param options The terminal's size, and environment variables.
   */
  constructor(
    command: string,
    options: { rows?: number; columns?: number; env?: Record<string, string> } = {},
  ) {
    const { rows = 24, columns = 80 } = options;
    this.screen = new VirtualTerminal(rows, columns);
    // `script` runs the command with $SHELL; `exec` leaves no shell of its own in
    // between, which a Ctrl-C meant for the command could end (dash exits on it).
    const shell = `stty rows ${rows} cols ${columns}; exec ${command}`;
    this.#child = new Deno.Command("script", {
      args: ["--quiet", "--flush", "--return", "--command", shell, "/dev/null"],
      env: { SHELL: "/bin/sh", ...options.env },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#input = this.#child.stdin.getWriter();
    this.#reading = this.#read();
  }

  /** Everything the terminal showed, raw. */
  get output(): string {
    return this.#output;
  }

  /** Types on the keyboard. */
  async type(keys: string): Promise<void> {
    await this.#input.write(new TextEncoder().encode(keys));
  }

  /**
   * Waits until the screen satisfies `condition`, checked after each output.
   *
   * @param what What is awaited, for the failure message.
   * @param condition Tells whether the wait is over.
   */
  async waitFor(what: string, condition: (screen: VirtualTerminal) => boolean): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A safety net so that a broken client fails the test instead of hanging it.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`Timed out waiting for ${what}; screen:\n${this.screen.lines.join("\n")}`),
          ),
        30_000,
      );
    });
    try {
      while (!condition(this.screen)) {
        if (this.#error !== undefined) throw this.#error;
        if (this.#ended) {
          throw new Error(
            `The terminal closed before ${what}; screen:\n${this.screen.lines.join("\n")}`,
          );
        }
        await Promise.race([this.#changed.promise, timeout]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Closes the keyboard and waits for the command to end.
   *
   * @returns `script`'s exit status: the command's.
   */
  async close(): Promise<number> {
    this.#closed = true;
    await this.#input.close().catch(() => {});
    const { code } = await this.#child.status;
    await this.#reading;
    return code;
  }

  /** Ends the command if the test did not: `script` goes, the terminal hangs up. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await this.#input.close().catch(() => {});
    await this.#child.status;
    await this.#reading;
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stdout) {
      const text = decoder.decode(chunk, { stream: true });
      this.#output += text;
      try {
        this.screen.write(text);
      } catch (error) {
        this.#error ??= error;
      }
      this.#changed.resolve();
      this.#changed = Promise.withResolvers();
    }
    this.#ended = true;
    this.#changed.resolve();
  }
}
