/**
 * Lines of input, from bytes, with bounded memory.
 *
 * @module
 */

import { utf8ByteLength } from "../../protocol/utf8.ts";

const LF = 0x0a;
const CR = 0x0d;

/**
 * One line of input, without its line ending. A line over the limit is not kept:
 * its `text` is `undefined` and its `size` is at least the limit plus one.
 */
export type InputLine =
  | { readonly text: string; readonly size: number }
  | { readonly text: undefined; readonly size: number };

/**
 * Cuts a byte stream into lines. A line ends with `\n` or `\r\n`, which are not
 * part of it; every other byte is kept, other whitespace and lone `\r` included.
 * The last line needs no line ending. Bytes that are not UTF-8 become U+FFFD.
 *
 * A line is held only up to the limit: the bytes of a longer one are counted and
 * dropped, so that a huge input without line breaks costs no memory.
 */
export class LineSplitter {
  readonly #limit: number;
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #parts: Uint8Array[] = [];
  // Bytes of the current line so far, kept or not.
  #size = 0;
  #lastByte = -1;

  /** @param limit The largest line kept, in UTF-8 bytes. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Feeds the next bytes.
   *
   * @param chunk The next bytes of input, in any split; they are copied if kept.
   * @returns The lines they complete.
   */
  push(chunk: Uint8Array): InputLine[] {
    const lines: InputLine[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(LF); newline !== -1; newline = chunk.indexOf(LF, start)) {
      this.#append(chunk.subarray(start, newline));
      lines.push(this.#take(true));
      start = newline + 1;
    }
    this.#append(chunk.subarray(start));
    return lines;
  }

  /**
   * Declares the end of input.
   *
   * @returns The last line, when the input did not end with a line ending.
   */
  end(): InputLine[] {
    return this.#size > 0 ? [this.#take(false)] : [];
  }

  #append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#size += bytes.length;
    this.#lastByte = bytes[bytes.length - 1]!;
    // One byte more than the limit may be the `\r` of a `\r\n`.
    if (this.#size <= this.#limit + 1) this.#parts.push(bytes.slice());
    else this.#parts = [];
  }

  #take(terminated: boolean): InputLine {
    const crlf = terminated && this.#lastByte === CR;
    let size = this.#size - (crlf ? 1 : 0);
    let line: InputLine;
    if (size > this.#limit) {
      // Decoding never shrinks bytes, so the line is too large whatever they are.
      line = { text: undefined, size };
    } else {
      const bytes = join(this.#parts, size);
      const text = this.#decoder.decode(bytes);
      size = utf8ByteLength(text);
      line = size > this.#limit ? { text: undefined, size } : { text, size };
    }
    this.#parts = [];
    this.#size = 0;
    this.#lastByte = -1;
    return line;
  }
}

function join(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!.subarray(0, size);
  const joined = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    const take = Math.min(part.length, size - at);
    joined.set(part.subarray(0, take), at);
    at += take;
  }
  return joined;
}
