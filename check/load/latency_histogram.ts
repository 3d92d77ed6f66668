/**
 * A log-linear histogram of latencies, and exact nearest-rank percentiles.
 *
 * @module
 */

// Values below EXACT each get a bucket; above, every power of two is split into
// SUB_BUCKETS buckets, so a bucket's midpoint is within 1/256 (0.4%) of any value
// it holds.
const EXACT = 256;
const SUB_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BITS;
const FIRST_LOG = 8; // log2(EXACT)
const LAST_LOG = 52; // values up to 2^53 - 1
const BUCKETS = EXACT + (LAST_LOG - FIRST_LOG + 1) * SUB_BUCKETS;

function bucketOf(value: number): number {
  if (value < EXACT) return value;
  if (value < 0x8000_0000) {
    const log = 31 - Math.clz32(value);
    return EXACT + (log - FIRST_LOG) * SUB_BUCKETS + (value >>> (log - SUB_BITS)) - SUB_BUCKETS;
  }
  const log = Math.floor(Math.log2(value));
  // Math.log2 may round up just below a power of two: settle on the exact exponent.
  const exact = value < 2 ** log ? log - 1 : value >= 2 ** (log + 1) ? log + 1 : log;
  const top = Math.floor(value / 2 ** (exact - SUB_BITS));
  return EXACT + (exact - FIRST_LOG) * SUB_BUCKETS + top - SUB_BUCKETS;
}

function midpointOf(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const log = Math.floor((bucket - EXACT) / SUB_BUCKETS) + FIRST_LOG;
  const top = (bucket - EXACT) % SUB_BUCKETS + SUB_BUCKETS;
  const width = 2 ** (log - SUB_BITS);
  return top * width + (width - 1) / 2;
}

/**
 * Counts non-negative integer samples (latencies in microseconds, say) in fixed
 * memory, with no allocation per sample. Values below 256 are kept exactly;
 * larger ones within 0.4%.
 *
 * @example Percentiles of latencies
 * ```ts
 * import { LatencyHistogram } from "./latency_histogram.ts";
 * import assert from "node:assert/strict";
 *
 * const histogram = new LatencyHistogram();
 * for (let us = 1; us <= 100; us++) histogram.record(us);
 * assert.equal(histogram.percentile(0.5), 50);
 * assert.equal(histogram.percentile(0.99), 99);
 * assert.equal(histogram.max, 100);
 * ```
 */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #max = 0;

  /** How many samples were recorded. */
  get count(): number {
    return this.#count;
  }

  /** The largest sample, exactly; 0 when there is none. */
  get max(): number {
    return this.#max;
  }

  /**
   * Records one sample.
   *
   * @param value A non-negative number; it is rounded down to an integer, and
   * negative values count as 0.
   */
  record(value: number): void {
    const v = value > 0 ? Math.floor(Math.min(value, Number.MAX_SAFE_INTEGER)) : 0;
    this.#counts[bucketOf(v)]!++;
    this.#count++;
    if (v > this.#max) this.#max = v;
  }

  /**
   * The nearest-rank percentile: the smallest recorded value such that at least
   * `p` of the samples are at most it, as the midpoint of its bucket (never above
   * the maximum).
   *
   * @param p A fraction from 0 to 1 (0.99 for p99).
   * @returns The percentile; 0 when nothing was recorded.
   */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.#count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#counts[bucket]!;
      if (seen >= rank) return Math.min(midpointOf(bucket), this.#max);
    }
    return this.#max;
  }
}

/**
 * The nearest-rank percentile of values sorted in ascending order: the value at
 * rank `ceil(p × n)` (at least 1).
 *
 * @example The median of five runs
 * ```ts
 * import { nearestRank } from "./latency_histogram.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nearestRank([1, 2, 3, 4, 5], 0.5), 3);
 * assert.equal(nearestRank([1, 2, 3, 4], 0.5), 2);
 * assert.equal(nearestRank([10, 20], 1), 20);
 * ```
 *
 * @param sorted Values in ascending order.
 * @param p A fraction from 0 to 1.
 * @returns The percentile.
 * @throws {RangeError} When there are no values.
 */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError("Cannot take a percentile of no values");
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}
