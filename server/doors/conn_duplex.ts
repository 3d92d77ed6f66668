/**
 * A small node `Duplex` around a `Deno.Conn`, so that `node:tls`, `node:http` and
 * `npm:ws` can run over a connection our own accept loop took.
 *
 * @module
 */

import { Duplex } from "node:stream";
import { closeQuietly } from "./door.ts";

/**
 * How many bytes the first read of a connection takes, and an idle connection's
 * read: a small buffer, so that an idle connection costs little
 * (`Duplex.fromWeb` holds about 97 KiB each). A read that fills its buffer
 * doubles the next one, up to {@linkcode CONN_MAX_READ_SIZE}.
 */
export const CONN_READ_SIZE = 1024;
/** The largest read of a busy connection. */
export const CONN_MAX_READ_SIZE = 16 * 1024;

/**
 * A node `Duplex` over a `Deno.Conn`: it reads a small buffer at a time while its
 * reader wants more (larger while the peer keeps it full), writes whole chunks
 * (those queued during a write in one), and closes the
 * connection when destroyed. It has the socket methods `node:http` and `npm:ws`
 * call (`setNoDelay`, `setKeepAlive`, `setTimeout`: the door owns its deadlines)
 * and the peer's address.
 *
 * @example Reading a connection through node streams
 * ```ts
 * import { ConnDuplex } from "./conn_duplex.ts";
 * import assert from "node:assert/strict";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const duplex = new ConnDuplex(await listener.accept());
 * const data = new Promise((resolve) => duplex.once("data", resolve));
 * await client.write(new TextEncoder().encode("hi"));
 * assert.equal(new TextDecoder().decode(await data as Uint8Array), "hi");
 * assert.equal(duplex.remoteAddress, "127.0.0.1");
 * duplex.destroy();
 * client.close();
 * ```
 */
export class ConnDuplex extends Duplex {
  /** The peer's address. */
  readonly remoteAddress: string;
  /** The peer's port. */
  readonly remotePort: number;
  /** The peer's address family, as node names it. */
  readonly remoteFamily: string;
  readonly #conn: Deno.Conn;
  #reading = false;
  #readSize = CONN_READ_SIZE;

  /**
   * Wraps `conn`; the duplex owns it from now on.
   *
   * @param conn An accepted TCP connection.
   * @param head Bytes already read from it, read first.
   */
  constructor(conn: Deno.Conn, head?: Uint8Array) {
    super({ allowHalfOpen: false, readableHighWaterMark: CONN_READ_SIZE });
    this.#conn = conn;
    if (head !== undefined && head.length > 0) this.push(head);
    const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
    this.remoteAddress = hostname;
    this.remotePort = port;
    this.remoteFamily = hostname.includes(":") ? "IPv6" : "IPv4";
  }

  /** The connection underneath. */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /** Nagle's algorithm is off already (the door tunes each connection). */
  setNoDelay(): this {
    return this;
  }

  /** Keep-alive is on already (the door tunes each connection). */
  setKeepAlive(): this {
    return this;
  }

  /** Does nothing: the door owns the connection's deadlines. */
  setTimeout(): this {
    return this;
  }

  /** Reads while the reader wants more, one small buffer at a time. */
  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#pump();
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (error?: Error | null) => void,
  ): void {
    writeAll(this.#conn, chunk).then(() => callback(), callback);
  }

  /** Writes every chunk queued while a write was in flight, in one write. */
  override _writev(
    chunks: { chunk: Uint8Array }[],
    callback: (error?: Error | null) => void,
  ): void {
    let size = 0;
    for (const { chunk } of chunks) size += chunk.length;
    const joined = new Uint8Array(size);
    let at = 0;
    for (const { chunk } of chunks) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    writeAll(this.#conn, joined).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    (this.#conn as Deno.TcpConn).closeWrite().then(() => callback(), () => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    closeQuietly(this.#conn);
    callback(error);
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        const buffer = new Uint8Array(this.#readSize);
        const count = await this.#conn.read(buffer);
        if (count === null) {
          this.push(null);
          return;
        }
        // A full buffer: the peer is busy, read more at once; else back to small.
        this.#readSize = count === buffer.length
          ? Math.min(buffer.length * 2, CONN_MAX_READ_SIZE)
          : CONN_READ_SIZE;
        if (!this.push(buffer.subarray(0, count))) break;
      }
    } catch (error) {
      if (!this.destroyed) this.destroy(error as Error);
    }
    this.#reading = false;
  }
}

/**
 * Reads the first bytes a peer sends (at most {@linkcode CONN_READ_SIZE}), to
 * tell what it speaks before a parser takes the connection.
 *
 * @param conn The connection.
 * @returns The bytes, or `null` when the peer closed (or the connection was
 * closed) first.
 */
export async function readHead(conn: Deno.Conn): Promise<Uint8Array | null> {
  const buffer = new Uint8Array(CONN_READ_SIZE);
  try {
    const count = await conn.read(buffer);
    return count === null ? null : buffer.subarray(0, count);
  } catch {
    return null;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}
