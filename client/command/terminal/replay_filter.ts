/**
 * Recent messages remembered, so that a history replay after reconnecting does
 * not show them twice.
 *
 * @module
 */

import type { ChatMessage } from "../../../protocol/frames.ts";

/** The default number of messages a {@linkcode ReplayFilter} remembers. */
export const DEFAULT_REPLAY_MEMORY = 1000;

/**
 * Decides which received messages to show when a server replays its history
 * after a reconnection. It remembers the last `capacity` messages shown, as
 * (timestamp, user, text). After {@linkcode ReplayFilter.reconnected}, a message
 * no newer than the newest one shown before, and identical to one remembered, is
 * a replay and is not shown again (each remembered message hides one copy at
 * most); the first newer message ends the overlap, and from then on every
 * message is shown, repeats included, as before.
 */
export class ReplayFilter {
  readonly #capacity: number;
  // How many times each message is remembered, and the order to forget them in.
  readonly #counts = new Map<string, number>();
  readonly #order: string[] = [];
  #head = 0;
  #newest = -Infinity;
  // The newest timestamp shown before the reconnection, while in the overlap.
  #overlapUntil: number | undefined;
  // How many copies of each message this replay has hidden.
  #hidden = new Map<string, number>();
  // Messages shown during the overlap: remembered once it ends, so that older
  // ones missed do not push out of memory those the rest of the replay repeats.
  #pending: string[] = [];

  /** @param capacity How many messages to remember. */
  constructor(capacity: number = DEFAULT_REPLAY_MEMORY) {
    this.#capacity = capacity;
  }

  /** Starts the overlap: the next messages may replay ones already shown. */
  reconnected(): void {
    this.#endOverlap();
    this.#overlapUntil = this.#newest;
    this.#hidden = new Map();
  }

  /**
   * Tells whether to show a received message, and remembers it when it is shown.
   *
   * @param message A message as received.
   * @returns False for a replay of a message already shown.
   */
  accept(message: ChatMessage): boolean {
    const key = `${message.timestamp}\0${message.username}\0${message.text}`;
    if (this.#overlapUntil !== undefined) {
      if (message.timestamp > this.#overlapUntil) {
        this.#endOverlap();
      } else {
        const hidden = this.#hidden.get(key) ?? 0;
        if (hidden < (this.#counts.get(key) ?? 0)) {
          // Shown already, as often as the replay has repeated it so far.
          this.#hidden.set(key, hidden + 1);
          return false;
        }
        this.#pending.push(key);
        if (this.#pending.length > 2 * this.#capacity) this.#pending.splice(0, this.#capacity);
        return true;
      }
    }
    this.#remember(key);
    this.#newest = Math.max(this.#newest, message.timestamp);
    return true;
  }

  #endOverlap(): void {
    this.#overlapUntil = undefined;
    for (const key of this.#pending.slice(-this.#capacity)) this.#remember(key);
    this.#pending = [];
  }

  #remember(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.#order.push(key);
    if (this.#order.length - this.#head > this.#capacity) {
      const oldest = this.#order[this.#head++]!;
      const count = this.#counts.get(oldest) ?? 0;
      if (count <= 1) this.#counts.delete(oldest);
      else this.#counts.set(oldest, count - 1);
      // Compact now and then, so the queue stays bounded.
      if (this.#head > this.#capacity) {
        this.#order.splice(0, this.#head);
        this.#head = 0;
      }
    }
  }
}
