/**
 * One TCP connection of the kit to the server under test: it sends any bytes
 * and records every frame that comes back, how the connection ended and
 * whether anything received broke the protocol.
 *
 * @module
 */

import { Waiters } from "./waiters.ts";
import { FrameReader, type ReceivedFrame } from "./wire.ts";

/** How the server ended a connection: a clean close, or a reset. */
export type Ending = "closed" | "reset";

/** A connection to the server under test. */
export class Peer {
  /** The name it logs in with, or a label for a connection that does not. */
  readonly label: string;
  readonly #conn: Deno.TcpConn;
  readonly #reader: FrameReader;
  readonly #frames: ReceivedFrame[] = [];
  readonly #waiters = new Waiters();
  readonly #loop: Promise<void>;
  #ended: Ending | undefined;
  #closing = false;
  #received = 0;

  private constructor(label: string, conn: Deno.TcpConn, maxSize: number) {
    this.label = label;
    this.#conn = conn;
    this.#reader = new FrameReader(maxSize);
    this.#loop = this.#read();
  }

  /**
   * Connects to the server.
   *
   * @param hostname The server's host.
   * @param port The server's port.
   * @param label The peer's name in reports.
   * @param maxSize The largest string size accepted in a frame.
   * @returns The connected peer, reading.
   */
  static async connect(
    hostname: string,
    port: number,
    label: string,
    maxSize: number,
  ): Promise<Peer> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new Peer(label, conn, maxSize);
  }

  /** The frames received so far (after the last {@linkcode Peer.clear}). */
  get frames(): readonly ReceivedFrame[] {
    return this.#frames;
  }

  /** Every byte received, frames or not. */
  get bytesReceived(): number {
    return this.#received;
  }

  /** How the server ended the connection, once it has. */
  get ended(): Ending | undefined {
    return this.#ended;
  }

  /** What broke the protocol in what the server sent, if anything did. */
  get problem(): string | undefined {
    return this.#reader.problem;
  }

  /** Bytes received that do not make a whole frame. */
  get pendingBytes(): number {
    return this.#reader.pending;
  }

  /** Forgets the frames received so far. */
  clear(): void {
    this.#frames.length = 0;
  }

  /**
   * Sends bytes, all of them.
   *
   * @param bytes What to send.
   * @returns Whether they were all written (false once the server has closed).
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
   * Sends bytes in pieces of `step` bytes, `pauseMs` apart, so that each piece
   * leaves in a TCP segment of its own.
   *
   * @param bytes What to send.
   * @param step Bytes per piece.
   * @param pauseMs Milliseconds between pieces.
   * @returns Whether every piece was written.
   */
  async trickle(bytes: Uint8Array, step: number, pauseMs: number): Promise<boolean> {
    for (let at = 0; at < bytes.length; at += step) {
      if (at > 0) await delay(pauseMs);
      if (!await this.send(bytes.subarray(at, at + step))) return false;
    }
    return true;
  }

  /**
   * Waits until `ready()` holds, or the time is up. It is asked again after
   * every chunk received and when the connection ends.
   *
   * @param ready The condition.
   * @param timeoutMs The most milliseconds to wait.
   * @returns Whether it held.
   */
  until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.#waiters.until(ready, timeoutMs);
  }

  /**
   * Waits for a frame that matches.
   *
   * @param match Which frame.
   * @param timeoutMs The most milliseconds to wait.
   * @returns The frame, or undefined when none came.
   */
  async frame(
    match: (frame: ReceivedFrame) => boolean,
    timeoutMs: number,
  ): Promise<ReceivedFrame | undefined> {
    let found: ReceivedFrame | undefined;
    await this.until(() => (found = this.#frames.find(match)) !== undefined, timeoutMs);
    return found;
  }

  /**
   * Waits until the server has ended the connection.
   *
   * @param timeoutMs The most milliseconds to wait.
   * @returns Whether it ended.
   */
  closedWithin(timeoutMs: number): Promise<boolean> {
    return this.until(() => this.#ended !== undefined, timeoutMs);
  }

  /** Closes the connection (if the server has not) and waits for the reading to stop. */
  async close(): Promise<void> {
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

  async #read(): Promise<void> {
    const buffer = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) {
          this.#ended = "closed";
          break;
        }
        this.#received += n;
        this.#frames.push(...this.#reader.push(buffer.subarray(0, n)));
        this.#wake();
      }
    } catch {
      if (!this.#closing) this.#ended = "reset";
    }
    if (!this.#closing) {
      this.#closing = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
    this.#wake();
  }

  #wake(): void {
    this.#waiters.wake();
  }
}

/** Waits `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
