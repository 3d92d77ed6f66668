/**
 * The kit's own server for the client cases: it accepts the client under test,
 * reads the strings it sends (strictly: a size that cannot be right is reported),
 * and sends it whatever a case scripts, well-formed or hostile.
 *
 * @module
 */

import { Waiters } from "./waiters.ts";
import { concatBytes, hex } from "./wire.ts";

/** The connection of the client under test, seen from the kit's server. */
export class ScriptedConnection {
  readonly #conn: Deno.TcpConn;
  readonly #maxSize: number;
  readonly #strings: Uint8Array[] = [];
  readonly #waiters = new Waiters();
  readonly #loop: Promise<void>;
  #buffer: Uint8Array = new Uint8Array(0);
  #problem: string | undefined;
  #ended = false;
  #closing = false;
  #read = 0;
  #paused: PromiseWithResolvers<void> | undefined;

  /**
   * @param conn The accepted connection.
   * @param maxSize The largest string size believed.
   */
  constructor(conn: Deno.TcpConn, maxSize: number) {
    this.#conn = conn;
    this.#maxSize = maxSize;
    this.#loop = this.#readLoop();
  }

  /** The strings received so far, as raw payloads: the login first. */
  get strings(): readonly Uint8Array[] {
    return this.#strings;
  }

  /** What was wrong with the bytes received, once something was. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** Whether the client has closed its connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes received that make no whole string. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Waits until `ready()` holds, or the time is up.
   *
   * @param ready The condition, asked after each chunk and at the end.
   * @param timeoutMs The most milliseconds to wait.
   * @returns Whether it held.
   */
  until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.#waiters.until(ready, timeoutMs);
  }

  /**
   * Sends bytes to the client.
   *
   * @param bytes What to send.
   * @returns Whether all were written.
   */
  async send(bytes: Uint8Array): Promise<boolean> {
    try {
      for (let at = 0; at < bytes.length;) at += await this.#conn.write(bytes.subarray(at));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stops reading what the client sends (after the read in progress), so that
   * its writes back up, as with a server that never reads.
   */
  pause(): void {
    this.#paused ??= Promise.withResolvers<void>();
  }

  /** Closes the connection and waits for the reading to stop. */
  async close(): Promise<void> {
    this.#paused?.resolve();
    if (!this.#closing) {
      this.#closing = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#loop;
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      while (true) {
        if (this.#paused !== undefined) await this.#paused.promise;
        if (this.#closing) break;
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        this.#read += n;
        this.#take(chunk.subarray(0, n));
        this.#wake();
      }
    } catch {
      // Reset, or closed by the kit.
    }
    this.#ended = true;
    this.#wake();
  }

  #take(chunk: Uint8Array): void {
    if (this.#problem !== undefined) return;
    this.#buffer = concatBytes(this.#buffer, chunk);
    let at = 0;
    const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset);
    while (this.#buffer.length - at >= 4) {
      const size = view.getUint32(at);
      if (size > this.#maxSize) {
        this.#problem = `a string size of ${size} (size bytes ${
          hex(this.#buffer.subarray(at, at + 4))
        }), more than the limit of ${this.#maxSize}`;
        break;
      }
      if (this.#buffer.length - at < 4 + size) break;
      this.#strings.push(this.#buffer.slice(at + 4, at + 4 + size));
      at += 4 + size;
    }
    this.#buffer = this.#buffer.slice(at);
  }

  #wake(): void {
    this.#waiters.wake();
  }
}

/** A listener on 127.0.0.1 and a free port, for one client. */
export class ScriptedServer {
  readonly #listener: Deno.TcpListener;
  #accepted: ScriptedConnection | undefined;

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  }

  /** The port the client is to connect to. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /**
   * Waits for the client's connection.
   *
   * @param maxSize The largest string size believed.
   * @param timeoutMs The most milliseconds to wait.
   * @param giveUp Stops the wait early when it settles (the client has exited).
   * @returns The connection, or undefined when none came.
   */
  async accept(
    maxSize: number,
    timeoutMs: number,
    giveUp: Promise<unknown> = new Promise(() => {}),
  ): Promise<ScriptedConnection | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      giveUp.then(() => resolve(undefined), () => resolve(undefined));
    });
    const accepting = this.#listener.accept().then(
      (conn) => {
        conn.setNoDelay(true);
        this.#accepted = new ScriptedConnection(conn, maxSize);
        return this.#accepted;
      },
      () => undefined,
    );
    const result = await Promise.race([accepting, timeout]);
    clearTimeout(timer);
    if (result === undefined) {
      this.#listener.close();
      await accepting;
    }
    return result;
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#accepted?.close();
  }
}
