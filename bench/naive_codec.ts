/**
 * The codec as most people would first write it, the baseline of the codec
 * benchmarks: `TextEncoder.encode` then a copy, a `DataView` for integers, and a
 * decoder that appends every chunk to what it holds and slices each frame out.
 * It is correct (strict UTF-8, size limits) but not in the project's public API.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A string frame: size, then UTF-8 bytes (two allocations and a copy). */
export function naiveEncodeString(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  const frame = new Uint8Array(4 + bytes.length);
  new DataView(frame.buffer).setUint32(0, bytes.length);
  frame.set(bytes, 4);
  return frame;
}

/** A chat frame: timestamp, user name, text. */
export function naiveEncodeChatMessage(
  timestamp: number,
  username: string,
  text: string,
): Uint8Array {
  const name = encoder.encode(username);
  const body = encoder.encode(text);
  const frame = new Uint8Array(16 + name.length + body.length);
  const view = new DataView(frame.buffer);
  view.setBigUint64(0, BigInt(timestamp));
  view.setUint32(8, name.length);
  frame.set(name, 12);
  view.setUint32(12 + name.length, body.length);
  frame.set(body, 16 + name.length);
  return frame;
}

function append(held: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (held.length === 0) return chunk;
  const joined = new Uint8Array(held.length + chunk.length);
  joined.set(held);
  joined.set(chunk, held.length);
  return joined;
}

/** Decodes string frames (what a server receives), chunk by chunk. */
export class NaiveStringDecoder {
  #held: Uint8Array = new Uint8Array(0);

  /**
   * Makes a decoder.
   *
   * @param maxSize The largest string accepted.
   */
  constructor(readonly maxSize: number) {}

  /** Decodes the frames that `chunk` completes. */
  push(chunk: Uint8Array): string[] {
    let held = append(this.#held, chunk);
    const out: string[] = [];
    while (held.length >= 4) {
      const size = new DataView(held.buffer, held.byteOffset).getUint32(0);
      if (size > this.maxSize) throw new RangeError(`String of ${size} bytes is too long`);
      if (held.length < 4 + size) break;
      out.push(decoder.decode(held.slice(4, 4 + size)));
      held = held.slice(4 + size);
    }
    this.#held = held;
    return out;
  }
}

/** Decodes chat frames (what a client receives), chunk by chunk. */
export class NaiveChatDecoder {
  #held: Uint8Array = new Uint8Array(0);

  /** Decodes the frames that `chunk` completes. */
  push(chunk: Uint8Array): { timestamp: number; username: string; text: string }[] {
    let held = append(this.#held, chunk);
    const out = [];
    while (held.length >= 12) {
      const view = new DataView(held.buffer, held.byteOffset, held.length);
      const nameSize = view.getUint32(8);
      if (held.length < 16 + nameSize) break;
      const textSize = view.getUint32(12 + nameSize);
      if (held.length < 16 + nameSize + textSize) break;
      out.push({
        timestamp: Number(view.getBigUint64(0)),
        username: decoder.decode(held.slice(12, 12 + nameSize)),
        text: decoder.decode(held.slice(16 + nameSize, 16 + nameSize + textSize)),
      });
      held = held.slice(16 + nameSize + textSize);
    }
    this.#held = held;
    return out;
  }
}
