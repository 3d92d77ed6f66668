/**
 * Nothing from the backplane is trusted: every frame read from it (live or
 * history) is checked with the limits and name rules a client's login and
 * messages meet, before it reaches the room.
 *
 * @module
 */

import { readU32 } from "../../protocol/integers.ts";
import { MAX_TIMESTAMP } from "../../protocol/limits.ts";
import { isWellFormedUtf8 } from "../../protocol/utf8.ts";
import { validateUsername } from "../../protocol/username.ts";
import { SERVER_NAME } from "../session/voice.ts";

/** The limits a frame from the backplane must keep. */
export interface FrameLimits {
  /** The largest user name, in bytes. */
  readonly maxUsernameSize: number;
  /** The largest message, in bytes (the server's own notices may reach 4 KiB). */
  readonly maxMessageSize: number;
}

/** Why a frame from the backplane was refused: one word per kind, for the log and metrics. */
export type FrameFault =
  | "garbage"
  | "bad timestamp"
  | "name over the limit"
  | "name not UTF-8"
  | "bad name"
  | "forged server notice"
  | "voice not from the server"
  | "text over the limit"
  | "text not UTF-8";

// The server's notices are short, but a summary or a leave with a long name may
// pass a tiny --max-message-size.
const VOICE_TEXT_SIZE = 4096;
const decoder = new TextDecoder();

/**
 * The largest frame that passes {@linkcode checkRelayFrame} under `limits`, in bytes.
 *
 * @example
 * ```ts
 * import { largestRelayFrame } from "./frame_check.ts";
 * import assert from "node:assert/strict";
 *
 * // A notice from * may be longer than a small message limit.
 * assert.equal(largestRelayFrame({ maxUsernameSize: 25, maxMessageSize: 3000 }), 16 + 25 + 4096);
 * assert.equal(largestRelayFrame({ maxUsernameSize: 25, maxMessageSize: 10_000 }), 16 + 25 + 10_000);
 * ```
 */
export function largestRelayFrame(limits: FrameLimits): number {
  return 16 + limits.maxUsernameSize + Math.max(limits.maxMessageSize, VOICE_TEXT_SIZE);
}

/**
 * Checks one frame as read from the backplane: `timestamp (u64 BE)`, user name
 * string, text string, and nothing after.
 *
 * @example A forged notice from `*` on the subject of users' messages
 * ```ts
 * import { checkRelayFrame } from "./frame_check.ts";
 * import { encodeChatMessage } from "../../protocol/encode.ts";
 * import assert from "node:assert/strict";
 *
 * const limits = { maxUsernameSize: 25, maxMessageSize: 3000 };
 * const forged = encodeChatMessage({ timestamp: 1, username: "*", text: "alice left" });
 * assert.equal(checkRelayFrame(forged, false, limits), "forged server notice");
 * assert.equal(checkRelayFrame(forged, true, limits), undefined);
 * assert.equal(checkRelayFrame(new Uint8Array(7), false, limits), "garbage");
 * ```
 *
 * @param frame The frame's bytes.
 * @param voice Whether it came the way only the servers' notices come (NATS: the
 * voice subject, which only the nodes' user may publish to).
 * @param limits The limits of this node.
 * @returns `undefined` when it may reach the room, else what is wrong with it.
 */
export function checkRelayFrame(
  frame: Uint8Array,
  voice: boolean,
  limits: FrameLimits,
): FrameFault | undefined {
  if (frame.length < 16) return "garbage";
  const high = readU32(frame, 0);
  const timestamp = high * 2 ** 32 + readU32(frame, 4);
  if (timestamp > MAX_TIMESTAMP) return "bad timestamp";
  const nameSize = readU32(frame, 8);
  if (12 + nameSize + 4 > frame.length) return "garbage";
  if (nameSize > limits.maxUsernameSize) return "name over the limit";
  const name = frame.subarray(12, 12 + nameSize);
  if (!isWellFormedUtf8(name)) return "name not UTF-8";
  const textAt = 12 + nameSize;
  const textSize = readU32(frame, textAt);
  if (textAt + 4 + textSize !== frame.length) return "garbage";
  const fromServer = nameSize === 1 && name[0] === SERVER_NAME.charCodeAt(0);
  if (fromServer !== voice) {
    return fromServer ? "forged server notice" : "voice not from the server";
  }
  const maxText = voice ? Math.max(limits.maxMessageSize, VOICE_TEXT_SIZE) : limits.maxMessageSize;
  if (textSize > maxText) return "text over the limit";
  if (!isWellFormedUtf8(frame.subarray(textAt + 4))) return "text not UTF-8";
  if (!fromServer) {
    try {
      validateUsername(decoder.decode(name), limits.maxUsernameSize);
    } catch {
      return "bad name";
    }
  }
  return undefined;
}
