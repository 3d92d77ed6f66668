import assert from "node:assert/strict";
import { LatencyHistogram, nearestRank } from "../../check/load/latency_histogram.ts";
import { Random, testSeed } from "../support/random.ts";

const PERCENTILES = [0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1];

Deno.test("nearestRank picks the value at rank ceil(p × n)", () => {
  const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  assert.equal(nearestRank(values, 0), 10);
  assert.equal(nearestRank(values, 0.1), 10);
  assert.equal(nearestRank(values, 0.11), 20);
  assert.equal(nearestRank(values, 0.5), 50);
  assert.equal(nearestRank(values, 0.99), 100);
  assert.equal(nearestRank(values, 1), 100);
  assert.equal(nearestRank([7], 0.5), 7);
  assert.throws(() => nearestRank([], 0.5), RangeError);
});

Deno.test("LatencyHistogram is exact below 256", () => {
  const histogram = new LatencyHistogram();
  const values: number[] = [];
  for (let v = 0; v < 256; v++) {
    for (let k = 0; k <= v % 3; k++) {
      histogram.record(v);
      values.push(v);
    }
  }
  for (const p of PERCENTILES) assert.equal(histogram.percentile(p), nearestRank(values, p));
  assert.equal(histogram.count, values.length);
  assert.equal(histogram.max, 255);
});

Deno.test("LatencyHistogram percentiles are within 0.4% of the exact ones", () => {
  const random = new Random(testSeed());
  const histogram = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    // Log-uniform from 1 µs to about 100 s, with the fractions a clock gives.
    const value = Math.exp(random.int(1_000_000) / 1_000_000 * Math.log(1e8)) + 0.25;
    histogram.record(value);
    values.push(Math.floor(value));
  }
  values.sort((a, b) => a - b);
  for (const p of PERCENTILES) {
    const exact = nearestRank(values, p);
    const estimate = histogram.percentile(p);
    assert.ok(
      Math.abs(estimate - exact) <= Math.max(0.5, exact / 256),
      `p${p * 100}: ${estimate} is not within 0.4% of ${exact}`,
    );
  }
  assert.equal(histogram.max, values.at(-1));
});

Deno.test("LatencyHistogram handles values around powers of two and beyond 2^32", () => {
  for (
    const value of [255, 256, 257, 511, 512, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40]
  ) {
    const histogram = new LatencyHistogram();
    histogram.record(value);
    const estimate = histogram.percentile(0.5);
    assert.ok(estimate <= value, `${estimate} exceeds the maximum ${value}`);
    assert.ok(value - estimate <= value / 256, `${estimate} is too far from ${value}`);
  }
});

Deno.test("LatencyHistogram keeps the maximum exact and counts negatives as 0", () => {
  const histogram = new LatencyHistogram();
  assert.equal(histogram.percentile(0.99), 0);
  histogram.record(-5);
  histogram.record(123_456.9);
  assert.equal(histogram.percentile(0.5), 0);
  assert.equal(histogram.percentile(1), 123_456);
  assert.equal(histogram.max, 123_456);
});
