import assert from "node:assert/strict";
import { repeatPlan } from "../../bench/run.ts";

Deno.test("bench --repeat N runs each scenario N times, whatever they take", () => {
  assert.deepEqual(repeatPlan("5", false), { runs: 5, windowMs: Infinity });
  assert.deepEqual(repeatPlan("1", true), { runs: 1, windowMs: Infinity });
});

Deno.test("bench without --repeat runs a scenario up to 3 times within 5 s (1 with --quick)", () => {
  assert.deepEqual(repeatPlan(undefined, false), { runs: 3, windowMs: 5000 });
  assert.deepEqual(repeatPlan(undefined, true), { runs: 1, windowMs: 5000 });
});

Deno.test("bench --repeat refuses what is not a count from 1 to 100", () => {
  for (const bad of ["0", "101", "two", "1.5"]) {
    assert.throws(() => repeatPlan(bad, false), /invalid value for --repeat/);
  }
});
