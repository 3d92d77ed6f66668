/**
 * The client under test, run as a child process: its standard input fed by the
 * kit, its standard output kept byte for byte.
 *
 * @module
 */

import { Waiters } from "./waiters.ts";

/** A running client. */
export class ClientProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #output: Uint8Array[] = [];
  readonly #errors: Uint8Array[] = [];
  readonly #waiters = new Waiters();
  readonly #reading: Promise<unknown>;
  /** Settles when the process has exited. */
  readonly exited: Promise<unknown>;
  #status: Deno.CommandStatus | undefined;
  #inputOpen = true;

  /**
   * Starts the client.
   *
   * @param command The program and its arguments.
   * @param env Variables added to its environment.
   * @throws {Deno.errors.NotFound} When the program does not exist.
   */
  constructor(command: readonly string[], env: Record<string, string>) {
    this.#child = new Deno.Command(command[0]!, {
      args: command.slice(1),
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.exited = this.#child.status;
    this.#reading = Promise.all([
      this.#drain(this.#child.stdout, this.#output),
      this.#drain(this.#child.stderr, this.#errors),
      this.#child.status.then((status) => {
        this.#status = status;
        this.#wake();
      }),
    ]);
  }

  /** Everything it has written to standard output, decoded (invalid bytes replaced). */
  get output(): string {
    return new TextDecoder().decode(concat(this.#output));
  }

  /** Everything it has written to standard error. */
  get errors(): string {
    return new TextDecoder().decode(concat(this.#errors));
  }

  /** The lines of its standard output so far, the unfinished last one included. */
  get lines(): string[] {
    const lines = this.output.split(/\r?\n/);
    if (lines.at(-1) === "") lines.pop();
    return lines;
  }

  /** How it exited, once it has. */
  get status(): Deno.CommandStatus | undefined {
    return this.#status;
  }

  /**
   * Writes to its standard input.
   *
   * @param text What to write.
   */
  async input(text: string | Uint8Array): Promise<void> {
    try {
      await this.#stdin.write(typeof text === "string" ? new TextEncoder().encode(text) : text);
    } catch {
      // It stopped reading: it has exited.
    }
  }

  /**
   * Closes its standard input: the end of input. Input it has not read yet
   * still reaches it; this does not wait for that.
   */
  endInput(): Promise<void> {
    if (this.#inputOpen) {
      this.#inputOpen = false;
      this.#stdin.close().catch(() => {});
    }
    return Promise.resolve();
  }

  /**
   * Waits until `ready()` holds, or the time is up.
   *
   * @param ready The condition, asked again at each output and at its exit.
   * @param timeoutMs The most milliseconds to wait.
   * @returns Whether it held.
   */
  until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.#waiters.until(ready, timeoutMs);
  }

  /**
   * Stops it if it still runs (SIGTERM, then SIGKILL a second later) and waits
   * for it; input it has not read is dropped.
   */
  async stop(): Promise<void> {
    if (this.#status === undefined) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      const exited = await this.until(() => this.#status !== undefined, 1000);
      if (!exited) {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
      }
    }
    this.#inputOpen = false;
    await this.#stdin.abort().catch(() => {});
    await this.#reading;
  }

  async #drain(stream: ReadableStream<Uint8Array>, into: Uint8Array[]): Promise<void> {
    try {
      for await (const chunk of stream) {
        into.push(chunk);
        this.#wake();
      }
    } catch {
      // Closed.
    }
  }

  #wake(): void {
    this.#waiters.wake();
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
