/**
 * Pacing of failed authentications, per address and per name: once a key has
 * failed, its next attempts are checked one per interval at most (an attempt
 * waits for its turn); one that would wait too long is refused. Keys without a
 * recent failure are never delayed.
 *
 * @module
 */

/** How {@linkcode AttemptPacer} paces. */
export interface AttemptPacerOptions {
  /**
   * Milliseconds between two attempts of a key that failed recently.
   *
   * @default {500}
   */
  readonly intervalMs?: number;
  /**
   * An attempt that would wait longer than this is refused.
   *
   * @default {10000}
   */
  readonly maxWaitMs?: number;
  /**
   * A key's failures are forgotten this long after the last one.
   *
   * @default {60000}
   */
  readonly forgetMs?: number;
  /** The clock, in milliseconds. */
  readonly now?: () => number;
}

// Keys held at most; past it, forgotten ones are dropped first, then the oldest.
const MAX_KEYS = 100_000;

/**
 * Paces attempts on keys that failed recently: each attempt reserves its turn on
 * every key it names.
 *
 * @example A second attempt on a key that failed waits its turn
 * ```ts
 * import { AttemptPacer } from "./attempt_pacer.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const pacer = new AttemptPacer({ intervalMs: 500, now: () => now });
 * assert.equal(pacer.reserve(["addr:1.2.3.4", "name:alice"]), 0);
 * pacer.failed(["addr:1.2.3.4", "name:alice"]);
 * assert.equal(pacer.reserve(["addr:5.6.7.8", "name:alice"]), 500);
 * ```
 */
export class AttemptPacer {
  readonly #intervalMs: number;
  readonly #maxWaitMs: number;
  readonly #forgetMs: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, { nextAt: number; failedAt: number }>();

  /** @param options How it paces. */
  constructor(options: AttemptPacerOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 500;
    this.#maxWaitMs = options.maxWaitMs ?? 10_000;
    this.#forgetMs = options.forgetMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Reserves the next turn of an attempt on `keys`.
   *
   * @returns Milliseconds to wait before checking the attempt (0 for keys without
   * a recent failure), or `undefined` when it would wait too long: refuse it.
   */
  reserve(keys: readonly string[]): number | undefined {
    const now = this.#now();
    let wait = 0;
    const active = [];
    for (const key of keys) {
      const entry = this.#keys.get(key);
      if (entry === undefined || now - entry.failedAt >= this.#forgetMs) continue;
      active.push(entry);
      wait = Math.max(wait, entry.nextAt - now);
    }
    if (wait > this.#maxWaitMs) return undefined;
    for (const entry of active) entry.nextAt = now + wait + this.#intervalMs;
    return wait;
  }

  /** An attempt on `keys` failed. */
  failed(keys: readonly string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const entry = this.#keys.get(key);
      if (entry !== undefined) {
        entry.failedAt = now;
        entry.nextAt = Math.max(entry.nextAt, now + this.#intervalMs);
        continue;
      }
      if (this.#keys.size >= MAX_KEYS) this.#prune(now);
      this.#keys.set(key, { nextAt: now + this.#intervalMs, failedAt: now });
    }
  }

  /** Keys with a recent failure. */
  get size(): number {
    return this.#keys.size;
  }

  #prune(now: number): void {
    for (const [key, entry] of this.#keys) {
      if (now - entry.failedAt >= this.#forgetMs) this.#keys.delete(key);
    }
    // Still full: the oldest go (insertion order).
    for (const key of this.#keys.keys()) {
      if (this.#keys.size < MAX_KEYS) break;
      this.#keys.delete(key);
    }
  }
}
