/**
 * A seeded pseudo-random generator for reproducible randomized tests.
 *
 * @module
 */

/** A reproducible source of random numbers (mulberry32). */
export class Random {
  #state: number;

  /** @param seed The seed; the same seed gives the same sequence. */
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** An element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** A seed from `WIRECHAT_SEED` when set (to replay a failure), else a fresh one. */
export function testSeed(): number {
  const fixed = Deno.env.get("WIRECHAT_SEED");
  return fixed === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(fixed);
}
