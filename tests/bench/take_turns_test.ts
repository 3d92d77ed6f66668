import assert from "node:assert/strict";
import type { LoadResult } from "../../check/load/load.ts";
import { takeTurns } from "../../bench/take_turns.ts";

function result(ok: boolean, elapsedS: number): LoadResult {
  return { ok, elapsedS, deliveriesPerS: 1 } as LoadResult;
}

Deno.test("takeTurns runs each server once a round, in turn", async () => {
  const calls: string[] = [];
  const results = await takeTurns(["a", "b", "c"], { runs: 3, windowMs: Infinity }, (server) => {
    calls.push(server);
    return Promise.resolve(result(true, 1));
  });
  assert.deepEqual(calls, ["a", "b", "c", "a", "b", "c", "a", "b", "c"]);
  assert.deepEqual([...results.values()].map((runs) => runs.length), [3, 3, 3]);
});

Deno.test("takeTurns gives no more turns to a server after a run that is not clean", async () => {
  const calls: string[] = [];
  const results = await takeTurns(["a", "b"], { runs: 4, windowMs: Infinity }, (server) => {
    calls.push(server);
    return Promise.resolve(result(!(server === "b" && calls.length === 4), 1));
  });
  assert.deepEqual(calls, ["a", "b", "a", "b", "a", "a"]);
  assert.deepEqual(results.get("b")!.map((run) => run.ok), [true, false]);
});

Deno.test("takeTurns stops a server once its own runs have taken the window", async () => {
  const calls: string[] = [];
  const seconds: Record<string, number> = { quick: 2, slow: 6 };
  await takeTurns(["quick", "slow"], { runs: 5, windowMs: 5000 }, (server) => {
    calls.push(server);
    return Promise.resolve(result(true, seconds[server]!));
  });
  // quick: 2 s, 4 s, then 6 s is past 5 s; slow: 6 s after its first.
  assert.deepEqual(calls, ["quick", "slow", "quick", "quick"]);
});
