/**
 * A load generator in a child process, one of a group that shares one chat: it
 * holds its clients (`u<firstIndex>` onwards) until told to end, and reports each
 * round of the group's leader that all its clients received. One process holds at
 * most as many connections as it has descriptors, so many clients take several.
 *
 * Requires `--allow-run` (the Deno executable) and `--allow-net` in the child.
 *
 * @module
 */

import type { LoadResult } from "./load_result.ts";

/** How to start one load generator of a group. */
export interface LoadProcessOptions {
  /**
   * The server's host.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** The server's port, or the ports of a cluster (client i connects to the (i mod n)-th). */
  port: number | readonly number[];
  /** How many clients it holds. */
  clients: number;
  /** Its first client's index: they log in as `u<firstIndex>` onwards. */
  firstIndex: number;
  /** The user name of the client that sends the rounds. */
  leader: string;
  /** The longest it holds, in seconds, unless told to end first. */
  hold: number;
  /** Bytes of each connection's read buffer (the load generator's default when absent). */
  readBufferSize?: number;
  /**
   * V8 flags for the child, such as `--max-semi-space-size=1`.
   *
   * @default {[]}
   */
  v8Flags?: readonly string[];
  /**
   * A file that receives everything it writes on standard error (created or
   * truncated), where {@linkcode LoadProcess.log} keeps only the last lines.
   */
  logFile?: string;
  /** Receives each round all its clients received, with the wall-clock time in ms. */
  onRound?: (round: number, atMs: number) => void;
}

const LOG_LINES_KEPT = 10;

/** One load generator running as a child process, until {@linkcode LoadProcess.finish}. */
export class LoadProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #log: string[] = [];
  readonly #onRound: (round: number, atMs: number) => void;
  readonly #reading: Promise<LoadResult | undefined>;
  readonly #draining: Promise<void>;
  readonly #status: Promise<Deno.CommandStatus>;
  readonly #logFile: Deno.FsFile | undefined;
  #exited = false;

  /**
   * Starts it; it connects at once.
   *
   * @param options What it runs.
   */
  constructor(options: LoadProcessOptions) {
    const port = typeof options.port === "number" ? [options.port] : options.port;
    const args = [
      "run",
      "--allow-net",
      ...(options.v8Flags === undefined || options.v8Flags.length === 0
        ? []
        : [`--v8-flags=${options.v8Flags.join(",")}`]),
      new URL("./load.ts", import.meta.url).href,
      "--host",
      options.hostname ?? "127.0.0.1",
      "--port",
      port.join(","),
      "--clients",
      String(options.clients),
      "--first-index",
      String(options.firstIndex),
      "--leader",
      options.leader,
      "--hold",
      String(options.hold),
      "--hold-until-eof",
      ...(options.readBufferSize === undefined
        ? []
        : ["--read-buffer", String(options.readBufferSize)]),
    ];
    this.#onRound = options.onRound ?? (() => {});
    this.#logFile = options.logFile === undefined
      ? undefined
      : Deno.openSync(options.logFile, { write: true, create: true, truncate: true });
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#status = this.#child.status;
    this.#status.then(() => this.#exited = true);
    this.#reading = this.#readStdout(this.#child.stdout);
    this.#draining = this.#drain(this.#child.stderr);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Whether it is still running. */
  get running(): boolean {
    return !this.#exited;
  }

  /** The last lines it wrote on standard error. */
  get log(): readonly string[] {
    return this.#log;
  }

  /**
   * Ends its hold (its standard input closes), and waits for its result; kills it
   * when it takes longer than `timeoutMs`.
   *
   * @param timeoutMs The longest wait.
   * @returns Its result and exit code; `result` is undefined when it printed none.
   */
  async finish(timeoutMs: number): Promise<{ result: LoadResult | undefined; code: number }> {
    await this.#stdin.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      if (await Promise.race([this.#status, timedOut]) === "timeout") await this.kill();
    } finally {
      clearTimeout(timer);
    }
    const [status, result] = await Promise.all([this.#status, this.#reading, this.#draining]);
    return { result, code: status.code };
  }

  /** Kills it (SIGKILL) if it still runs, and waits for its end. */
  async kill(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // it has just exited
      }
    }
    await this.#status;
    await this.#stdin.close().catch(() => {});
    await Promise.allSettled([this.#reading, this.#draining]);
  }

  /** Reads its JSON lines: rounds as they come, then its result. */
  async #readStdout(stream: ReadableStream<Uint8Array>): Promise<LoadResult | undefined> {
    let result: LoadResult | undefined;
    for await (const line of lines(stream)) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        this.#keep(`(stdout) ${line}`);
        continue;
      }
      if (isRound(value)) this.#onRound(value.round, value.atMs);
      else if (typeof value === "object" && value !== null && "mode" in value) {
        result = value as LoadResult;
      }
    }
    return result;
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const file = this.#logFile;
    const encoder = new TextEncoder();
    try {
      for await (const line of lines(stream)) {
        this.#keep(line);
        if (file === undefined) continue;
        const bytes = encoder.encode(`${new Date().toISOString()} ${line}\n`);
        for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
      }
    } finally {
      file?.close();
    }
  }

  #keep(line: string): void {
    this.#log.push(line);
    if (this.#log.length > LOG_LINES_KEPT) this.#log.shift();
  }
}

function isRound(value: unknown): value is { round: number; atMs: number } {
  return typeof value === "object" && value !== null &&
    typeof (value as { round?: unknown }).round === "number" &&
    typeof (value as { atMs?: unknown }).atMs === "number";
}

/** The lines of a byte stream, the last one even without a newline. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let partial = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (partial + text).split("\n");
    partial = parts.pop()!;
    yield* parts;
  }
  if (partial !== "") yield partial;
}
