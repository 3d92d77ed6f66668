/**
 * The log of frames broadcast to the room: appended once, read by every member at
 * its own pace.
 *
 * @module
 */

import { writeU32, writeU64 } from "../../protocol/integers.ts";

// Frames are appended into segments of this size; a frame larger than a segment
// gets a segment of its own.
const SEGMENT_SIZE = 64 * 1024;

interface Segment {
  /** Log position of `bytes[0]`. */
  readonly start: number;
  readonly bytes: Uint8Array;
  /** Log position just past the last frame in the segment. */
  end: number;
}

/**
 * Writes one frame as clients receive it into `target` at `at`: `timestamp`, then
 * the sender's user name field (already encoded, size included) and `text` as a
 * string. `target` must have room for `12 + sender.length + text.length` bytes.
 *
 * @example
 * ```ts
 * import { writeRelayFrame } from "./broadcast_log.ts";
 * import assert from "node:assert/strict";
 *
 * const frame = new Uint8Array(18);
 * writeRelayFrame(frame, 0, 1, new Uint8Array([0, 0, 0, 1, 97]), new Uint8Array([104]));
 * assert.deepEqual([...frame], [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 97, 0, 0, 0, 1, 104]);
 * ```
 */
export function writeRelayFrame(
  target: Uint8Array,
  at: number,
  timestamp: number,
  sender: Uint8Array,
  text: Uint8Array,
): void {
  writeU64(target, at, timestamp);
  target.set(sender, at + 8);
  at += 8 + sender.length;
  writeU32(target, at, text.length);
  target.set(text, at + 4);
}

/**
 * An append-only byte log addressed by absolute positions. Every frame is encoded
 * into it once; each member of the room keeps a cursor and writes the log from its
 * cursor on, so the same bytes serve every member and nothing is copied per member.
 * Frames become readable when committed, which batches what one turn of the event
 * loop appends. Segments every cursor has passed are released.
 */
export class BroadcastLog {
  #segments: Segment[] = [];
  #end = 0;
  #committed = 0;
  #uncommittedFrames = 0;
  // The view `read` returned last, from #viewAt to #viewEnd: committed bytes never change.
  #view: Uint8Array | undefined;
  #viewAt = -1;
  #viewEnd = -1;

  /** The position just past the last appended frame. */
  get end(): number {
    return this.#end;
  }

  /** The position up to which frames are readable. */
  get committed(): number {
    return this.#committed;
  }

  /** The bytes of memory the log holds: the capacity of its segments. */
  get heldBytes(): number {
    let bytes = 0;
    for (const segment of this.#segments) bytes += segment.bytes.length;
    return bytes;
  }

  /**
   * Appends one chat frame: `timestamp`, then the sender's user name and `text` as
   * strings.
   *
   * @param timestamp Whole seconds of UNIX time.
   * @param sender The user name, already encoded as a string field (size + bytes).
   * @param text The message's UTF-8 bytes, copied here.
   */
  append(timestamp: number, sender: Uint8Array, text: Uint8Array): void {
    const size = 12 + sender.length + text.length;
    const tail = this.#tailFor(size);
    writeRelayFrame(tail.bytes, tail.end - tail.start, timestamp, sender, text);
    tail.end += size;
    this.#end += size;
    this.#uncommittedFrames++;
  }

  /**
   * Appends one chat frame already encoded (as a backplane delivers it).
   *
   * @param frame The frame's bytes, copied here.
   */
  appendFrame(frame: Uint8Array): void {
    const tail = this.#tailFor(frame.length);
    tail.bytes.set(frame, tail.end - tail.start);
    tail.end += frame.length;
    this.#end += frame.length;
    this.#uncommittedFrames++;
  }

  /**
   * Makes everything appended so far readable.
   *
   * @returns The number of frames newly committed.
   */
  commit(): number {
    const frames = this.#uncommittedFrames;
    this.#uncommittedFrames = 0;
    this.#committed = this.#end;
    return frames;
  }

  /**
   * The committed bytes from `position` on, up to the end of the segment holding
   * it: the next thing to write for a member at `position`.
   *
   * @returns The bytes, or `undefined` when `position` has reached the committed end.
   */
  read(position: number): Uint8Array | undefined {
    if (position >= this.#committed) return undefined;
    const segments = this.#segments;
    for (let i = segments.length - 1; i >= 0; i--) {
      const segment = segments[i]!;
      if (segment.start <= position) {
        const end = Math.min(segment.end, this.#committed);
        // Members at one position read one view: a pass makes one, not one a member.
        if (position === this.#viewAt && end === this.#viewEnd) return this.#view;
        this.#viewAt = position;
        this.#viewEnd = end;
        this.#view = segment.bytes.subarray(position - segment.start, end - segment.start);
        return this.#view;
      }
    }
    throw new RangeError(`Log position ${position} was already released`);
  }

  /**
   * Releases the segments that lie wholly before `position`: no member needs them.
   * The segment being appended to is kept.
   */
  release(position: number): void {
    const segments = this.#segments;
    let drop = 0;
    while (drop < segments.length - 1 && segments[drop]!.end <= position) drop++;
    if (drop > 0) segments.splice(0, drop);
    if (this.#viewEnd <= position) {
      this.#view = undefined;
      this.#viewAt = this.#viewEnd = -1;
    }
  }

  #tailFor(size: number): Segment {
    let tail = this.#segments[this.#segments.length - 1];
    if (tail === undefined || tail.end + size > tail.start + tail.bytes.length) {
      tail = {
        start: this.#end,
        bytes: new Uint8Array(Math.max(SEGMENT_SIZE, size)),
        end: this.#end,
      };
      this.#segments.push(tail);
    }
    return tail;
  }
}
