/**
 * The decoder a server uses: it reads what a client sends, a login string and then
 * message strings.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { FieldReader } from "./field_reader.ts";
import type { ClientFrame } from "./frames.ts";
import { readU32 } from "./integers.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "./limits.ts";
import { decodeUtf8, isWellFormedUtf8 } from "./utf8.ts";
import { validateUsername } from "./username.ts";

/**
 * Limits for the decoder a server uses.
 *
 * @example A server that accepts messages of 100 bytes at most
 * ```ts
 * import { encodeString, ProtocolError, ServerDecoderStream } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const bytes = ReadableStream.from([encodeString("bob"), encodeString("x".repeat(101))]);
 * const frames = bytes.pipeThrough(new ServerDecoderStream({ maxMessageSize: 100 }));
 * await assert.rejects(Array.fromAsync(frames), ProtocolError);
 * ```
 */
export interface ServerDecoderOptions {
  /**
   * The largest login string accepted, in bytes.
   *
   * @default {25}
   */
  maxUsernameSize?: number;
  /**
   * The largest message string accepted, in bytes.
   *
   * @default {3000}
   */
  maxMessageSize?: number;
}

/**
 * Receives what a {@linkcode ServerDecoder} decodes, as it decodes it.
 *
 * @example A sink that counts a client's bytes
 * ```ts
 * import { encodeString, ServerDecoder, type ServerDecoderSink } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * let who = "";
 * let bytes = 0;
 * const sink: ServerDecoderSink = {
 *   login(username) {
 *     who = username;
 *   },
 *   message(text) {
 *     bytes += text.length; // a view, valid during the call only: copy it to keep it
 *   },
 * };
 * const decoder = new ServerDecoder(sink);
 * decoder.push(encodeString("bob"));
 * decoder.push(encodeString("héllo"));
 * assert.deepEqual({ who, bytes }, { who: "bob", bytes: 6 });
 * ```
 */
export interface ServerDecoderSink {
  /**
   * The client logged in.
   *
   * @param username Its user name: valid UTF-8, not empty, no control character.
   */
  login(username: string): void;
  /**
   * The client sent a message.
   *
   * @param text The message's bytes, well-formed UTF-8. They may be a view into the
   * pushed chunk: they are valid only during the call.
   */
  message(text: Uint8Array): void;
}

const SIZE = 4;

/**
 * The synchronous core of {@linkcode ServerDecoderStream}: push chunks in, receive
 * the login and the messages through a sink, with no copy of a message that lies
 * inside one chunk and no promise per frame. Servers use it directly.
 *
 * A size over its limit throws as soon as its 4 bytes arrive, before any payload.
 *
 * @example Decoding a login and a message
 * ```ts
 * import { encodeString, ServerDecoder } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * const decoder = new ServerDecoder({
 *   login: (username) => seen.push(`login ${username}`),
 *   message: (text) => seen.push(`message ${new TextDecoder().decode(text)}`),
 * });
 * decoder.push(encodeString("bob"));
 * decoder.push(encodeString("hello"));
 * decoder.end();
 * assert.deepEqual(seen, ["login bob", "message hello"]);
 * ```
 */
export class ServerDecoder {
  readonly #fields: FieldReader;
  readonly #sink: ServerDecoderSink;
  readonly #maxUsernameSize: number;
  readonly #maxMessageSize: number;
  #loggedIn = false;
  #inPayload = false;

  /**
   * Creates a decoder for one connection.
   *
   * @param sink Receives the login and the messages.
   * @param options The size limits.
   */
  constructor(sink: ServerDecoderSink, options: ServerDecoderOptions = {}) {
    this.#fields = new FieldReader(SIZE, (source, start, end) => this.#field(source, start, end));
    this.#sink = sink;
    this.#maxUsernameSize = options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE;
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** Whether the login has been decoded. */
  get loggedIn(): boolean {
    return this.#loggedIn;
  }

  /**
   * Feeds the next chunk of the stream; the sink receives every frame it completes
   * before this returns.
   *
   * @param chunk The next bytes of the stream, in any split.
   * @throws {ProtocolError} When the peer broke the protocol; the decoder is then
   * unusable.
   */
  push(chunk: Uint8Array): void {
    this.#fields.push(chunk);
  }

  /**
   * Declares the end of the stream.
   *
   * @throws {ProtocolError} `TRUNCATED` when the stream ended inside a frame.
   */
  end(): void {
    if (this.#inPayload || this.#fields.pending > 0) {
      throw new ProtocolError("TRUNCATED", "Cannot decode frame: the stream ended inside a frame");
    }
  }

  #field(source: Uint8Array, start: number, end: number): number {
    if (!this.#inPayload) {
      const size = readU32(source, start);
      const limit = this.#loggedIn ? this.#maxMessageSize : this.#maxUsernameSize;
      if (size > limit) {
        throw new ProtocolError(
          "SIZE_LIMIT",
          `Cannot decode frame: ${
            this.#loggedIn ? "message" : "user name"
          } size ${size} exceeds the limit of ${limit} bytes`,
        );
      }
      this.#inPayload = true;
      return size;
    }
    this.#inPayload = false;
    if (this.#loggedIn) {
      const text = source.subarray(start, end);
      if (!isWellFormedUtf8(text)) {
        throw new ProtocolError("INVALID_UTF8", "Cannot decode frame: message is not valid UTF-8");
      }
      this.#sink.message(text);
    } else {
      const username = decodeUtf8(source, start, end, "user name");
      validateUsername(username, this.#maxUsernameSize);
      this.#loggedIn = true;
      this.#sink.login(username);
    }
    return SIZE;
  }
}

/**
 * Decodes the byte stream a server receives from one client into frames: first a
 * `login`, then `message`s. Any split of the stream gives the same frames.
 *
 * The stream errors with a {@linkcode ProtocolError} on a size over its limit (from
 * the 4 size bytes alone), bytes that are not UTF-8, a user name that is empty or
 * holds a control character, or an end inside a frame.
 *
 * @example Decoding a connection's bytes
 * ```ts
 * import { encodeString, ServerDecoderStream } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([encodeString("bob"), encodeString("hi all")])
 *     .pipeThrough(new ServerDecoderStream({ maxMessageSize: 100 })),
 * );
 * assert.deepEqual(frames, [
 *   { type: "login", username: "bob" },
 *   { type: "message", text: "hi all" },
 * ]);
 * ```
 */
export class ServerDecoderStream extends TransformStream<Uint8Array, ClientFrame> {
  /**
   * Creates a decoder stream for one connection.
   *
   * @param options The size limits.
   */
  constructor(options: ServerDecoderOptions = {}) {
    let decoder!: ServerDecoder;
    super({
      start(controller) {
        decoder = new ServerDecoder({
          login: (username) => controller.enqueue({ type: "login", username }),
          message: (text) =>
            controller.enqueue({
              type: "message",
              text: decodeUtf8(text, 0, text.length, "message"),
            }),
        }, options);
      },
      transform: (chunk) => decoder.push(chunk),
      flush: () => decoder.end(),
    });
  }
}
