/**
 * Encoders: each frame becomes one `Uint8Array` of exactly its size.
 *
 * @module
 */

import type { ChatMessage } from "./frames.ts";
import { writeU32, writeU64 } from "./integers.ts";
import { MAX_TIMESTAMP, MAX_WIRE_SIZE } from "./limits.ts";
import { utf8ByteLength } from "./utf8.ts";

const encoder = new TextEncoder();

// Counting the UTF-8 bytes of a long string in JavaScript costs more than encoding
// it natively: such strings are encoded into this reused buffer first, then copied
// into a frame of exactly their size.
const LONG_STRING = 256;
const MAX_SCRATCH_STRING = 64 * 1024;
let scratch = new Uint8Array(0);

function encodeLongString(text: string): Uint8Array {
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  const frame = new Uint8Array(4 + written);
  writeU32(frame, 0, written);
  frame.set(scratch.subarray(0, written), 4);
  return frame;
}

function checkSize(size: number, what: string): void {
  if (size > MAX_WIRE_SIZE) {
    throw new RangeError(`Cannot encode ${what}: size ${size} exceeds 2^32 - 1 bytes`);
  }
}

/**
 * Encodes a string as the protocol sends it: `size` (u32, big-endian), then the
 * UTF-8 bytes. A client's login and each of its messages are one such string.
 *
 * @example Encoding a login
 * ```ts
 * import { encodeString } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeString("bob"), new Uint8Array([0, 0, 0, 3, 98, 111, 98]));
 * ```
 *
 * @param text The user name or message.
 * @returns The encoded frame, in one allocation.
 */
export function encodeString(text: string): Uint8Array {
  if (text.length > LONG_STRING && text.length <= MAX_SCRATCH_STRING) {
    return encodeLongString(text);
  }
  const size = utf8ByteLength(text);
  checkSize(size, "string");
  const frame = new Uint8Array(4 + size);
  writeU32(frame, 0, size);
  encoder.encodeInto(text, frame.subarray(4));
  return frame;
}

/**
 * Encodes a chat message as a server sends it: `timestamp` (u64, big-endian), then
 * the user name and the text as strings.
 *
 * @example Encoding a chat message
 * ```ts
 * import { encodeChatMessage } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const frame = encodeChatMessage({ timestamp: 1, username: "a", text: "hi" });
 * assert.deepEqual(frame, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 97, 0, 0, 0, 2, 104, 105]));
 * ```
 *
 * @param message The message to encode.
 * @returns The encoded frame, in one allocation.
 * @throws {RangeError} When the timestamp is not an integer from 0 to 2^53 − 1.
 */
export function encodeChatMessage(message: ChatMessage): Uint8Array {
  const { timestamp, username, text } = message;
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP) {
    throw new RangeError(
      `Cannot encode chat message: timestamp ${timestamp} is not an integer from 0 to 2^53 - 1`,
    );
  }
  const usernameSize = utf8ByteLength(username);
  const textSize = utf8ByteLength(text);
  checkSize(usernameSize, "user name");
  checkSize(textSize, "text");
  const frame = new Uint8Array(16 + usernameSize + textSize);
  writeU64(frame, 0, timestamp);
  writeU32(frame, 8, usernameSize);
  encoder.encodeInto(username, frame.subarray(12));
  writeU32(frame, 12 + usernameSize, textSize);
  encoder.encodeInto(text, frame.subarray(16 + usernameSize));
  return frame;
}
