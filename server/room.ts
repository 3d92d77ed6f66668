/**
 * The chat room: who is in it, and the fan-out of each accepted message to all of
 * them, encoded once.
 *
 * @module
 */

import { BroadcastLog } from "./broadcast_log.ts";
import { WritePump, type Writer } from "./write_pump.ts";

/** A member of the room: it writes the room's log from its own cursor on. */
export interface Member extends Writer {
  /** The log position up to which the member has written. */
  readonly cursor: number;
  /** Whether the connection is closed. */
  readonly closed: boolean;
  /**
   * Set by the room while the member waits for a write or has one in flight; the
   * member itself only reads it.
   */
  scheduled: boolean;
  /** Disconnects a member that lags more than the room allows. */
  dropSlow(lag: number): void;
}

/**
 * One room with one total order of messages. {@linkcode Room.publish} encodes a
 * message once into the room's log. At the end of the current turn of the event
 * loop the new frames are committed and every member is scheduled to write them
 * from its cursor on: everything accepted in that turn goes to each member in one
 * write, in the order accepted, through a {@linkcode WritePump}. A member that lags
 * more than `maxLag` bytes behind the log is dropped; nobody waits for it.
 */
export class Room {
  /** The frames, shared by all members. */
  readonly log: BroadcastLog = new BroadcastLog();
  readonly #members = new Set<Member>();
  readonly #pump = new WritePump();
  readonly #maxLag: number;
  #scheduled = 0; // members scheduled to write or writing
  #flushQueued = false;
  readonly #flushTask = () => {
    this.#flushQueued = false;
    this.flush();
  };
  #drained: (() => void) | undefined;
  #messages = 0;
  #deliveries = 0;

  /** @param maxLag How many bytes a member may lag behind the log before it is dropped. */
  constructor(maxLag: number) {
    this.#maxLag = maxLag;
  }

  /** The number of members. */
  get size(): number {
    return this.#members.size;
  }

  /** Messages accepted so far. */
  get messages(): number {
    return this.#messages;
  }

  /** Frames committed to members so far: each message counts once per recipient. */
  get deliveries(): number {
    return this.#deliveries;
  }

  /**
   * Adds a member. It receives the messages accepted from now on, and none of those
   * accepted before, even if they are not committed yet.
   *
   * @returns The member's starting cursor.
   */
  join(member: Member): number {
    this.#members.add(member);
    return this.log.end;
  }

  /** Removes a member; it receives nothing more. */
  leave(member: Member): void {
    this.#members.delete(member);
  }

  /**
   * Accepts a message, stamped with the server's clock now.
   *
   * @param sender The sender's user name, encoded as a string field.
   * @param text The message's UTF-8 bytes; they are copied before this returns.
   */
  publish(sender: Uint8Array, text: Uint8Array): void {
    this.log.append(Math.floor(Date.now() / 1000), sender, text);
    this.#messages++;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushTask);
    }
  }

  /**
   * Commits the frames appended so far and schedules every member to write them. A
   * member still behind by more than `maxLag` bytes of what was committed before is
   * dropped (the new frames do not count against it).
   */
  flush(): void {
    const before = this.log.committed;
    const frames = this.log.commit();
    if (frames === 0) return;
    const end = this.log.committed;
    this.#deliveries += frames * this.#members.size;
    let oldest = end;
    for (const member of this.#members) {
      const lag = before - member.cursor;
      if (lag > this.#maxLag) {
        member.dropSlow(lag);
        continue;
      }
      if (!member.scheduled) this.#schedule(member);
      if (member.cursor < oldest) oldest = member.cursor;
    }
    this.log.release(oldest);
  }

  /**
   * A member's write ended (or it was skipped): schedule it again while it is behind
   * the committed log.
   */
  written(member: Member): void {
    if (!member.closed && member.cursor < this.log.committed) {
      this.#pump.schedule(member);
      return;
    }
    member.scheduled = false;
    if (--this.#scheduled === 0) this.#drained?.();
  }

  /** Resolves when no member has anything committed left to write. */
  drained(): Promise<void> {
    if (this.#scheduled === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = () => {
        this.#drained = undefined;
        resolve();
      };
    });
  }

  /** Stops writing; call when the server shuts down. */
  close(): void {
    this.#pump.close();
    this.#drained?.();
  }

  #schedule(member: Member): void {
    member.scheduled = true;
    this.#scheduled++;
    this.#pump.schedule(member);
  }
}
