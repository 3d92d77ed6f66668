/**
 * Waiting for a condition on what a connection or a process has received so far.
 *
 * @module
 */

/**
 * Conditions waited on, asked again each time {@linkcode Waiters.wake} says
 * something arrived.
 *
 * @example
 * ```ts
 * import { Waiters } from "./waiters.ts";
 * import assert from "node:assert/strict";
 *
 * const waiters = new Waiters();
 * let lines = 0;
 * const waiting = waiters.until(() => lines === 2, 1000);
 * lines = 2;
 * waiters.wake();
 * assert.equal(await waiting, true);
 * assert.equal(await waiters.until(() => false, 10), false);
 * ```
 */
export class Waiters {
  readonly #wakes = new Set<() => void>();

  /**
   * Waits until `ready()` holds, for at most `timeoutMs`.
   *
   * @param ready The condition, asked at each wake and at the end.
   * @param timeoutMs The most milliseconds to wait.
   * @returns Whether it held.
   */
  async until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return true;
    const { promise, resolve } = Promise.withResolvers<boolean>();
    const wake = () => {
      if (ready()) resolve(true);
    };
    const timer = setTimeout(() => resolve(ready()), timeoutMs);
    this.#wakes.add(wake);
    try {
      return await promise;
    } finally {
      clearTimeout(timer);
      this.#wakes.delete(wake);
    }
  }

  /** Something arrived (or ended): every condition is asked again. */
  wake(): void {
    for (const wake of [...this.#wakes]) wake();
  }
}
