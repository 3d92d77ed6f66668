/**
 * A per-connection message rate: a token bucket, and the pacing of what is read
 * past it.
 *
 * @module
 */

import type { ReadGate } from "../room/read_gate.ts";

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

/**
 * One connection's message rate: a {@linkcode TokenBucket}, and the messages read
 * past it, copied and held until their tokens come. While any are held, reads
 * stop (the connection's read gate is closed `"rate"`): a sender past its rate is
 * read more slowly, and nothing it sent is dropped.
 */
export class RatePacer {
  readonly #bucket: TokenBucket;
  #held: Uint8Array[] | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param rate Messages per second.
   * @param burst Messages allowed at once past a pause.
   * @param now The time, in milliseconds of `performance.now()`.
   */
  constructor(rate: number, burst: number, now: number) {
    this.#bucket = new TokenBucket(rate, burst, now);
  }

  /**
   * Whether `text` may go now. When it may not, a copy is held (nothing sent after
   * it overtakes it): call {@linkcode RatePacer.pace} once the read is done.
   */
  pass(text: Uint8Array, now: number): boolean {
    if (this.#held === undefined && this.#bucket.take(now)) return true;
    (this.#held ??= []).push(text.slice());
    return false;
  }

  /** Whether messages are held and their pacing has not started. */
  get due(): boolean {
    return this.#held !== undefined && this.#timer === undefined;
  }

  /**
   * Closes `gate` while messages are held, and sends them at the rate; the gate
   * opens again once the last has gone. Does nothing when nothing is held or the
   * pacing runs already.
   *
   * @param gate The connection's read gate.
   * @param send Sends one held message; returns false when the connection closed.
   */
  pace(gate: ReadGate, send: (text: Uint8Array) => boolean): void {
    if (this.#held === undefined || this.#timer !== undefined) return;
    gate.close("rate");
    const release = () => {
      this.#timer = undefined;
      const held = this.#held!;
      let sent = 0;
      while (sent < held.length && this.#bucket.take(performance.now())) {
        if (!send(held[sent++]!)) return;
      }
      if (sent < held.length) {
        held.splice(0, sent);
        this.#timer = setTimeout(release, this.#bucket.delay(performance.now()));
      } else {
        this.#held = undefined;
        gate.open("rate");
      }
    };
    this.#timer = setTimeout(release, this.#bucket.delay(performance.now()));
  }

  /** Stops the pacing: the connection is closed. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
