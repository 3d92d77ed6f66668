/**
 * A chat server under test, run as a child process: started, found (its port),
 * sampled (memory and CPU from `/proc`), stopped.
 *
 * @module
 */

import { errorMessage } from "../cli/error_message.ts";

/** How to start a server. */
export interface ServerSpec {
  /** Its label in the tables. */
  label: string;
  /**
   * The program and its arguments. An argument holding `{port}` gets a free port
   * in its place; otherwise the port is read from the server's
   * `listening on HOST:PORT` log line.
   */
  command: readonly string[];
  /** The working directory. */
  cwd?: string;
  /**
   * A log line that must also appear before the server counts as ready, such as
   * a cluster node's `NATS backplane connected`.
   */
  readyLine?: RegExp;
  /**
   * The port of its `--metrics` door on 127.0.0.1, when it has one: it then counts
   * as ready once `GET /healthz` answers 200 (backplane connected), as well.
   */
  metricsPort?: number;
  /**
   * How long to wait for it to be ready, in milliseconds.
   *
   * @default {15000}
   */
  readyTimeoutMs?: number;
  /**
   * A file that receives everything it writes on standard output and error, as
   * it comes (created or truncated): its whole log, where {@linkcode ServerProcess.log}
   * keeps only the last lines.
   */
  logFile?: string;
}

/**
 * Splits a `LABEL=COMMAND` flag value into a spec run by `sh -c "exec COMMAND"`,
 * so that the process measured is the server itself.
 *
 * @example A C server on a free port
 * ```ts
 * import { parseServerSpec } from "./server_process.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = parseServerSpec("cchat=./cchat --port {port}");
 * assert.equal(spec.label, "cchat");
 * assert.deepEqual(spec.command, ["sh", "-c", "exec ./cchat --port {port}"]);
 * ```
 *
 * @param value `LABEL=COMMAND`.
 * @returns The spec.
 * @throws {SyntaxError} When there is no label or no command.
 */
export function parseServerSpec(value: string): ServerSpec {
  const at = value.indexOf("=");
  const label = value.slice(0, Math.max(at, 0)).trim();
  const command = value.slice(at + 1).trim();
  if (at <= 0 || label === "" || command === "") {
    throw new SyntaxError(`Cannot parse server "${value}": expected LABEL=COMMAND`);
  }
  return { label, command: ["sh", "-c", `exec ${command}`] };
}

const LISTENING = /listening on \[?([^\s\]]*)\]?:(\d+)/;
const READY_TIMEOUT_MS = 15_000;
const LOG_LINES_KEPT = 20;

/** Picks a TCP port on 127.0.0.1 that is free right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Whether the metrics door on `port` answers `/healthz` with 200.
 *
 * @param port The metrics door's port on 127.0.0.1.
 * @returns `true` when healthy.
 */
export async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * The figures of the metrics door on `port` (`/metrics`, unlabelled samples only).
 *
 * @param port The metrics door's port on 127.0.0.1.
 * @returns Each sample's name to its value, or null when it does not answer.
 */
export async function metrics(port: number): Promise<Map<string, number> | null> {
  try {
    // A node busy with a login storm may take seconds to answer; past 10, no figures.
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const values = new Map<string, number>();
    for (const line of text.split("\n")) {
      const match = /^([a-z_]+) (\S+)$/.exec(line);
      if (match !== null) values.set(match[1]!, Number(match[2]));
    }
    return values;
  } catch {
    return null;
  }
}

async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads one field of `/proc/PID/status` in KiB, or null.
 *
 * @param pid The process.
 * @param field `VmRSS` (resident memory now) or `VmHWM` (its peak).
 * @returns The value in KiB, or null when the process or the field is gone.
 */
export function procStatusKiB(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

async function writeAllTo(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

// USER_HZ, the unit of /proc/PID/stat times: 100 on every mainstream Linux.
const CLOCK_TICKS = 100;

/** A server running as a child process. */
export class ServerProcess {
  /** Its label in the tables. */
  readonly label: string;
  readonly #child: Deno.ChildProcess;
  readonly #log: string[] = [];
  readonly #draining: Promise<void>[];
  readonly #logFile: Deno.FsFile | undefined;
  #logWrites: Promise<unknown> = Promise.resolve();
  readonly #exited: Promise<Deno.CommandStatus>;
  #hasExited = false;
  #announcedPort = 0;
  #port = 0;
  #readyLine: RegExp | undefined;
  #readyLineSeen = false;
  /** The port of its metrics door, or 0. */
  readonly metricsPort: number;

  private constructor(spec: ServerSpec, command: readonly string[]) {
    this.label = spec.label;
    this.#readyLine = spec.readyLine;
    this.#readyLineSeen = spec.readyLine === undefined;
    this.metricsPort = spec.metricsPort ?? 0;
    this.#logFile = spec.logFile === undefined
      ? undefined
      : Deno.openSync(spec.logFile, { write: true, create: true, truncate: true });
    const [program, ...args] = command;
    this.#child = new Deno.Command(program!, {
      args,
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#exited = this.#child.status;
    this.#exited.then(() => this.#hasExited = true);
    this.#draining = [this.#drain(this.#child.stdout), this.#drain(this.#child.stderr)];
  }

  /**
   * Starts a server and resolves once it accepts connections.
   *
   * @param spec How to start it.
   * @returns The running server.
   * @throws {Error} When it exits or is not ready in time (15 s unless told);
   * the message holds the end of its log.
   */
  static async start(spec: ServerSpec): Promise<ServerProcess> {
    const port = spec.command.some((arg) => arg.includes("{port}")) ? freePort() : 0;
    const command = spec.command.map((arg) => arg.replaceAll("{port}", String(port)));
    const server = new ServerProcess(spec, command);
    try {
      server.#port = await server.#waitUntilReady(port, spec.readyTimeoutMs ?? READY_TIMEOUT_MS);
    } catch (error) {
      await server.stop();
      throw new Error(
        `Cannot start ${spec.label}: ${errorMessage(error)}${
          server.#log.length > 0 ? `; its log ends with:\n${server.#log.join("\n")}` : ""
        }`,
      );
    }
    return server;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The port it listens on, on 127.0.0.1. */
  get port(): number {
    return this.#port;
  }

  /** The last lines it logged. */
  get log(): readonly string[] {
    return this.#log;
  }

  /** Its resident memory (VmRSS) in KiB, or null when unknown. */
  rssKiB(): number | null {
    return procStatusKiB(this.pid, "VmRSS");
  }

  /** Its peak resident memory (VmHWM) in KiB, or null when unknown. */
  peakRssKiB(): number | null {
    return procStatusKiB(this.pid, "VmHWM");
  }

  /** The CPU seconds (user + system, all threads) it has used, or null when unknown. */
  cpuS(): number | null {
    try {
      const stat = Deno.readTextFileSync(`/proc/${this.pid}/stat`);
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return null;
    }
  }

  /** Whether it is still running. */
  get running(): boolean {
    return !this.#hasExited;
  }

  /** Stops it with SIGTERM, or SIGKILL after 5 s, and waits for its end. */
  async stop(): Promise<void> {
    if (this.running) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // it has just exited
      }
      for (let waited = 0; this.running && waited < 5000; waited += 20) await delay(20);
      if (this.running) {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // it has just exited
        }
      }
    }
    await this.#exited;
    await Promise.allSettled(this.#draining);
    await this.#logWrites.catch(() => {});
    try {
      this.#logFile?.close();
    } catch {
      // already closed
    }
  }

  async #waitUntilReady(port: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#hasExited) throw new Error("it exited");
      const candidate = port > 0 ? port : this.#announcedPort;
      if (
        candidate > 0 && this.#readyLineSeen && await accepts(candidate) &&
        (this.metricsPort === 0 || await healthy(this.metricsPort))
      ) {
        return candidate;
      }
      await delay(50);
    }
    throw new Error(
      !this.#readyLineSeen
        ? `it logged no line matching ${this.#readyLine}`
        : port > 0
        ? `it does not accept connections on port ${port}${
          this.metricsPort === 0 ? "" : `, or its /healthz is not ok`
        }`
        : `it logged no "listening on HOST:PORT" line`,
    );
  }

  /**
   * Reads a pipe to its end (a full pipe would block the server), keeping the last
   * lines, and writing every line to the log file when there is one.
   */
  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      const text = decoder.decode(bytes, { stream: true });
      const file = this.#logFile;
      if (file !== undefined) {
        // Whole lines only, so that two pipes do not interleave within a line.
        const end = text.lastIndexOf("\n");
        if (end >= 0) {
          const chunk = new TextEncoder().encode(partial + text.slice(0, end + 1));
          this.#logWrites = this.#logWrites.then(() => writeAllTo(file, chunk)).catch(() => {});
        }
      }
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const line of lines) this.#keep(line);
    }
    if (partial !== "") {
      this.#keep(partial);
      const file = this.#logFile;
      if (file !== undefined) {
        const chunk = new TextEncoder().encode(`${partial}\n`);
        this.#logWrites = this.#logWrites.then(() => writeAllTo(file, chunk)).catch(() => {});
      }
    }
  }

  #keep(line: string): void {
    this.#log.push(line);
    if (this.#log.length > LOG_LINES_KEPT) this.#log.shift();
    if (!this.#readyLineSeen && this.#readyLine!.test(line)) this.#readyLineSeen = true;
    if (this.#announcedPort === 0) {
      const match = LISTENING.exec(line);
      if (match !== null) this.#announcedPort = Number(match[2]);
    }
  }
}
