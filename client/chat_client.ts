/**
 * The client library's connection: log in over an open connection, send
 * messages, receive them, close gracefully. {@linkcode connect} (in
 * `connect.ts`) opens the connection.
 *
 * @module
 */

import { formatHostPort } from "../cli/host_port.ts";
import { ClientDecoder } from "../protocol/client_decoder.ts";
import { encodeString } from "../protocol/encode.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { ChatMessage } from "../protocol/frames.ts";
import {
  DEFAULT_MAX_INCOMING_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_USERNAME_SIZE,
} from "../protocol/limits.ts";
import { validateUsername } from "../protocol/username.ts";
import { utf8ByteLength } from "../protocol/utf8.ts";
import {
  ConnectionClosedError,
  describeNetworkError,
  LoginRefusedError,
  MessageTooLargeError,
  WriteTimeoutError,
} from "./errors.ts";
import { SerialWriter } from "../io/serial_writer.ts";
import { type Farewell, LastWords } from "./last_words.ts";

/**
 * The user name and the limits of a {@linkcode ChatClient}, which takes a
 * connection that is already open.
 *
 * @example Logging in over a connection of one's own
 * ```ts
 * import { ChatClient, type ChatClientOptions } from "@wirechat/wirechat/client";
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
 * const options: ChatClientOptions = { username: "bob", maxMessageSize: 3000 };
 * await using client = new ChatClient(conn, options);
 * await client.send("hi");
 * for await (const { username } of client) {
 *   assert.equal(username, "bob");
 *   break;
 * }
 * ```
 */
export interface ChatClientOptions {
  /**
   * The user name to log in with: not empty, no control character, at most
   * `maxUsernameSize` bytes of UTF-8.
   */
  username: string;
  /**
   * The largest user name the server accepts, in UTF-8 bytes.
   *
   * @default {25}
   */
  maxUsernameSize?: number;
  /**
   * The largest message the server accepts, in UTF-8 bytes: a larger one is
   * refused locally, since the server would close the connection on it.
   *
   * @default {3000}
   */
  maxMessageSize?: number;
  /**
   * The largest user name or text accepted from the server, in UTF-8 bytes. It
   * bounds what a hostile server can make the client buffer.
   *
   * @default {16777216}
   */
  maxIncomingSize?: number;
  /**
   * How long {@linkcode ChatClient.close} waits, at most, for the last bytes to
   * be written and for the server to close its side, in milliseconds.
   *
   * @default {2000}
   */
  closeTimeout?: number;
  /**
   * How long a write to the server may make no progress, in milliseconds, before
   * the client gives up: the connection is closed, {@linkcode ChatClient.send}
   * rejects and iteration throws a {@linkcode WriteTimeoutError}. 0 waits for
   * ever.
   *
   * @default {30000}
   */
  writeTimeout?: number;
}

/**
 * How a connection ended, as {@linkcode ChatClient.closed} reports it:
 *
 * - `local`: `close()` was called, or the `signal` of {@linkcode connect} aborted;
 * - `remote`: the server closed the connection;
 * - `error`: the server broke the protocol (a `ProtocolError`) or the network
 *   failed (a {@linkcode ConnectionClosedError} whose `cause` is Deno's error).
 *
 * @example Saying how a connection ended
 * ```ts
 * import { type CloseReason, connect } from "@wirechat/wirechat/client";
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * function describe(reason: CloseReason): string {
 *   switch (reason.kind) {
 *     case "local":
 *       return "you left";
 *     case "remote":
 *       return "the server closed the connection";
 *     case "error":
 *       return `lost: ${reason.error.message}`;
 *   }
 * }
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const client = await connect({ hostname: "127.0.0.1", port: server.addr.port, username: "bob" });
 * await client.close();
 * assert.equal(describe(await client.closed), "you left");
 * ```
 */
export type CloseReason =
  | { readonly kind: "local" }
  | { readonly kind: "remote" }
  | { readonly kind: "error"; readonly error: Error };

const READ_BUFFER_SIZE = 16 * 1024;

// Connections whose login was sent already (authenticated by connect()).
const loggedIn = new WeakSet<Deno.Conn>();

/**
 * Marks a connection as logged in already (an authentication sent the login):
 * the {@linkcode ChatClient} made on it sends no login of its own.
 *
 * @param conn The connection.
 */
export function markLoggedIn(conn: Deno.Conn): void {
  loggedIn.add(conn);
}
// Received messages wait for the reader up to about this many UTF-16 code units
// (text plus an allowance per message); beyond it the client stops reading the
// socket until the reader catches up, and TCP pushes back on the server.
const INBOX_HIGH_WATER_MARK = 1024 * 1024;
const MESSAGE_ALLOWANCE = 64;
const DEFAULT_WRITE_TIMEOUT = 30_000;

// `host:port` of the server, as far as the connection tells.
function serverAddress(conn: Deno.Conn): string {
  const address = conn.remoteAddr;
  return "hostname" in address ? formatHostPort(address.hostname, address.port) : "unknown";
}

/**
 * A logged-in connection to a chat server: {@linkcode ChatClient.send} sends
 * messages; iterating the client receives every message the server relays, the
 * client's own included, in the server's order; {@linkcode ChatClient.close}
 * delivers what was sent, then closes.
 *
 * Received messages wait in a bounded buffer: a client that never iterates stops
 * reading the socket once the buffer is full, and a server then drops it as a slow
 * consumer.
 *
 * @example Two clients in one room
 * ```ts
 * import { connect } from "@wirechat/wirechat/client";
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const { port } = server.addr;
 * await using alice = await connect({ hostname: "127.0.0.1", port, username: "alice" });
 * await using bob = await connect({ hostname: "127.0.0.1", port, username: "bob" });
 *
 * // Bob's own echo tells him the server has his login: he is in the room.
 * await bob.send("hello");
 * for await (const _ of bob) break;
 *
 * await alice.send("hi bob");
 * for await (const { username, text } of bob) {
 *   assert.equal(`${username}: ${text}`, "alice: hi bob");
 *   break;
 * }
 * ```
 */
export class ChatClient implements AsyncIterable<ChatMessage>, AsyncDisposable {
  /** The user name the client logged in with. */
  readonly username: string;
  /** The largest message {@linkcode ChatClient.send} sends, in UTF-8 bytes. */
  readonly maxMessageSize: number;

  readonly #conn: Deno.Conn;
  readonly #closeTimeout: number;
  readonly #writer: SerialWriter;
  readonly #messages: ReadableStream<ChatMessage>;
  #inbox!: ReadableStreamDefaultController<ChatMessage>;
  #wantMore: PromiseWithResolvers<void> | undefined;
  #state: "open" | "closing" | "closed" = "open";
  // What iteration throws once the received messages are consumed, when the
  // connection ended other than by close().
  #failure: Error | undefined;
  readonly #closed = Promise.withResolvers<CloseReason>();
  readonly #receiving: Promise<void>;
  #closing: Promise<void> | undefined;
  readonly #lastWords = new LastWords();

  /**
   * Logs in over a connection that is already open: most code calls
   * {@linkcode connect} instead. This one fits other transports, such as
   * `Deno.connectTls`. The client owns the connection from then on.
   *
   * @param conn An open connection to a chat server.
   * @param options The user name and the limits.
   * @throws {ProtocolError} When the user name is empty, holds a control character
   * or is over `maxUsernameSize`; the connection is then left as it was.
   */
  constructor(conn: Deno.Conn, options: ChatClientOptions) {
    validateUsername(options.username, options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE);
    this.username = options.username;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#conn = conn;
    this.#closeTimeout = options.closeTimeout ?? 2000;
    this.#messages = new ReadableStream<ChatMessage>({
      start: (controller) => {
        this.#inbox = controller;
      },
      pull: () => this.#wakeReceiver(),
    }, {
      highWaterMark: INBOX_HIGH_WATER_MARK,
      size: (message) => MESSAGE_ALLOWANCE + message.username.length + message.text.length,
    });
    const writeTimeout = options.writeTimeout ?? DEFAULT_WRITE_TIMEOUT;
    this.#writer = new SerialWriter(conn, {
      stallTimeout: writeTimeout,
      onStall: () => {
        const error = new WriteTimeoutError(serverAddress(conn), writeTimeout);
        if (this.#state === "open") void this.#release({ kind: "error", error });
        return error;
      },
    });
    // A failed login write shows on the receiving side, which ends the connection.
    if (!loggedIn.delete(conn)) this.#writer.write(encodeString(options.username)).catch(() => {});
    const decoder = new ClientDecoder(
      (message) => this.#deliver(message),
      { maxStringSize: options.maxIncomingSize ?? DEFAULT_MAX_INCOMING_SIZE },
    );
    this.#receiving = this.#receive(decoder);
  }

  /**
   * Settles once the connection has ended and its resources are released, with
   * how it ended. It never rejects.
   *
   * @example Learning that the server went away
   * ```ts
   * import { connect } from "@wirechat/wirechat/client";
   * import { serve } from "@wirechat/wirechat/server";
   * import assert from "node:assert/strict";
   *
   * const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
   * const { port } = server.addr;
   * await using client = await connect({ hostname: "127.0.0.1", port, username: "bob" });
   * await server.shutdown();
   * assert.deepEqual(await client.closed, { kind: "remote" });
   * ```
   *
   * @returns How the connection ended.
   */
  get closed(): Promise<CloseReason> {
    return this.#closed.promise;
  }

  /**
   * Sends a message. Messages are written in the order of the calls.
   *
   * @example Refusing a message over the limit
   * ```ts
   * import { connect, MessageTooLargeError } from "@wirechat/wirechat/client";
   * import { serve } from "@wirechat/wirechat/server";
   * import assert from "node:assert/strict";
   *
   * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
   * await using client = await connect({
   *   hostname: "127.0.0.1",
   *   port: server.addr.port,
   *   username: "bob",
   *   maxMessageSize: 4,
   * });
   * await client.send("🙂"); // 4 bytes of UTF-8
   * await assert.rejects(client.send("héllo"), MessageTooLargeError); // 6 bytes
   * ```
   *
   * @param text The message: any text, counted in UTF-8 bytes against
   * `maxMessageSize`.
   * @returns A promise that resolves once the whole message is written to the
   * connection.
   * @throws {MessageTooLargeError} When the message is over `maxMessageSize`; it
   * is not sent and the connection stays up.
   * @throws {ConnectionClosedError} When the connection is closed or fails; a
   * {@linkcode WriteTimeoutError} when the server took no data for `writeTimeout`.
   */
  async send(text: string): Promise<void> {
    const size = utf8ByteLength(text);
    if (size > this.maxMessageSize) throw new MessageTooLargeError(size, this.maxMessageSize);
    if (this.#state !== "open") {
      throw new ConnectionClosedError("Cannot send message: the connection is closed");
    }
    try {
      await this.#writer.write(encodeString(text));
    } catch (error) {
      if (error instanceof WriteTimeoutError) throw error;
      const why = this.#state === "open" ? describeNetworkError(error) : "the connection is closed";
      throw new ConnectionClosedError(`Cannot send message: ${why}`, { cause: error });
    }
  }

  /**
   * Closes the connection gracefully: every message already passed to
   * {@linkcode ChatClient.send} is written, the connection is shut down for
   * writing, and the client waits (`closeTimeout`, two seconds by default, at
   * most) for the server to close its side, so that nothing sent is lost.
   * Messages received before the call can still be iterated; later ones are
   * dropped. Calling it again returns the same promise.
   *
   * @example Nothing sent before closing is lost
   * ```ts
   * import { connect } from "@wirechat/wirechat/client";
   * import { serve } from "@wirechat/wirechat/server";
   * import assert from "node:assert/strict";
   *
   * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
   * const { port } = server.addr;
   * await using reader = await connect({ hostname: "127.0.0.1", port, username: "reader" });
   * await reader.send("listening");
   * for await (const _ of reader) break; // its echo: the reader is in the room
   *
   * const writer = await connect({ hostname: "127.0.0.1", port, username: "writer" });
   * for (let i = 0; i < 100; i++) void writer.send(`line ${i}`);
   * await writer.close();
   *
   * const lines = [];
   * for await (const { username, text } of reader) {
   *   if (username === "writer") lines.push(text);
   *   if (lines.length === 100) break;
   * }
   * assert.equal(lines.at(-1), "line 99");
   * ```
   *
   * @returns A promise that resolves once the connection is closed.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Iterates the messages the server relays, in its order, the client's own
   * included. Iteration ends after {@linkcode ChatClient.close}; it throws a
   * {@linkcode ConnectionClosedError} when the server closes the connection or the
   * network fails, and a `ProtocolError` when the server breaks the protocol.
   * Leaving a `for await` loop early keeps the client open: a later loop resumes
   * with the next message. Only one loop at a time may iterate.
   *
   * @returns An iterator of the received messages.
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<ChatMessage> {
    const reader = this.#messages.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /**
   * Closes the client, as {@linkcode ChatClient.close} does, for `await using`.
   *
   * @returns A promise that resolves once the connection is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #deliver(message: ChatMessage): void {
    this.#lastWords.see(message);
    if (this.#state === "open") this.#inbox.enqueue(message);
  }

  #wakeReceiver(): void {
    this.#wantMore?.resolve();
    this.#wantMore = undefined;
  }

  async #receive(decoder: ClientDecoder): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_SIZE);
    let reason: CloseReason;
    try {
      while (true) {
        if (this.#state === "open" && this.#inbox.desiredSize! <= 0) {
          this.#wantMore = Promise.withResolvers();
          await this.#wantMore.promise;
          continue;
        }
        const read = await this.#conn.read(buffer);
        if (read === null) {
          decoder.end();
          reason = { kind: "remote" };
          break;
        }
        decoder.push(buffer.subarray(0, read));
      }
    } catch (error) {
      const farewell = error instanceof ProtocolError ? undefined : this.#lastWords.farewell();
      reason = {
        kind: "error",
        error: error instanceof ProtocolError
          ? error
          : farewell === undefined
          ? new ConnectionClosedError(`Connection lost: ${describeNetworkError(error)}`, {
            cause: error,
          })
          : closedWithReason(farewell, error),
      };
    }
    // While closing, whatever ended the reading, the end is the client's own.
    if (this.#state === "open") await this.#release(reason);
  }

  async #close(): Promise<void> {
    if (this.#state !== "open") {
      await this.#closed.promise;
      return;
    }
    this.#state = "closing";
    this.#inbox.close();
    this.#wakeReceiver();
    const graceful = (async () => {
      await this.#writer.flush();
      try {
        await this.#conn.closeWrite();
      } catch {
        // The connection is already gone: there is nothing left to deliver.
      }
      await this.#receiving;
    })();
    const timeout = Promise.withResolvers<void>();
    const timer = setTimeout(timeout.resolve, this.#closeTimeout);
    await Promise.race([graceful, timeout.promise]);
    clearTimeout(timer);
    await this.#release({ kind: "local" });
    await graceful;
  }

  async #release(reason: CloseReason): Promise<void> {
    const wasOpen = this.#state === "open";
    this.#state = "closed";
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    if (wasOpen) {
      // Closing, not erroring, the stream keeps the messages received before the
      // end: the iterator yields them, then throws.
      const farewell = this.#lastWords.farewell();
      this.#failure = reason.kind === "error"
        ? reason.error
        : farewell === undefined
        ? new ConnectionClosedError("Connection closed by the server")
        : closedWithReason(farewell);
      this.#inbox.close();
    }
    // A write in flight fails at once on the closed connection; wait for it, so
    // that nothing is pending once `closed` settles.
    await this.#writer.flush();
    this.#closed.resolve(reason);
  }
}

// The error of a connection the server closed after saying why (the Why
// extension), with its words.
function closedWithReason(farewell: Farewell, cause?: unknown): ConnectionClosedError {
  const options = cause === undefined ? {} : { cause };
  switch (farewell.kind) {
    case "login-refused":
      return new LoginRefusedError(farewell.text, options);
    case "speaks-tls":
      return new ConnectionClosedError("Connection closed: the server speaks TLS here: try --tls", {
        ...options,
        serverReason: farewell.text,
      });
    default:
      return new ConnectionClosedError(`Connection closed by the server: ${farewell.text}`, {
        ...options,
        serverReason: farewell.text,
      });
  }
}
