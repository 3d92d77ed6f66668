/**
 * The frames of the protocol, as values.
 *
 * @module
 */

/**
 * A frame a client sends: its login (exactly once, first), then any number of
 * messages. Frame types are named for the side that sends them: the server's
 * decoder, `ServerDecoder`, reads `ClientFrame`s (codec classes are named for the
 * side that uses them). On the wire both are one string: `size` (u32, big-endian), then `size`
 * bytes of UTF-8.
 *
 * @example What a server decodes from a client
 * ```ts
 * import { type ClientFrame, encodeString, ServerDecoderStream } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const bytes = ReadableStream.from([encodeString("bob"), encodeString("hi")]);
 * const frames: ClientFrame[] = await Array.fromAsync(bytes.pipeThrough(new ServerDecoderStream()));
 * assert.deepEqual(frames, [{ type: "login", username: "bob" }, { type: "message", text: "hi" }]);
 * ```
 */
export type ClientFrame =
  | { readonly type: "login"; readonly username: string }
  | { readonly type: "message"; readonly text: string };

/**
 * A frame a server sends: one accepted message, relayed to every logged-in client,
 * the sender included. On the wire: `timestamp` (u64, big-endian), then the user
 * name and the text as strings.
 *
 * @example A message, encoded and decoded
 * ```ts
 * import { type ChatMessage, ClientDecoder, encodeChatMessage } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const sent: ChatMessage = { timestamp: 1700000000, username: "bob", text: "hi" };
 * let received: ChatMessage | undefined;
 * new ClientDecoder((message) => received = message).push(encodeChatMessage(sent));
 * assert.deepEqual(received, sent);
 * ```
 */
export interface ChatMessage {
  /** When the server received the message: whole seconds of UNIX time. */
  readonly timestamp: number;
  /** Who sent it. */
  readonly username: string;
  /** What they wrote. */
  readonly text: string;
}
