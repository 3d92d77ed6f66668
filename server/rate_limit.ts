/**
 * A per-connection message rate: a token bucket.
 *
 * @module
 */

/**
 * Allows `rate` messages per second on average and bursts of up to `burst`. It
 * never refuses: messages already read are counted, and {@linkcode take} says how
 * long the reader must pause before the bucket holds a token again.
 *
 * @example Ten messages a second, bursts of five
 * ```ts
 * import { TokenBucket } from "./rate_limit.ts";
 * import assert from "node:assert/strict";
 *
 * const bucket = new TokenBucket(10, 5, 0);
 * assert.equal(bucket.take(5, 0), 0); // the burst
 * assert.equal(bucket.take(1, 0), 100); // one message over: wait 100 ms
 * assert.equal(bucket.take(0, 100), 0); // refilled
 * ```
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /**
   * @param rate Messages per second on average.
   * @param burst Messages allowed at once, on top of the rate.
   * @param now The time now, in milliseconds.
   */
  constructor(rate: number, burst: number, now: number) {
    this.#perMs = rate / 1000;
    this.#burst = Math.max(1, burst);
    this.#tokens = this.#burst;
    this.#at = now;
  }

  /**
   * Counts `count` messages read at `now`.
   *
   * @returns Milliseconds to pause reads for: 0 while tokens are left.
   */
  take(count: number, now: number): number {
    const tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs) - count;
    this.#tokens = tokens;
    this.#at = now;
    return tokens >= 0 ? 0 : Math.ceil(-tokens / this.#perMs);
  }
}
