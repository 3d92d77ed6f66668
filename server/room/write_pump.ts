/**
 * Paces socket writes over turns of the event loop.
 *
 * Deno polls an I/O op eagerly when it is called, so a write to a socket with room
 * completes at once, but only within the runtime's cooperative budget: after 128
 * I/O operations in one turn of the event loop, further ops are parked and finish
 * turns later, in bursts. The pump starts up to a number of writes per turn, then
 * yields to the event loop through a `MessageChannel` (the cheapest way to reach the
 * next turn; a zero-delay timer waits a millisecond or more, and `setImmediate` often
 * runs in the same turn) and carries on there.
 *
 * How many depends on the room ({@linkcode writesPerTurn}): a room whose pass fits
 * the budget starts {@linkcode WRITES_PER_TURN}, so a pass that follows closely waits
 * for the next turn and frames gather for it. A larger room starts
 * {@linkcode LARGE_ROOM_WRITES_PER_TURN}, twice the budget: the writes past it are
 * parked and complete early in the next turn, a pass takes half the turns, and the
 * reads it holds back let frames gather. On the yardstick at 500, 1,000 and 2,000
 * members that was more deliveries per second and a shorter tail than 112; 192 and
 * 320 were no better than 112, and more (512, every write at once) lengthened the
 * tail three to twentyfold (bench/README.md, round six).
 *
 * @module
 */

/** Something the pump lets write: it starts exactly one write when asked. */
export interface Writer {
  /** Starts one write; it must not throw. */
  write(): void;
}

/**
 * Writes started per turn in a room of at most this many members: Deno's budget is
 * 128 I/O operations, and reads that find data waiting take a few of them too.
 * Measured best among 96, 112 and 124 at fan-out to 100 (and 256 was 0.8x there).
 */
export const WRITES_PER_TURN = 112;

/** Writes started per turn in a larger room: twice Deno's budget. */
export const LARGE_ROOM_WRITES_PER_TURN = 256;

/** Writes a room of `members` starts per turn of the event loop. */
export function writesPerTurn(members: number): number {
  return members <= WRITES_PER_TURN ? WRITES_PER_TURN : LARGE_ROOM_WRITES_PER_TURN;
}

/** A FIFO of writers, served at most {@linkcode WritePump.perTurn} per turn. */
export class WritePump {
  /** Writes started per turn. */
  perTurn: number = WRITES_PER_TURN;
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
    while (this.#head < queue.length && this.#used < this.perTurn) {
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
