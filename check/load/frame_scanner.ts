/**
 * A zero-allocation scanner of the frames a server sends, for the load generator:
 * it hands each whole frame's fields over as offsets into the read buffer, with no
 * string built. It checks sizes only; the caller checks the bytes, which it knows
 * in advance, so they need no separate UTF-8 validation.
 *
 * @module
 */

import { readU32 } from "../../protocol/integers.ts";

/**
 * Receives one whole frame as offsets into `bytes`: `timestamp` (NaN when above
 * 2^53 − 1), user name at `[userStart, textStart - 4)`, text at
 * `[textStart, textEnd)`. The bytes are valid only during the call.
 */
export type FrameHandler = (
  bytes: Uint8Array,
  timestamp: number,
  userStart: number,
  textStart: number,
  textEnd: number,
) => void;

const TWO_32 = 0x1_0000_0000;
const MAX_TIMESTAMP_HIGH = 0x1f_ffff;

/**
 * Hands every whole frame in `bytes[0..end)` to `onFrame`.
 *
 * @example Scanning one frame
 * ```ts
 * import { encodeChatMessage } from "../../protocol/encode.ts";
 * import { scanFrames } from "./frame_scanner.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeChatMessage({ timestamp: 7, username: "u1", text: "hi" });
 * const seen: string[] = [];
 * const used = scanFrames(bytes, bytes.length - 1, 16, 16, () => seen.push("frame"));
 * assert.equal(used, 0); // incomplete: nothing consumed
 * scanFrames(bytes, bytes.length, 16, 16, (b, timestamp, userStart, textStart, textEnd) => {
 *   const decoder = new TextDecoder();
 *   seen.push(`${timestamp} ${decoder.decode(b.subarray(userStart, textStart - 4))} ${
 *     decoder.decode(b.subarray(textStart, textEnd))
 *   }`);
 * });
 * assert.deepEqual(seen, ["7 u1 hi"]);
 * ```
 *
 * @param bytes The bytes received, starting at a frame boundary.
 * @param end Where the received bytes end.
 * @param maxUsername The largest user name size accepted.
 * @param maxText The largest text size accepted.
 * @param onFrame Receives each whole frame.
 * @returns How many bytes the whole frames took (the rest is an incomplete frame),
 * or -1 when a size exceeds its limit.
 */
export function scanFrames(
  bytes: Uint8Array,
  end: number,
  maxUsername: number,
  maxText: number,
  onFrame: FrameHandler,
): number {
  let at = 0;
  while (end - at >= 12) {
    const userSize = readU32(bytes, at + 8);
    if (userSize > maxUsername) return -1;
    const textSizeAt = at + 12 + userSize;
    if (end - textSizeAt < 4) break;
    const textSize = readU32(bytes, textSizeAt);
    if (textSize > maxText) return -1;
    const textEnd = textSizeAt + 4 + textSize;
    if (textEnd > end) break;
    const high = readU32(bytes, at);
    const timestamp = high > MAX_TIMESTAMP_HIGH ? NaN : high * TWO_32 + readU32(bytes, at + 4);
    onFrame(bytes, timestamp, at + 12, textSizeAt + 4, textEnd);
    at = textEnd;
  }
  return at;
}
