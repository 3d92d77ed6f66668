/**
 * The incremental machinery both decoders share: a byte stream cut into
 * consecutive fields whose sizes are learnt one at a time.
 *
 * @module
 */

const EMPTY = new Uint8Array(0);

/**
 * Handles one whole field, `source[start..end)`, and returns the size of the next
 * field. The bytes are valid only during the call: a field kept must be copied.
 */
export type FieldHandler = (source: Uint8Array, start: number, end: number) => number;

/**
 * Cuts a byte stream into fields. A field that lies inside one chunk is handed to
 * the handler in place; only a field that straddles chunks is copied, into a
 * buffer of exactly its size, so at most one field is held at a time.
 */
export class FieldReader {
  readonly #handle: FieldHandler;
  #want: number;
  #partial: Uint8Array = EMPTY;
  #filled = 0;

  /**
   * @param first The size of the first field.
   * @param handle Handles each field and returns the size of the next one.
   */
  constructor(first: number, handle: FieldHandler) {
    this.#want = first;
    this.#handle = handle;
  }

  /** Bytes held of a field that is not complete yet. */
  get pending(): number {
    return this.#filled;
  }

  /**
   * Feeds the next chunk of the stream, handling every field it completes.
   *
   * @param chunk The next bytes of the stream, in any split.
   */
  push(chunk: Uint8Array): void {
    const end = chunk.length;
    let at = 0;
    let want = this.#want;
    if (this.#filled > 0) {
      const partial = this.#partial;
      at = Math.min(want - this.#filled, end);
      partial.set(at === end ? chunk : chunk.subarray(0, at), this.#filled);
      this.#filled += at;
      if (this.#filled < want) return;
      this.#partial = EMPTY;
      this.#filled = 0;
      want = this.#want = this.#handle(partial, 0, want);
    }
    while (end - at >= want) {
      const start = at;
      at += want;
      want = this.#want = this.#handle(chunk, start, at);
    }
    if (at < end) {
      this.#partial = new Uint8Array(want);
      this.#partial.set(chunk.subarray(at));
      this.#filled = end - at;
    }
  }
}
