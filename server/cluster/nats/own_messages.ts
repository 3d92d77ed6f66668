/**
 * Which stream messages a node may let wait before its room commits them, so that
 * the frames of both nodes' senders reach each member in one write.
 *
 * Each node's members answer the pass that carried their own frames, so on a node the
 * other nodes' frames arrive between two of its own stream messages. Written at once,
 * they cost a pass (a write to every member) of their own; a node whose members are
 * sending now lets them wait for its next own message, at most
 * {@linkcode MAX_WAIT_MS}: one pass instead of two. A node whose members are quiet
 * lets nothing wait, so a frame waits only on a node that expects its own within
 * that bound.
 *
 * @module
 */

import { MAX_WAIT_MS } from "../../room/room.ts";

/**
 * This node's own stream messages: their ids (`<nodeId>-<number>`, made here and
 * read back here), and those sent and read back, by number.
 */
export class OwnMessages {
  readonly #prefix: string;
  #made = 0;
  #sent = 0;
  #sentAt = -Infinity;
  #read = 0;
  #readAt = -Infinity;

  /** @param nodeId This node's id: its message ids are `<nodeId>-<number>`. */
  constructor(nodeId: string) {
    this.#prefix = `${nodeId}-`;
  }

  /** A fresh message id of this node's. */
  nextId(): string {
    return `${this.#prefix}${++this.#made}`;
  }

  /**
   * The publisher sent a stream message.
   *
   * @param id Its message id.
   * @param now The time now, from `performance.now()`.
   */
  sent(id: string, now: number): void {
    const number = this.#number(id);
    if (number > this.#sent) this.#sent = number;
    this.#sentAt = now;
  }

  /**
   * Whether the frames of a stream message read now may wait for the ones that
   * follow: an own message while a later one of this node's is out (sent within
   * {@linkcode MAX_WAIT_MS} and not read back yet), another node's while this node
   * read one of its own within {@linkcode MAX_WAIT_MS}.
   *
   * @param id The message's id, if it has one.
   * @param now The time now, from `performance.now()`.
   */
  mayWait(id: string | undefined, now: number): boolean {
    const number = id === undefined ? 0 : this.#number(id);
    if (number === 0) return now - this.#readAt < MAX_WAIT_MS;
    if (number > this.#read) this.#read = number;
    this.#readAt = now;
    return this.#sent > this.#read && now - this.#sentAt < MAX_WAIT_MS;
  }

  // The number in one of this node's message ids; 0 for another's, or one the caller named.
  #number(id: string): number {
    if (!id.startsWith(this.#prefix)) return 0;
    const number = Number(id.slice(this.#prefix.length));
    return Number.isSafeInteger(number) && number > 0 ? number : 0;
  }
}
