/**
 * The one place that decides whether a session reads from its client now.
 *
 * @module
 */

/**
 * Why reads are paused: each reason closes the gate on its own, and the gate opens
 * only when none is left.
 */
export type PauseReason = "rate" | "room" | "backplane" | "claim" | "joining" | "auth";

const BITS: Record<PauseReason, number> = {
  rate: 1,
  room: 2,
  backplane: 4,
  claim: 8,
  joining: 16,
  auth: 32,
};

/**
 * A gate in front of reads, closed for one or more reasons. Closing and opening
 * cost nothing while nobody waits; {@linkcode ReadGate.wait} is for a reader that
 * found it closed.
 *
 * @example Two reasons, one gate
 * ```ts
 * import { ReadGate } from "./read_gate.ts";
 * import assert from "node:assert/strict";
 *
 * const gate = new ReadGate();
 * gate.close("rate");
 * gate.close("room");
 * const opened = gate.wait();
 * gate.open("rate");
 * assert.equal(gate.isOpen, false);
 * gate.open("room");
 * await opened;
 * assert.equal(gate.isOpen, true);
 * ```
 */
export class ReadGate {
  #closedBy = 0;
  #waiters: (() => void)[] = [];

  /** Whether no reason holds the gate closed. */
  get isOpen(): boolean {
    return this.#closedBy === 0;
  }

  /** Whether `reason` holds the gate closed. */
  has(reason: PauseReason): boolean {
    return (this.#closedBy & BITS[reason]) !== 0;
  }

  /** Closes the gate for `reason` (again is fine). */
  close(reason: PauseReason): void {
    this.#closedBy |= BITS[reason];
  }

  /** Withdraws `reason`; wakes the waiters when no reason is left. */
  open(reason: PauseReason): void {
    if (this.#closedBy === 0) return;
    this.#closedBy &= ~BITS[reason];
    if (this.#closedBy === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Opens the gate for good: every reason withdrawn, every waiter woken. */
  release(): void {
    this.#closedBy = BITS.rate;
    this.open("rate");
  }

  /** Resolves once the gate is open (at once if it is). */
  wait(): Promise<void> {
    if (this.#closedBy === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
