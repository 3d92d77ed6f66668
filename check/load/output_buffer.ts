/**
 * A connection's outbound bytes: appended in place, written with at most one write
 * in flight, everything appended meanwhile coalesced into the next write.
 *
 * @module
 */

const INITIAL_CAPACITY = 256;

/** Where the bytes go: a `Deno.Conn`, or anything that writes like one. */
export interface ByteWriter {
  /** Writes some of `bytes`, possibly not all, and returns how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Double-buffered output for one connection. Callers {@linkcode OutputBuffer.claim}
 * space, fill it, then {@linkcode OutputBuffer.flush}. While a write is in flight,
 * new bytes go to the other buffer; in steady state nothing is allocated. Partial
 * writes are continued.
 */
export class OutputBuffer {
  readonly #writer: ByteWriter;
  readonly #onError: (error: unknown) => void;
  #fill = new Uint8Array(INITIAL_CAPACITY);
  #fillLength = 0;
  #spare = new Uint8Array(INITIAL_CAPACITY);
  #writing: Promise<void> | null = null;
  #closed = false;

  /**
   * Makes the buffer of one connection.
   *
   * @param writer The connection.
   * @param onError Receives a failed write; the buffer then stops writing.
   */
  constructor(writer: ByteWriter, onError: (error: unknown) => void) {
    this.#writer = writer;
    this.#onError = onError;
  }

  /**
   * Reserves `size` bytes at the end of the output and returns them to fill. They
   * are sent on the next {@linkcode OutputBuffer.flush}.
   */
  claim(size: number): Uint8Array {
    const need = this.#fillLength + size;
    if (need > this.#fill.length) {
      let capacity = this.#fill.length * 2;
      while (capacity < need) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#fill.subarray(0, this.#fillLength));
      this.#fill = grown;
    }
    const start = this.#fillLength;
    this.#fillLength = need;
    return this.#fill.subarray(start, need);
  }

  /** Appends `bytes` to the output. */
  append(bytes: Uint8Array): void {
    this.claim(bytes.length).set(bytes);
  }

  /** Starts writing what was appended, unless a write is already in flight. */
  flush(): void {
    if (this.#writing === null && this.#fillLength > 0 && !this.#closed) {
      this.#writing = this.#drain();
    }
  }

  /** Stops writing and resolves once no write is in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writing;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#fillLength > 0 && !this.#closed) {
        const bytes = this.#fill;
        const length = this.#fillLength;
        this.#fill = this.#spare;
        this.#fillLength = 0;
        this.#spare = bytes;
        let written = 0;
        while (written < length) {
          written += await this.#writer.write(bytes.subarray(written, length));
        }
      }
    } catch (error) {
      const deliberate = this.#closed;
      this.#closed = true;
      if (!deliberate) this.#onError(error);
    } finally {
      this.#writing = null;
    }
  }
}
