/**
 * A TLS connection (a `node:tls` socket) seen as a session's {@linkcode Link}.
 *
 * @module
 */

import { takeChunks } from "./chunk_queue.ts";
import type { Duplex } from "node:stream";
import type { Link } from "../session/link.ts";

/** Options of a {@linkcode TlsLink}. */
export interface TlsLinkOptions {
  /**
   * Received bytes the link queues for a session that is not reading before it
   * stops reading the socket (and the peer's sends wait in TCP's window).
   *
   * @default {16384}
   */
  readonly maxQueuedBytes?: number;
  /**
   * The most bytes one write takes: a write resolves once they are handed to
   * the connection.
   *
   * @default {65536}
   */
  readonly maxWriteBytes?: number;
  /**
   * The stream under the socket, paused and resumed with it: a `node:tls` socket
   * over a JS stream does not stop reading that stream when it is paused.
   */
  readonly transport?: Duplex | undefined;
}

/**
 * A {@linkcode Link} over a node stream (a `tls.TLSSocket` whose handshake is
 * done): reads come from a small queue that pauses the socket when it passes
 * `maxQueuedBytes`, so a session that stops reading holds its sender back (the
 * link is pausable); a write resolves when the socket's write callback says the
 * bytes are gone.
 *
 * @example Bytes through a link over a pair of streams
 * ```ts
 * import { TlsLink } from "./tls_link.ts";
 * import { PassThrough } from "node:stream";
 * import assert from "node:assert/strict";
 *
 * const socket = new PassThrough();
 * const link = new TlsLink(socket);
 * socket.write(new Uint8Array([1, 2, 3]));
 * const buffer = new Uint8Array(8);
 * assert.equal(await link.read(buffer), 3);
 * link.close();
 * assert.equal(await link.read(buffer), null);
 * ```
 */
export class TlsLink implements Link {
  /** Not reading holds the peer back. */
  readonly pausable = true;
  readonly #socket: Duplex;
  readonly #transport: Duplex | undefined;
  readonly #maxQueued: number;
  readonly #maxWrite: number;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  /**
   * Takes over `socket`'s reads.
   *
   * @param socket A connected stream: a TLS socket past its handshake.
   * @param options Limits.
   */
  constructor(socket: Duplex, options: TlsLinkOptions = {}) {
    this.#socket = socket;
    this.#maxQueued = options.maxQueuedBytes ?? 16 * 1024;
    this.#maxWrite = options.maxWriteBytes ?? 64 * 1024;
    this.#transport = options.transport;
    socket.on("data", (chunk: Uint8Array) => {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued >= this.#maxQueued) {
        socket.pause();
        this.#transport?.pause();
      }
      this.#signal();
    });
    socket.on("end", () => this.#end());
    socket.on("close", () => this.#end());
    socket.on("error", (error: unknown) => {
      this.#error ??= error;
      this.#end();
    });
  }

  /**
   * Reads the next received bytes into `buffer`.
   *
   * @param buffer Where to copy them.
   * @returns How many were copied, or `null` once the peer closed and every byte
   * before was read.
   * @throws {Error} What failed the socket.
   */
  /** Words a TLS socket's error: the alert or fault, on one line. */
  describeError(error: unknown): string | undefined {
    if (!(error instanceof Error)) return undefined;
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string" || !/SSL|TLS/.test(code)) return undefined;
    return `TLS error: ${error.message.replace(/\s+/g, " ").trim()}`;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return null;
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const copied = takeChunks(this.#queue, buffer);
    this.#queued -= copied;
    if (this.#queued < this.#maxQueued && this.#socket.isPaused() && !this.#ended) {
      this.#socket.resume();
      this.#transport?.resume();
    }
    return copied;
  }

  /**
   * Writes up to `maxWriteBytes` of `bytes`, and resolves once the socket took them.
   *
   * @param bytes What to send.
   * @returns How many bytes were written.
   * @throws {Deno.errors.BrokenPipe} When the socket is closed or fails.
   */
  write(bytes: Uint8Array): Promise<number> {
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) {
      return Promise.reject(new Deno.errors.BrokenPipe("Cannot write: the TLS link is closed"));
    }
    const chunk = bytes.length > this.#maxWrite ? bytes.subarray(0, this.#maxWrite) : bytes;
    return new Promise((resolve, reject) => {
      socket.write(chunk, (error) => {
        if (error) reject(new Deno.errors.BrokenPipe(`Cannot write: ${error.message}`));
        else resolve(chunk.length);
      });
    });
  }

  /** Closes the connection at once; a pending read then ends. */
  close(): void {
    this.#queue = [];
    this.#queued = 0;
    this.#socket.destroy();
    this.#end();
  }

  #end(): void {
    this.#ended = true;
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
