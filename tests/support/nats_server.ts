/**
 * A real `nats-server -js` for tests: on a free port of 127.0.0.1, with a temporary
 * store, stopped, killed and restarted as the fault cases need.
 *
 * @module
 */

import { findNatsServer as locateNatsServer } from "../../bench/targets.ts";

/** Where nats-server was found, or why it cannot be used. */
export interface NatsAvailability {
  /** The executable's path, when found. */
  readonly path?: string;
  /** Why the NATS tests cannot run, when not found. */
  readonly reason?: string;
}

/**
 * Looks for `nats-server` as the benchmarks do (`$NATS_SERVER`, then `$PATH`,
 * then `/usr/sbin`).
 *
 * @returns Its path, or the reason it is missing with the install command.
 */
export function findNatsServer(): NatsAvailability {
  return locateNatsServer();
}

/** Whether the environment says it is CI, where a missing nats-server is a failure. */
export function inCI(): boolean {
  return Deno.env.get("CI") === "true";
}

let reported = false;

/**
 * Registers a test that needs nats-server: ignored with the reason printed when it
 * is missing, except in CI, where the test runs and fails.
 *
 * @param name The test's name.
 * @param fn The test.
 * @param options Extra `Deno.test` options (sanitizers).
 */
export function natsTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
  options: Omit<Deno.TestDefinition, "name" | "fn" | "ignore"> = {},
): void {
  const { reason } = findNatsServer();
  const ignore = reason !== undefined && !inCI();
  if (ignore && !reported) {
    reported = true;
    console.error(`NATS tests ignored: ${reason}`);
  }
  Deno.test({ ...options, name, fn, ignore });
}

/** Picks a port of 127.0.0.1 that nothing listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * A `nats-server -js` child process, listening on 127.0.0.1, its store in a
 * temporary directory that {@linkcode NatsServer.stop} with `remove` or disposal
 * deletes. Its log goes to `server.log` in that directory.
 */
export class NatsServer implements AsyncDisposable {
  /** The port it listens on, the same across restarts. */
  readonly port: number;
  /** The store directory (`-sd`), the same across restarts. */
  readonly storeDir: string;
  readonly #path: string;
  #child: Deno.ChildProcess | undefined;

  private constructor(path: string, port: number, storeDir: string) {
    this.#path = path;
    this.port = port;
    this.storeDir = storeDir;
  }

  /**
   * Starts nats-server with JetStream and waits until it accepts connections.
   *
   * @param args Extra flags, e.g. `["--user", "u", "--pass", "p"]`.
   * @returns The running server.
   * @throws {Error} When nats-server is missing (the reason names the install
   * command) or does not start listening within 10 s.
   */
  static async start(args: readonly string[] = []): Promise<NatsServer> {
    const { path, reason } = findNatsServer();
    if (path === undefined) throw new Error(reason);
    const storeDir = await Deno.makeTempDir({ prefix: "wirechat_nats_" });
    const server = new NatsServer(path, freePort(), storeDir);
    server.#extraArgs = [...args];
    try {
      await server.#spawn();
    } catch (error) {
      await Deno.remove(storeDir, { recursive: true }).catch(() => {});
      throw error;
    }
    return server;
  }

  #extraArgs: string[] = [];

  /** `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Whether the process runs. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Stops it with SIGTERM (a clean shutdown) and waits for its exit. */
  async stop(): Promise<void> {
    await this.#end("SIGTERM");
  }

  /** Kills it with SIGKILL (no shutdown at all) and waits for its exit. */
  async kill(): Promise<void> {
    await this.#end("SIGKILL");
  }

  /** Freezes it with SIGSTOP: connections stay open, nothing is read or answered. */
  freeze(): void {
    this.#child?.kill("SIGSTOP");
  }

  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void {
    this.#child?.kill("SIGCONT");
  }

  /** Stops it if it runs, then starts it again on the same port with the same store. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  /** Stops it and deletes its store. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await Deno.remove(this.storeDir, { recursive: true }).catch(() => {});
  }

  async #spawn(): Promise<void> {
    const logFile = `${this.storeDir}/server.log`;
    this.#child = new Deno.Command(this.#path, {
      args: [
        "-js",
        "-a",
        "127.0.0.1",
        "-p",
        String(this.port),
        "-sd",
        this.storeDir,
        "-l",
        logFile,
        ...this.#extraArgs,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await this.#ready()) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        this.#child.status.then(() => true),
        new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 50)),
      ]);
      clearTimeout(timer);
      if (exited) {
        this.#child = undefined;
        const log = await Deno.readTextFile(logFile).catch(() => "");
        throw new Error(`nats-server exited at start: ${log.trim().split("\n").at(-1) ?? ""}`);
      }
    }
    await this.kill();
    throw new Error(`nats-server did not listen on 127.0.0.1:${this.port} within 10 s`);
  }

  // Listening and JetStream up: the server greets with INFO and mentions jetstream.
  async #ready(): Promise<boolean> {
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
    } catch {
      return false;
    }
    try {
      const buffer = new Uint8Array(4096);
      const read = await conn.read(buffer);
      const info = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
      return info.startsWith("INFO") && info.includes('"jetstream":true');
    } catch {
      return false;
    } finally {
      conn.close();
    }
  }

  async #end(signal: Deno.Signal): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    try {
      child.kill(signal);
    } catch {
      // Already exited.
    }
    await child.status;
  }
}
