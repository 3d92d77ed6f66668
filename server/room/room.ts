/**
 * The chat room: who is in it, the fan-out of each message to all of them,
 * encoded once, the recent history, and the back-pressure on senders.
 *
 * @module
 */

import { BroadcastLog } from "./broadcast_log.ts";
import { ReadGate } from "./read_gate.ts";
import { WritePump, type Writer, writesPerTurn } from "./write_pump.ts";

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
  /** Set by the room: the log position at which the member joined. */
  joinedAt: number;
  /** The member's user name. */
  readonly username: string | undefined;
  /**
   * The log position at which the member's next private frame is due
   * (`Infinity` when none is pending): the room lets it write when its cursor
   * reaches it, even with nothing more to write from the log.
   */
  readonly privateAt: number;
  /**
   * Queues a frame for this member alone, to be written when its cursor reaches
   * `at`, before anything after it.
   *
   * @returns `false` when the member holds too many private frames already.
   */
  queuePrivate(frame: Uint8Array, at: number): boolean;
  /**
   * Whether the member's socket refuses data now (its last write was partial, or a
   * write has been in flight for long: the member may time a write from the first
   * call that sees it).
   *
   * @param now The time now, from `performance.now()`.
   */
  refusing(now: number): boolean;
  /** Disconnects a member that lags more than the room allows. */
  dropSlow(lag: number): void;
}

/** How a {@linkcode Room} is bounded. */
export interface RoomOptions {
  /**
   * How many bytes a member may lag behind the log, its history aside, before it is
   * dropped, if its socket also refuses data.
   */
  readonly maxLag: number;
  /** How many of the last messages a newcomer receives first. */
  readonly history: number;
  /** Told when the room starts (`true`) and stops holding senders back. */
  readonly onPressure?: (on: boolean) => void;
}

// While senders are held back, how often the room looks again at its members.
const RECHECK_MS = 5;

/**
 * The longest a frame delivered with `mayWait` waits before it is committed, when no
 * frame that may not wait comes after it.
 */
export const MAX_WAIT_MS = 20;

/**
 * One room with one total order of messages. {@linkcode Room.publish} (a message
 * accepted here) and {@linkcode Room.deliver} (a frame from a backplane) append to
 * the room's log, encoded once. At the end of the current turn of the event loop
 * the new frames are committed and every member is scheduled to write them from its
 * cursor on: everything accepted in that turn goes to each member in one write, in
 * order, through a {@linkcode WritePump}.
 *
 * A member is dropped as a slow consumer only for its own slowness: more than
 * `maxLag` bytes behind *and* refusing data. When members that do take data fall
 * more than half of `maxLag` behind (the server cannot write as fast as senders
 * send), the room closes its {@linkcode Room.gate}: sessions stop reading from
 * their senders until every such member is within a quarter of `maxLag`.
 */
export class Room {
  /** The frames, shared by all members. */
  readonly log: BroadcastLog = new BroadcastLog();
  /** Closed while senders must wait: the room's back-pressure, a congested backplane. */
  readonly gate: ReadGate = new ReadGate();
  readonly #members = new Set<Member>();
  readonly #pump = new WritePump();
  readonly #maxLag: number;
  readonly #onPressure: ((on: boolean) => void) | undefined;
  // The log positions of the last `history` frames, as a ring.
  readonly #history: Float64Array;
  #historyCount = 0;
  #historyHead = 0;
  #scheduled = 0; // members scheduled to write or writing
  #flushQueued = false;
  readonly #flushTask = () => {
    this.#flushQueued = false;
    this.flush();
  };
  #channel: MessageChannel | undefined;
  // Commits the frames that waited, MAX_WAIT_MS after the first of them.
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #waited = () => {
    this.#waitTimer = undefined;
    this.#flushWhenIdle();
  };
  #closed = false;
  #pressure = false;
  #recheck: ReturnType<typeof setInterval> | undefined;
  #drained: (() => void) | undefined;
  #messages = 0;
  #deliveries = 0;
  #drops = 0;
  #pauses = 0;

  /** @param options The room's bounds. */
  constructor(options: RoomOptions) {
    this.#maxLag = options.maxLag;
    this.#onPressure = options.onPressure;
    this.#history = new Float64Array(options.history);
  }

  /** The number of members. */
  get size(): number {
    return this.#members.size;
  }

  /** The members, for operators' views (presence, `/who`). */
  members(): IterableIterator<Member> {
    return this.#members.values();
  }

  /** Messages appended so far. */
  get messages(): number {
    return this.#messages;
  }

  /** Frames committed to members so far: each message counts once per recipient. */
  get deliveries(): number {
    return this.#deliveries;
  }

  /** Members dropped as slow consumers so far. */
  get slowConsumerDrops(): number {
    return this.#drops;
  }

  /** How many times senders were held back so far. */
  get pressurePauses(): number {
    return this.#pauses;
  }

  /** Messages a newcomer receives as history now. */
  get historySize(): number {
    return this.#historyCount;
  }

  /**
   * Adds a member. It receives the history, then the messages accepted from now on,
   * even those not committed yet.
   *
   * @returns The member's starting cursor: the start of the history.
   */
  join(member: Member): number {
    member.joinedAt = this.log.end;
    this.#members.add(member);
    this.#pump.perTurn = writesPerTurn(this.#members.size);
    const start = this.#historyStart();
    return start;
  }

  /**
   * Lets a member that has just joined write its history at once, rather than with
   * the next message.
   */
  welcome(member: Member): void {
    if (!member.scheduled && !member.closed && member.cursor < this.log.committed) {
      this.#schedule(member);
    }
  }

  /** Removes a member; it receives nothing more. */
  leave(member: Member): void {
    this.#members.delete(member);
    this.#pump.perTurn = writesPerTurn(this.#members.size);
  }

  /**
   * Accepts a message, stamped with the server's clock now.
   *
   * @param sender The sender's user name, encoded as a string field.
   * @param text The message's UTF-8 bytes; they are copied before this returns.
   * @param timestamp Its timestamp, when not now (a history read back from disk).
   */
  publish(
    sender: Uint8Array,
    text: Uint8Array,
    timestamp: number = Math.floor(Date.now() / 1000),
  ): void {
    this.#remember();
    this.log.append(timestamp, sender, text);
    this.#appended();
  }

  /**
   * Appends a frame as it is, in the order frames are delivered (from a backplane).
   *
   * @param frame The frame's bytes; they are copied before this returns.
   * @param mayWait Whether more frames are on their way (the backplane expects them
   * within {@linkcode MAX_WAIT_MS}): the frame is then committed with the next one
   * delivered without `mayWait`, or after {@linkcode MAX_WAIT_MS}, so that members
   * get them in one write rather than two.
   */
  deliver(frame: Uint8Array, mayWait = false): void {
    if (this.#closed) return; // the backplane may still deliver while the server stops
    this.#remember();
    this.log.appendFrame(frame);
    this.#messages++;
    if (mayWait) {
      if (!this.#flushQueued) this.#waitTimer ??= setTimeout(this.#waited, MAX_WAIT_MS);
      return;
    }
    // A backplane hands frames over one by one, a microtask or a turn apart: commit
    // them at the next turn of the event loop, once every write already queued has
    // started, so that each member gets all of them in one write.
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      if (this.#channel === undefined) {
        this.#channel = new MessageChannel();
        this.#channel.port1.onmessage = () => this.#pump.whenIdle(this.#flushTask);
      }
      this.#channel.port2.postMessage(null);
    }
  }

  /**
   * Sends `frame` to `member` alone, right after what was appended to the log
   * before this call (committed or not); it is not part of the room's order or
   * history.
   *
   * @returns `false` when the member has too many private frames pending.
   */
  tell(member: Member, frame: Uint8Array): boolean {
    if (member.closed || !this.#members.has(member)) return false;
    if (!member.queuePrivate(frame, this.log.end)) return false;
    if (!member.scheduled) this.#schedule(member);
    return true;
  }

  /**
   * Commits the frames appended so far and schedules every member to write them. A
   * refusing member still behind by more than `maxLag` bytes of what was committed
   * before is dropped (the new frames do not count against it).
   */
  flush(): void {
    if (this.#waitTimer !== undefined) {
      clearTimeout(this.#waitTimer);
      this.#waitTimer = undefined;
    }
    const before = this.log.committed;
    const frames = this.log.commit();
    if (frames === 0) return;
    this.#deliveries += frames * this.#members.size;
    this.#survey(before, true);
  }

  /**
   * A member's write ended (or it was skipped): schedule it again while it is behind
   * the committed log or a private frame is due.
   */
  written(member: Member): void {
    const cursor = member.cursor;
    if (!member.closed && (cursor < this.log.committed || cursor >= member.privateAt)) {
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

  /** Stops writing and holding senders back; call when the server shuts down. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#waitTimer);
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    clearInterval(this.#recheck);
    this.#recheck = undefined;
    this.gate.release();
    this.#pump.close();
    this.#drained?.();
  }

  // Looks at every member: drops refusing ones lagging more than maxLag behind `base`
  // (the committed end, or what was committed before a flush), schedules writes when
  // asked, releases what nobody needs, and holds senders back or lets them go.
  #survey(base: number, schedule: boolean): void {
    const end = this.log.committed;
    const now = performance.now();
    let oldest = Math.min(end, this.#historyStart());
    let backlog = 0;
    for (const member of this.#members) {
      const from = Math.max(member.cursor, member.joinedAt);
      // Whether its socket refuses data matters only for a member further behind than
      // the bound or than every member seen so far: most members never ask.
      if (base - from > this.#maxLag && member.refusing(now)) {
        this.#drops++;
        member.dropSlow(base - from);
        continue;
      }
      if (schedule && !member.scheduled) this.#schedule(member);
      if (member.cursor < oldest) oldest = member.cursor;
      if (end - from > backlog && !member.refusing(now)) backlog = end - from;
    }
    this.log.release(oldest);
    if (!this.#pressure && backlog > this.#maxLag / 2) this.#hold();
    else if (this.#pressure && backlog <= this.#maxLag / 4) this.#letGo();
  }

  #hold(): void {
    this.#pressure = true;
    this.#pauses++;
    this.gate.close("room");
    this.#onPressure?.(true);
    this.#recheck = setInterval(() => this.#survey(this.log.committed, false), RECHECK_MS);
  }

  #letGo(): void {
    this.#pressure = false;
    clearInterval(this.#recheck);
    this.#recheck = undefined;
    this.gate.open("room");
    this.#onPressure?.(false);
  }

  #remember(): void {
    const history = this.#history;
    if (history.length === 0) return;
    history[this.#historyHead] = this.log.end;
    this.#historyHead = (this.#historyHead + 1) % history.length;
    if (this.#historyCount < history.length) this.#historyCount++;
  }

  #historyStart(): number {
    if (this.#historyCount === 0) return this.log.end;
    return this.#history[this.#historyCount < this.#history.length ? 0 : this.#historyHead]!;
  }

  #flushWhenIdle(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.#pump.whenIdle(this.#flushTask);
  }

  #appended(): void {
    this.#messages++;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushTask);
    }
  }

  #schedule(member: Member): void {
    member.scheduled = true;
    this.#scheduled++;
    this.#pump.schedule(member);
  }
}
