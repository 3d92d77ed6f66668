/**
 * Big-endian integers on the wire.
 *
 * @module
 */

/** Reads the u32 at `source[at..at+4)`, big-endian. */
export function readU32(source: Uint8Array, at: number): number {
  return (source[at]! << 24 | source[at + 1]! << 16 | source[at + 2]! << 8 | source[at + 3]!) >>>
    0;
}

/** Writes `value` (0 to 2^32 − 1) at `target[at..at+4)`, big-endian. */
export function writeU32(target: Uint8Array, at: number, value: number): void {
  target[at] = value >>> 24;
  target[at + 1] = value >>> 16;
  target[at + 2] = value >>> 8;
  target[at + 3] = value;
}

/** Writes `value` (0 to 2^53 − 1) at `target[at..at+8)` as a u64, big-endian. */
export function writeU64(target: Uint8Array, at: number, value: number): void {
  writeU32(target, at, Math.floor(value / 0x1_0000_0000));
  writeU32(target, at + 4, value >>> 0);
}
