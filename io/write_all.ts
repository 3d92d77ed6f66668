/**
 * Writing a whole buffer where one write may take only part of it.
 *
 * @module
 */

/** Anything with a `write` like `Deno.Conn`'s, which may write part of a buffer. */
export interface ByteWriter {
  /**
   * Writes some of `bytes`.
   *
   * @param bytes What to write.
   * @returns How many bytes were written.
   */
  write(bytes: Uint8Array): Promise<number>;
}

/** Anything with a `writeSync` like `Deno.stdout`'s, which may write part of a buffer. */
export interface SyncByteWriter {
  /**
   * Writes some of `bytes`.
   *
   * @param bytes What to write.
   * @returns How many bytes were written.
   */
  writeSync(bytes: Uint8Array): number;
}

/**
 * Writes every byte of `bytes`.
 *
 * @param writer Where the bytes go.
 * @param bytes What to write.
 */
export async function writeAll(writer: ByteWriter, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await writer.write(bytes.subarray(at));
}

/**
 * Writes every byte of `bytes`, synchronously: nothing is held back in a buffer.
 *
 * @param writer Where the bytes go.
 * @param bytes What to write.
 */
export function writeAllSync(writer: SyncByteWriter, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += writer.writeSync(bytes.subarray(at));
}

/**
 * Joins byte arrays into one, without copying when there is only one.
 *
 * @param chunks The arrays, in order.
 * @returns Their bytes, one after the other.
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const joined = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.length;
  }
  return joined;
}
