/**
 * A per-connection message rate: a token bucket.
 *
 * @module
 */

/**
 * Allows `rate` messages per second on average and bursts of up to `burst`.
 *
 * @example Ten messages a second, bursts of five
 * ```ts
 * import { TokenBucket } from "./rate_limit.ts";
 * import assert from "node:assert/strict";
 *
 * const bucket = new TokenBucket(10, 5, 0);
 * for (let i = 0; i < 5; i++) assert.ok(bucket.take(0)); // the burst
 * assert.equal(bucket.take(0), false);
 * assert.equal(bucket.delay(0), 100); // the next token, in 100 ms
 * assert.ok(bucket.take(100));
 * ```
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /**
   * @param rate Messages per second on average.
   * @param burst Messages allowed at once.
   * @param now The time now, in milliseconds.
   */
  constructor(rate: number, burst: number, now: number) {
    this.#perMs = rate / 1000;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#at = now;
  }

  /** Takes a token if one is there at `now`. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  /** Milliseconds from `now` until a token is there. */
  delay(now: number): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) / this.#perMs);
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
  }
}
