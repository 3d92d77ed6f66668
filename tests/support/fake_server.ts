/**
 * A scriptable server on 127.0.0.1: the test decides every byte it sends and
 * sees every byte it receives, so that a client can be tested against servers
 * that misbehave.
 *
 * @module
 */

/** How a {@linkcode FakeServer} behaves on its own. */
export interface FakeServerOptions {
  /**
   * Whether a connection closes once the client has shut its side, as a real
   * server's does.
   *
   * @default {true}
   */
  closeOnEnd?: boolean;
  /**
   * A certificate and its key, PEM: the server then speaks TLS, on a
   * `Deno.listenTls` listener.
   */
  tls?: { cert: string; key: string };
}

/** A listener on 127.0.0.1, port 0, that hands over each connection. */
export class FakeServer implements AsyncDisposable {
  readonly #listener: Deno.Listener<Deno.Conn<Deno.NetAddr>, Deno.NetAddr>;
  readonly #peers = new Set<FakePeer>();
  readonly #closeOnEnd: boolean;

  constructor(options: FakeServerOptions = {}) {
    this.#closeOnEnd = options.closeOnEnd ?? true;
    this.#listener = options.tls === undefined
      ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
      : Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...options.tls });
  }

  /** The port it listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Waits for the next connection. */
  async accept(): Promise<FakePeer> {
    const peer = new FakePeer(await this.#listener.accept(), this.#closeOnEnd);
    this.#peers.add(peer);
    return peer;
  }

  /** Stops listening and closes every connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await Promise.all([...this.#peers].map((peer) => peer.close()));
  }
}

/** One connection, seen from the server's side. */
export class FakePeer {
  readonly #conn: Deno.Conn;
  #received = new Uint8Array(0);
  #ended = false;
  #closed = false;
  #changed = Promise.withResolvers<void>();
  readonly #reading: Promise<void>;
  readonly #closeOnEnd: boolean;

  constructor(conn: Deno.Conn, closeOnEnd: boolean) {
    this.#conn = conn;
    this.#closeOnEnd = closeOnEnd;
    this.#reading = this.#read();
  }

  /** Every byte received so far. */
  get received(): Uint8Array {
    return this.#received;
  }

  /** Whether the client has shut its side (end of stream). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Waits until `size` bytes have been received in all, or the stream ended.
   *
   * @returns Every byte received so far.
   */
  async receive(size: number): Promise<Uint8Array> {
    while (this.#received.length < size && !this.#ended) await this.#changed.promise;
    return this.#received;
  }

  /**
   * Waits until the client shuts its side.
   *
   * @returns Every byte received.
   */
  async untilEnd(): Promise<Uint8Array> {
    while (!this.#ended) await this.#changed.promise;
    return this.#received;
  }

  /** Writes every byte, in one `write` call per chunk given. */
  async send(...chunks: Uint8Array[]): Promise<void> {
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length;) at += await this.#conn.write(chunk.subarray(at));
    }
  }

  /** Shuts the server's side for writing: the client reads the end of the stream. */
  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite();
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#conn.close();
    }
    await this.#reading;
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const read = await this.#conn.read(buffer);
        if (read === null) break;
        const joined = new Uint8Array(this.#received.length + read);
        joined.set(this.#received);
        joined.set(buffer.subarray(0, read), this.#received.length);
        this.#received = joined;
        this.#signal();
      }
    } catch {
      // Closed by the test, or reset by the client: the stream ends either way.
    }
    this.#ended = true;
    if (this.#closeOnEnd && !this.#closed) {
      this.#closed = true;
      this.#conn.close();
    }
    this.#signal();
  }

  #signal(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers();
  }
}
