/**
 * The decoder a client uses: it reads what a server sends, chat messages made of
 * a timestamp, a user name and a text. ("Client" names the side that uses it, as
 * in `ClientEncoderStream`; it decodes `ChatMessage`s, not `ClientFrame`s, which
 * are what a client sends.)
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { FieldReader } from "./field_reader.ts";
import type { ChatMessage } from "./frames.ts";
import { readU32 } from "./integers.ts";
import { DEFAULT_MAX_INCOMING_SIZE } from "./limits.ts";
import { decodeUtf8 } from "./utf8.ts";

/**
 * Limits for the decoder a client uses.
 *
 * @example A client that accepts strings of 1 KiB at most
 * ```ts
 * import { ClientDecoderStream, encodeChatMessage, ProtocolError } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const frame = encodeChatMessage({ timestamp: 0, username: "bob", text: "x".repeat(2048) });
 * const decoded = ReadableStream.from([frame])
 *   .pipeThrough(new ClientDecoderStream({ maxStringSize: 1024 }));
 * await assert.rejects(Array.fromAsync(decoded), ProtocolError);
 * ```
 */
export interface ClientDecoderOptions {
  /**
   * The largest user name or text accepted from the server, in bytes. It bounds
   * what a hostile server can make a client buffer.
   *
   * @default {16777216}
   */
  maxStringSize?: number;
}

const TIMESTAMP = 8;
const SIZE = 4;
// The high 32 bits of the largest timestamp a JavaScript number holds exactly.
const MAX_TIMESTAMP_HIGH = 0x1f_ffff;

// The fields of a frame, in order.
const enum Field {
  Timestamp,
  UsernameSize,
  Username,
  TextSize,
  Text,
}

/**
 * The synchronous core of {@linkcode ClientDecoderStream}: push chunks in, receive
 * each chat message through a callback as soon as its last byte arrives.
 *
 * @example Decoding a chat message
 * ```ts
 * import { ClientDecoder, encodeChatMessage, type ChatMessage } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const seen: ChatMessage[] = [];
 * const decoder = new ClientDecoder((message) => seen.push(message));
 * decoder.push(encodeChatMessage({ timestamp: 1700000000, username: "bob", text: "hi" }));
 * decoder.end();
 * assert.deepEqual(seen, [{ timestamp: 1700000000, username: "bob", text: "hi" }]);
 * ```
 */
export class ClientDecoder {
  readonly #fields: FieldReader;
  readonly #onMessage: (message: ChatMessage) => void;
  readonly #maxStringSize: number;
  #next = Field.Timestamp;
  #timestamp = 0;
  #username = "";

  /**
   * Creates a decoder for one connection.
   *
   * @param onMessage Receives each chat message.
   * @param options The size limit.
   */
  constructor(onMessage: (message: ChatMessage) => void, options: ClientDecoderOptions = {}) {
    this.#fields = new FieldReader(
      TIMESTAMP,
      (source, start, end) => this.#field(source, start, end),
    );
    this.#onMessage = onMessage;
    this.#maxStringSize = options.maxStringSize ?? DEFAULT_MAX_INCOMING_SIZE;
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
    if (this.#next !== Field.Timestamp || this.#fields.pending > 0) {
      throw new ProtocolError("TRUNCATED", "Cannot decode frame: the stream ended inside a frame");
    }
  }

  #field(source: Uint8Array, start: number, end: number): number {
    switch (this.#next) {
      case Field.Timestamp: {
        const high = readU32(source, start);
        if (high > MAX_TIMESTAMP_HIGH) {
          throw new ProtocolError(
            "TIMESTAMP_RANGE",
            "Cannot decode frame: timestamp exceeds 2^53 - 1",
          );
        }
        this.#timestamp = high * 0x1_0000_0000 + readU32(source, start + 4);
        this.#next = Field.UsernameSize;
        return SIZE;
      }
      case Field.UsernameSize:
        this.#next = Field.Username;
        return this.#size(readU32(source, start), "user name");
      case Field.Username:
        this.#username = decodeUtf8(source, start, end, "user name");
        this.#next = Field.TextSize;
        return SIZE;
      case Field.TextSize:
        this.#next = Field.Text;
        return this.#size(readU32(source, start), "text");
      case Field.Text: {
        const text = decodeUtf8(source, start, end, "text");
        const message = { timestamp: this.#timestamp, username: this.#username, text };
        this.#username = "";
        this.#next = Field.Timestamp;
        this.#onMessage(message);
        return TIMESTAMP;
      }
    }
  }

  #size(size: number, what: string): number {
    if (size > this.#maxStringSize) {
      throw new ProtocolError(
        "SIZE_LIMIT",
        `Cannot decode frame: ${what} size ${size} exceeds the limit of ${this.#maxStringSize} bytes`,
      );
    }
    return size;
  }
}

/**
 * Decodes the byte stream a client receives from a server into chat messages. Any
 * split of the stream gives the same messages.
 *
 * The stream errors with a {@linkcode ProtocolError} on a string over the size
 * limit (from its 4 size bytes alone), bytes that are not UTF-8, a timestamp above
 * 2^53 − 1, or an end inside a frame.
 *
 * @example Decoding what a server sent
 * ```ts
 * import { ClientDecoderStream, encodeChatMessage } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeChatMessage({ timestamp: 1700000000, username: "alice", text: "hi" });
 * const messages = await Array.fromAsync(
 *   ReadableStream.from([bytes.subarray(0, 5), bytes.subarray(5)])
 *     .pipeThrough(new ClientDecoderStream()),
 * );
 * assert.deepEqual(messages, [{ timestamp: 1700000000, username: "alice", text: "hi" }]);
 * ```
 */
export class ClientDecoderStream extends TransformStream<Uint8Array, ChatMessage> {
  /**
   * Creates a decoder stream for one connection.
   *
   * @param options The size limit.
   */
  constructor(options: ClientDecoderOptions = {}) {
    let decoder!: ClientDecoder;
    super({
      start(controller) {
        decoder = new ClientDecoder((message) => controller.enqueue(message), options);
      },
      transform: (chunk) => decoder.push(chunk),
      flush: () => decoder.end(),
    });
  }
}
