/**
 * UTF-8 helpers: strict validation without decoding, exact encoded lengths, and a
 * strict decoder that throws {@linkcode ProtocolError}.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Tells whether `bytes` is well-formed UTF-8, by the same rules as
 * `new TextDecoder("utf-8", { fatal: true })` (no overlong forms, no surrogates,
 * nothing above U+10FFFF, no truncated sequence), without building a string.
 *
 * @example Checking bytes before relaying them
 * ```ts
 * import { isWellFormedUtf8 } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isWellFormedUtf8(new TextEncoder().encode("héllo 👋")), true);
 * assert.equal(isWellFormedUtf8(new Uint8Array([0xc3, 0x28])), false);
 * ```
 *
 * @param bytes The bytes to check.
 * @returns `true` when the bytes are well-formed UTF-8.
 */
export function isWellFormedUtf8(bytes: Uint8Array): boolean {
  const end = bytes.length;
  let i = 0;
  while (i < end) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      // Runs of ASCII dominate chat text: skip them four bytes at a time.
      while (
        i + 4 <= end &&
        ((bytes[i]! | bytes[i + 1]! | bytes[i + 2]! | bytes[i + 3]!) & 0x80) === 0
      ) i += 4;
      continue;
    }
    if (lead < 0xc2) return false; // continuation byte or overlong 2-byte lead
    if (lead < 0xe0) {
      if (i + 1 >= end || (bytes[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    if (lead < 0xf0) {
      if (i + 2 >= end) return false;
      const second = bytes[i + 1]!;
      if ((second & 0xc0) !== 0x80 || (bytes[i + 2]! & 0xc0) !== 0x80) return false;
      if (lead === 0xe0 && second < 0xa0) return false; // overlong
      if (lead === 0xed && second > 0x9f) return false; // UTF-16 surrogate
      i += 3;
      continue;
    }
    if (lead > 0xf4 || i + 3 >= end) return false;
    const second = bytes[i + 1]!;
    if (
      (second & 0xc0) !== 0x80 || (bytes[i + 2]! & 0xc0) !== 0x80 ||
      (bytes[i + 3]! & 0xc0) !== 0x80
    ) return false;
    if (lead === 0xf0 && second < 0x90) return false; // overlong
    if (lead === 0xf4 && second > 0x8f) return false; // above U+10FFFF
    i += 4;
  }
  return true;
}

/**
 * The number of bytes `TextEncoder` produces for `text`, counted without encoding
 * it. A lone surrogate counts 3 bytes, as its replacement U+FFFD encodes.
 *
 * @example Checking a message against a size limit
 * ```ts
 * import { utf8ByteLength } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * assert.equal(utf8ByteLength("hi"), 2);
 * assert.equal(utf8ByteLength("привет"), 12);
 * assert.equal(utf8ByteLength("👋"), 4);
 * ```
 *
 * @param text The string to measure.
 * @returns Its length in UTF-8 bytes.
 */
export function utf8ByteLength(text: string): number {
  const length = text.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (
      unit >= 0xd800 && unit <= 0xdbff && i + 1 < length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      bytes += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

// Below this size a JavaScript loop decodes ASCII faster than a TextDecoder call.
const SHORT_ASCII = 32;

/**
 * Decodes `source[start..end)` as strict UTF-8.
 *
 * @param source The bytes holding one string field.
 * @param start Where the field starts.
 * @param end Where the field ends.
 * @param what The field's name, for the error message.
 * @returns The decoded string.
 * @throws {ProtocolError} `INVALID_UTF8` when the bytes are not well-formed UTF-8.
 */
export function decodeUtf8(source: Uint8Array, start: number, end: number, what: string): string {
  if (end - start <= SHORT_ASCII) {
    let text = "";
    let i = start;
    for (; i < end; i++) {
      const byte = source[i]!;
      if (byte >= 0x80) break;
      text += String.fromCharCode(byte);
    }
    if (i === end) return text;
  }
  try {
    return strictDecoder.decode(source.subarray(start, end));
  } catch {
    throw new ProtocolError("INVALID_UTF8", `Cannot decode frame: ${what} is not valid UTF-8`);
  }
}
