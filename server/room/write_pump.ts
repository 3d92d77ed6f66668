/**
 * Paces socket writes over turns of the event loop, for a room that fits Deno's
 * budget.
 *
 * Deno polls an I/O op eagerly when it is called, so a write to a socket with room
 * completes at once, but only within the runtime's cooperative budget: after 128
 * I/O operations in one turn of the event loop, further ops are parked and finish
 * turns later, in bursts. While a room's pass over its members fits the budget, the
 * pump keeps each turn under it: it runs up to {@linkcode WRITES_PER_TURN} writes,
 * then yields to the event loop through a `MessageChannel` (the cheapest way to reach
 * the next turn; a zero-delay timer waits a millisecond or more, and `setImmediate`
 * often runs in the same turn) and carries on there.
 *
 * A room with more members than that, up to {@linkcode UNPACED_MAX_MEMBERS}, runs
 * its pump unpaced: every write of a pass starts at once, Deno parks those past its
 * budget and completes them over the next turns, and the reads waiting behind them
 * let more frames gather for each member's next write. At 1,000 members that is a
 * quarter fewer writes and about 1.3x the deliveries per second of a paced pass
 * (bench/README.md, round six). Larger rooms stay paced: a parked write is in
 * flight, and one in flight for 250 ms counts as refused (`session.ts`, `STALL_MS`).
 *
 * @module
 */

/** Something the pump lets write: it starts exactly one write when asked. */
export interface Writer {
  /** Starts one write; it must not throw. */
  write(): void;
}

/**
 * Writes started per turn of the event loop: Deno's budget is 128 I/O operations,
 * and reads that find data waiting take a few of them too. Measured best among 96,
 * 112 and 124 at fan-outs to 100 and to 1,000 clients.
 */
export const WRITES_PER_TURN = 112;

/**
 * The most members a room writes to unpaced: Deno completes parked writes about 128
 * a turn, so a pass to this many ends in some 16 turns, milliseconds.
 */
export const UNPACED_MAX_MEMBERS = 2048;

/** Whether a room of `members` paces its writes over turns. */
export function pacedFor(members: number): boolean {
  return members <= WRITES_PER_TURN || members > UNPACED_MAX_MEMBERS;
}

/**
 * A FIFO of writers, served at most {@linkcode WRITES_PER_TURN} per turn while
 * paced, all at once otherwise.
 */
export class WritePump {
  /** Whether writes are paced over turns; unpaced, every queued writer writes at once. */
  paced = true;
  #queue: Writer[] = [];
  #head = 0;
  #used = 0;
  #channel: MessageChannel | undefined;
  #waiting = false; // a turn marker is on its way
  #closed = false;
  #idle: (() => void) | undefined;

  /** Writers waiting for their turn. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Queues a writer; it writes in this turn if the budget allows, else in a later
   * one, after the writers queued before it.
   */
  schedule(writer: Writer): void {
    if (this.#closed) return;
    this.#queue.push(writer);
    this.#run();
  }

  /**
   * Calls `callback` (in a microtask) once every writer queued now has started
   * its write: at once if none waits.
   */
  whenIdle(callback: () => void): void {
    if (this.waiting === 0) queueMicrotask(callback);
    else this.#idle = callback;
  }

  /** Stops the pump and releases its channel; queued writers are dropped. */
  close(): void {
    this.#closed = true;
    this.#idle = undefined;
    this.#queue = [];
    this.#head = 0;
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = undefined;
  }

  #run(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && (this.#used < WRITES_PER_TURN || !this.paced)) {
      const writer = queue[this.#head]!;
      queue[this.#head++] = undefined!;
      this.#used++;
      writer.write();
    }
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
      if (this.#idle !== undefined) {
        queueMicrotask(this.#idle);
        this.#idle = undefined;
      }
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    // The count of writes only restarts when a marker message proves that a new turn
    // began. Sending one costs a little, so it is only sent once writes are left
    // waiting; until then the count spans turns and overstates the use, never more.
    if (!this.#waiting && this.#head < this.#queue.length) this.#awaitNextTurn();
  }

  #awaitNextTurn(): void {
    if (this.#channel === undefined) {
      this.#channel = new MessageChannel();
      this.#channel.port1.onmessage = () => {
        this.#waiting = false;
        this.#used = 0;
        if (!this.#closed && this.waiting > 0) this.#run();
      };
    }
    this.#waiting = true;
    this.#channel.port2.postMessage(null);
  }
}
