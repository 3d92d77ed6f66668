/**
 * A raw protocol client for tests: it speaks the wire format byte by byte, so that
 * tests can send anything, well-formed or not, and see exactly what comes back.
 *
 * @module
 */

import { type ChatMessage, ClientDecoder, encodeString } from "../../mod.ts";

// A deadline catches a hang, not slowness: long enough for a machine under load.
const DEADLINE = 20_000;

/** How a connection ended, seen from the peer. */
export type Ending = "closed" | "reset";

/** A test client on a real TCP connection. */
export class ChatPeer {
  readonly conn: Deno.TcpConn;
  readonly #messages: ChatMessage[] = [];
  readonly #waiters: (() => void)[] = [];
  #ended: Ending | undefined;
  #reading = false;
  readonly #decoder = new ClientDecoder((message) => {
    this.#messages.push(message);
    this.#wake();
  });

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to `port` on 127.0.0.1, without logging in. */
  static async connect(port: number): Promise<ChatPeer> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new ChatPeer(conn);
  }

  /** Connects and logs in as `username`. */
  static async login(port: number, username: string): Promise<ChatPeer> {
    const peer = await ChatPeer.connect(port);
    await peer.sendString(username);
    return peer;
  }

  /** Sends one string frame (a login or a message). */
  sendString(text: string): Promise<void> {
    return this.sendRaw(encodeString(text));
  }

  /** Sends raw bytes, all of them. */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }

  /** Starts reading and decoding what the server sends (once). */
  startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#readLoop();
  }

  /** Messages received so far. */
  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }

  /** How the connection ended, once it has. */
  get ended(): Ending | undefined {
    return this.#ended;
  }

  /** Waits until `count` messages have arrived; fails after `timeout` ms. */
  async waitForMessages(count: number, timeout = DEADLINE): Promise<ChatMessage[]> {
    this.startReading();
    await this.#until(() => this.#messages.length >= count || this.#ended !== undefined, timeout);
    if (this.#messages.length < count) {
      throw new Error(
        `Expected ${count} messages, got ${this.#messages.length} (connection ${
          this.#ended ?? "open"
        })`,
      );
    }
    return this.#messages.slice(0, count);
  }

  /** Waits until a message with `text` has arrived; fails after `timeout` ms. */
  async waitForText(text: string, timeout = DEADLINE): Promise<ChatMessage> {
    this.startReading();
    const find = () => this.#messages.find((message) => message.text === text);
    await this.#until(() => find() !== undefined || this.#ended !== undefined, timeout);
    const found = find();
    if (found === undefined) {
      throw new Error(`No message "${text}" arrived (connection ${this.#ended ?? "open"})`);
    }
    return found;
  }

  /** Waits until the server ends the connection; fails after `timeout` ms. */
  async waitForEnd(timeout = DEADLINE): Promise<Ending> {
    this.startReading();
    await this.#until(() => this.#ended !== undefined, timeout);
    if (this.#ended === undefined) throw new Error(`The connection is still open`);
    return this.#ended;
  }

  /** Closes the connection (idempotent) and waits for the read loop to stop. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    if (this.#reading) await this.#until(() => this.#ended !== undefined, 5000);
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const read = await this.conn.read(buffer);
        if (read === null) break;
        this.#decoder.push(buffer.subarray(0, read));
      }
      this.#ended = "closed";
    } catch (error) {
      this.#ended = error instanceof Deno.errors.ConnectionReset ? "reset" : "closed";
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #until(condition: () => boolean, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }
}
