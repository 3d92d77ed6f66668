/**
 * Encoder streams, the counterparts of the decoder streams.
 *
 * @module
 */

import { encodeChatMessage, encodeString } from "./encode.ts";
import type { ChatMessage, ClientFrame } from "./frames.ts";

/**
 * Encodes the frames a client sends (its login, then messages) into bytes: the
 * counterpart of {@linkcode ServerDecoderStream}. It encodes frames in the order
 * given; putting the login first is the caller's part.
 *
 * @example Encoding a client's frames
 * ```ts
 * import { ClientEncoderStream, ServerDecoderStream, type ClientFrame } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const frames: ClientFrame[] = [{ type: "login", username: "bob" }, { type: "message", text: "hi" }];
 * const decoded = await Array.fromAsync(
 *   ReadableStream.from(frames)
 *     .pipeThrough(new ClientEncoderStream())
 *     .pipeThrough(new ServerDecoderStream()),
 * );
 * assert.deepEqual(decoded, frames);
 * ```
 */
export class ClientEncoderStream extends TransformStream<ClientFrame, Uint8Array> {
  /** Creates an encoder stream. */
  constructor() {
    super({
      transform(frame, controller) {
        controller.enqueue(encodeString(frame.type === "login" ? frame.username : frame.text));
      },
    });
  }
}

/**
 * Encodes the chat messages a server sends into bytes: the counterpart of
 * {@linkcode ClientDecoderStream}.
 *
 * @example Encoding chat messages
 * ```ts
 * import { ClientDecoderStream, ServerEncoderStream } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const messages = [{ timestamp: 1700000000, username: "bob", text: "hi" }];
 * const decoded = await Array.fromAsync(
 *   ReadableStream.from(messages)
 *     .pipeThrough(new ServerEncoderStream())
 *     .pipeThrough(new ClientDecoderStream()),
 * );
 * assert.deepEqual(decoded, messages);
 * ```
 */
export class ServerEncoderStream extends TransformStream<ChatMessage, Uint8Array> {
  /** Creates an encoder stream. */
  constructor() {
    super({
      transform(message, controller) {
        controller.enqueue(encodeChatMessage(message));
      },
    });
  }
}
