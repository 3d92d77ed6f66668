/**
 * wirechat: a small binary chat protocol over TCP, and its codec.
 *
 * On the wire a string is `size` (u32, big-endian) then `size` bytes of UTF-8. A
 * client sends its user name as one string, then each message as one string; the
 * server relays every message to every logged-in client, the sender included, as
 * `timestamp` (u64, big-endian, UNIX seconds), user name, text.
 *
 * This module is the codec: encoders that produce one exact-size `Uint8Array` per
 * frame, and incremental decoders, as `TransformStream`s and as synchronous cores,
 * that accept any split of the byte stream and enforce the size limits from the
 * 4 size bytes alone. It has no dependencies and does no I/O.
 *
 * ```sh
 * deno add jsr:@wirechat/wirechat
 * ```
 *
 * The package's other two entry points are programs as well as libraries: the
 * server, `@wirechat/wirechat/server` (`serve` starts one in-process), and the
 * client, `@wirechat/wirechat/client` (`connect`, for bots and tools). Installed as
 * commands:
 *
 * ```sh
 * deno install -g -N --v8-flags=--max-semi-space-size=1 -n wirechat-server jsr:@wirechat/wirechat/server
 * deno install -g -N -n wirechat-client jsr:@wirechat/wirechat/client
 * ```
 *
 * Names say which side: a codec class is named for the side that **uses** it (a
 * client encodes with `ClientEncoderStream` and decodes with `ClientDecoder` /
 * `ClientDecoderStream`; a server decodes with `ServerDecoder` /
 * `ServerDecoderStream`), and a frame type for the side that **sends** it
 * (`ClientFrame`: a client's login or message, which a server decodes;
 * `ChatMessage`: what a server relays, which a client decodes).
 *
 * @example Round trip of what a server sends
 * ```ts
 * import { ClientDecoderStream, encodeChatMessage } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeChatMessage({ timestamp: 1700000000, username: "bob", text: "hi" });
 * const [message] = await Array.fromAsync(
 *   ReadableStream.from([bytes]).pipeThrough(new ClientDecoderStream()),
 * );
 * assert.deepEqual(message, { timestamp: 1700000000, username: "bob", text: "hi" });
 * ```
 *
 * @module
 */

export * from "./protocol/client_decoder.ts";
export * from "./protocol/encode.ts";
export * from "./protocol/encoder_streams.ts";
export * from "./protocol/errors.ts";
export * from "./protocol/frames.ts";
export * from "./protocol/limits.ts";
export * from "./protocol/ports.ts";
export * from "./protocol/server_decoder.ts";
export * from "./protocol/username.ts";
export { isWellFormedUtf8, utf8ByteLength } from "./protocol/utf8.ts";
