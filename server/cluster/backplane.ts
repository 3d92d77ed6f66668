/**
 * The backplane: how messages accepted by this node reach the room, in one total
 * order, and how a room on several nodes stays one room.
 *
 * @module
 */

import { readU32 } from "../../protocol/integers.ts";
import { writeRelayFrame } from "../room/broadcast_log.ts";

/** What the backplane feeds: the room, in the backplane's order. */
export interface BackplaneSink {
  /**
   * Appends one frame (`timestamp u64 BE`, user name string, text string: the bytes
   * sent to clients) to the room. Frames arrive in the one order of the room.
   *
   * @param frame The frame's bytes; valid during the call only.
   * @param from Where it came from, for a backplane between processes: whether
   * it came the way only the servers' own notices come, its position in the
   * backplane's order (for the log), and whether more frames are on their way, so
   * that the room may commit it with them (`Room.deliver`'s `mayWait`). Nothing
   * from another process is trusted: the sink checks each frame (see `frame_check.ts`).
   */
  deliver(
    frame: Uint8Array,
    from?: { readonly voice: boolean; readonly seq: number; readonly mayWait?: boolean },
  ): void;
  /**
   * The backplane holds more unpublished messages than its bound (`true`): stop
   * reading from local senders until it says `false`.
   */
  congested(on: boolean): void;
  /** The backplane lost (`false`) or regained (`true`) its connection. */
  connected(up: boolean): void;
}

/**
 * The room's transport between nodes. The in-process backplane delivers each
 * message at once; the NATS backplane publishes it to a JetStream stream and
 * delivers what the stream holds, in the stream's order, on every node.
 */
export interface Backplane {
  /**
   * Connects and delivers the last `history` frames to the sink; resolves once
   * messages can flow, rejects with a one-line `Error` when that cannot be.
   */
  start(sink: BackplaneSink): Promise<void>;
  /**
   * Publishes a message accepted by this node. It reaches the sink later (or at
   * once), in the room's order, once.
   *
   * @param sender The sender's user name as an encoded string field; valid during
   * the call only.
   * @param text The message's bytes; valid during the call only.
   * @param id A message id of the caller's: two messages published with the same id
   * (by any node, within the backplane's window of de-duplication) reach the room
   * once. Without it, each message is its own.
   */
  publish(sender: Uint8Array, text: Uint8Array, id?: string): void;
  /** Stops delivering (the room's members are far behind) until {@linkcode resume}. */
  pause(): void;
  /** Delivers again after {@linkcode pause}. */
  resume(): void;
  /** Publishes what it holds (within a bound of time), then disconnects. */
  close(): Promise<void>;
}

/**
 * Encodes one frame as clients receive it: `timestamp`, then the sender's user
 * name field (already encoded) and `text` as a string.
 *
 * @example
 * ```ts
 * import { encodeRelayFrame } from "./backplane.ts";
 * import assert from "node:assert/strict";
 *
 * const frame = encodeRelayFrame(1, new Uint8Array([0, 0, 0, 1, 97]), new Uint8Array([104]));
 * assert.deepEqual([...frame], [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 97, 0, 0, 0, 1, 104]);
 * ```
 */
export function encodeRelayFrame(
  timestamp: number,
  sender: Uint8Array,
  text: Uint8Array,
): Uint8Array {
  const frame = new Uint8Array(12 + sender.length + text.length);
  writeRelayFrame(frame, 0, timestamp, sender, text);
  return frame;
}

/**
 * The frames one after the other in a backplane message, split by their own sizes
 * (a message carries one frame or several). Nothing is checked but where each
 * ends: bytes that cannot be a whole frame come last as one piece, for the frame
 * check to refuse.
 *
 * @example
 * ```ts
 * import { encodeRelayFrame, splitRelayFrames } from "./backplane.ts";
 * import assert from "node:assert/strict";
 *
 * const a = encodeRelayFrame(1, new Uint8Array([0, 0, 0, 1, 97]), new Uint8Array([104]));
 * const parts = splitRelayFrames(new Uint8Array([...a, ...a, 7]));
 * assert.deepEqual(parts.map((part) => part.length), [a.length, a.length, 1]);
 * ```
 */
export function splitRelayFrames(data: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    const end = relayFrameEnd(data, at);
    if (end === undefined) {
      frames.push(data.subarray(at));
      break;
    }
    frames.push(at === 0 && end === data.length ? data : data.subarray(at, end));
    at = end;
  }
  return frames;
}

// Where the frame starting at `at` ends, or `undefined` when the data ends first.
function relayFrameEnd(data: Uint8Array, at: number): number | undefined {
  if (data.length - at < 16) return undefined;
  const textAt = at + 12 + readU32(data, at + 8);
  if (textAt + 4 > data.length) return undefined;
  const end = textAt + 4 + readU32(data, textAt);
  return end > data.length ? undefined : end;
}
