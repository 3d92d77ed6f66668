/**
 * A server on 127.0.0.1 that accepts connections and never reads from them: a
 * client writing to it fills the socket buffers, then stalls.
 *
 * @module
 */

/** A listener on 127.0.0.1, port 0, whose connections are never read. */
export class StalledServer implements AsyncDisposable {
  readonly #listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly #conns: Deno.Conn[] = [];
  readonly #accepting: Promise<void>;

  constructor() {
    this.#accepting = this.#accept();
  }

  /** The port it listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Stops listening and closes every connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#conns.push(conn);
    } catch {
      // Closed.
    }
  }
}
