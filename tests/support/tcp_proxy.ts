/**
 * A TCP proxy on the loopback interface whose connections a test can cut, to
 * lose a client's connection while the server stays up.
 *
 * @module
 */

interface Pair {
  readonly down: Deno.Conn;
  readonly up: Deno.Conn;
  // Cut on the client's side; the server's side is left open until released.
  held: boolean;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Forwards connections on a free port of 127.0.0.1 to a port of 127.0.0.1. */
export class TcpProxy implements AsyncDisposable {
  /** The port to connect to. */
  readonly port: number;
  readonly #target: number;
  readonly #listener: Deno.TcpListener;
  readonly #pairs = new Set<Pair>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;

  /** @param target The port connections are forwarded to. */
  constructor(target: number) {
    this.#target = target;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#accepting = this.#accept();
  }

  /**
   * Closes the client's side of every connection now; the server's side stays
   * open, as if the client had vanished, until {@linkcode TcpProxy.release}.
   */
  cut(): void {
    for (const pair of this.#pairs) {
      pair.held = true;
      closeQuietly(pair.down);
    }
  }

  /** Closes the server's side of the connections cut. */
  release(): void {
    for (const pair of this.#pairs) {
      if (pair.held) {
        closeQuietly(pair.up);
        this.#pairs.delete(pair);
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#accepting;
    for (const pair of this.#pairs) {
      closeQuietly(pair.down);
      closeQuietly(pair.up);
    }
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }

  async #accept(): Promise<void> {
    try {
      for await (const down of this.#listener) {
        let up: Deno.Conn;
        try {
          up = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
        } catch {
          closeQuietly(down);
          continue;
        }
        const pair: Pair = { down, up, held: false };
        this.#pairs.add(pair);
        this.#track(this.#pump(pair, down, up));
        this.#track(this.#pump(pair, up, down));
      }
    } catch {
      // The listener was closed.
    }
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  async #pump(pair: Pair, from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const read = await from.read(buffer);
        if (read === null) break;
        let written = 0;
        while (written < read) written += await to.write(buffer.subarray(written, read));
      }
    } catch {
      // One side is gone.
    }
    closeQuietly(pair.down);
    if (!pair.held) {
      closeQuietly(pair.up);
      this.#pairs.delete(pair);
    }
  }
}
