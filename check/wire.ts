/**
 * The kit's own view of the wire: it builds any bytes, well-formed or not, and
 * reads the server's frames strictly, so that a frame the protocol does not
 * allow is reported, not silently decoded.
 *
 * @module
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The bytes of a string on the wire: a big-endian 32-bit size, then the payload.
 *
 * @example A two-byte name
 * ```ts
 * import { stringFrame } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...stringFrame("jo")], [0, 0, 0, 2, 0x6a, 0x6f]);
 * ```
 *
 * @param payload Text, encoded as UTF-8, or raw bytes, sent as they are.
 * @returns The size and the payload, in one array.
 */
export function stringFrame(payload: string | Uint8Array): Uint8Array {
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  const frame = new Uint8Array(4 + bytes.length);
  new DataView(frame.buffer).setUint32(0, bytes.length);
  frame.set(bytes, 4);
  return frame;
}

/**
 * Four bytes of a big-endian size, alone.
 *
 * @param size The size.
 * @returns The 4 bytes.
 */
export function sizeBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, size);
  return bytes;
}

/**
 * A frame as the server sends it: timestamp, user name, message.
 *
 * @param timestamp Seconds of UNIX time.
 * @param user The sender's name, text or raw bytes.
 * @param text The message, text or raw bytes.
 * @returns The frame's bytes.
 */
export function chatFrame(
  timestamp: number | bigint,
  user: string | Uint8Array,
  text: string | Uint8Array,
): Uint8Array {
  const name = stringFrame(user);
  const message = stringFrame(text);
  const frame = new Uint8Array(8 + name.length + message.length);
  new DataView(frame.buffer).setBigUint64(0, BigInt(timestamp));
  frame.set(name, 8);
  frame.set(message, 8 + name.length);
  return frame;
}

/** Joins byte arrays into one. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** UTF-8 bytes of a text. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Bytes as hex pairs, cut after `max` bytes: `00 00 01 2c …`.
 *
 * @param bytes The bytes.
 * @param max The most bytes shown.
 * @returns The hex text.
 */
export function hex(bytes: Uint8Array, max = 16): string {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, "0"));
  return shown.join(" ") + (bytes.length > max ? ` … (${bytes.length} bytes)` : "");
}

/**
 * A text quoted for a report, with control and invisible characters escaped and
 * long texts cut, so that a failure can be read on any terminal.
 *
 * @param text The text.
 * @param max The most characters shown.
 * @returns The quoted text.
 */
export function quote(text: string, max = 60): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff"\\]/g,
    (c) =>
      c === '"' || c === "\\"
        ? `\\${c}`
        : `\\u{${c.codePointAt(0)!.toString(16).padStart(2, "0")}}`,
  );
  return `"${escaped}"${text.length > max ? `… (${text.length} characters)` : ""}`;
}

/** One frame received from a server. */
export interface ReceivedFrame {
  /** The timestamp, exactly. */
  readonly timestamp: bigint;
  /** The user name. */
  readonly user: string;
  /** The message. */
  readonly text: string;
}

/**
 * Reads server frames from a byte stream in any split, strictly: a string size
 * larger than `maxSize` or a string that is not UTF-8 is a problem, reported
 * once, after which nothing more is read.
 */
export class FrameReader {
  readonly #maxSize: number;
  #buffer: Uint8Array = new Uint8Array(0);
  #problem: string | undefined;

  /** @param maxSize The largest string size accepted. */
  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** What was wrong with the stream, once something was. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** Bytes held that do not make a whole frame yet. */
  get pending(): number {
    return this.#buffer.length;
  }

  /**
   * Takes a chunk and returns the frames it completes.
   *
   * @param chunk Bytes as they arrived.
   * @returns The whole frames, in order.
   */
  push(chunk: Uint8Array): ReceivedFrame[] {
    if (this.#problem !== undefined) return [];
    this.#buffer = this.#buffer.length === 0 ? chunk.slice() : concatBytes(this.#buffer, chunk);
    const frames: ReceivedFrame[] = [];
    let at = 0;
    const buffer = this.#buffer;
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    while (true) {
      if (buffer.length - at < 12) break;
      const userSize = view.getUint32(at + 8);
      if (userSize > this.#maxSize) {
        this.#problem = `a frame whose user name size is ${userSize} (size bytes ${
          hex(buffer.subarray(at + 8, at + 12))
        }), more than any string allowed (${this.#maxSize}); frame starts ${
          hex(buffer.subarray(at, at + 16))
        }`;
        break;
      }
      if (buffer.length - at < 16 + userSize) break;
      const textAt = at + 12 + userSize;
      const textSize = view.getUint32(textAt);
      if (textSize > this.#maxSize) {
        this.#problem = `a frame whose message size is ${textSize} (size bytes ${
          hex(buffer.subarray(textAt, textAt + 4))
        }), more than any string allowed (${this.#maxSize}); frame starts ${
          hex(buffer.subarray(at, at + 16))
        }`;
        break;
      }
      const end = textAt + 4 + textSize;
      if (buffer.length < end) break;
      const user = this.#decode(buffer.subarray(at + 12, textAt), "user name");
      const text = this.#decode(buffer.subarray(textAt + 4, end), "message");
      if (user === undefined || text === undefined) break;
      frames.push({ timestamp: view.getBigUint64(at), user, text });
      at = end;
    }
    this.#buffer = buffer.subarray(at);
    return frames;
  }

  #decode(bytes: Uint8Array, what: string): string | undefined {
    try {
      return strictDecoder.decode(bytes);
    } catch {
      this.#problem = `a frame whose ${what} is not valid UTF-8: ${hex(bytes)}`;
      return undefined;
    }
  }
}
