import assert from "node:assert/strict";
import { STALL_MS, WriteWatch } from "../../server/session/write_watch.ts";

Deno.test("a write is timed from the first check that sees it in flight, never earlier", () => {
  const watch = new WriteWatch();
  assert.equal(watch.refusing(1_000), false);
  assert.equal(watch.busy, false);
  watch.started();
  assert.equal(watch.busy, true);
  // Started long before 5,000 maybe, but first seen then: its clock starts there.
  assert.equal(watch.refusing(5_000), false);
  assert.equal(watch.refusing(5_000 + STALL_MS - 1), false);
  assert.equal(watch.refusing(5_000 + STALL_MS), true);
  watch.wrote(10, 10);
  watch.ended();
  assert.equal(watch.busy, false);
  assert.equal(watch.refusing(9_000), false);
  // The next write starts its own clock.
  watch.started();
  assert.equal(watch.refusing(9_000), false);
  assert.equal(watch.refusing(9_000 + STALL_MS), true);
});

Deno.test("a partial write means refusing until a whole one", () => {
  const watch = new WriteWatch();
  watch.started();
  watch.wrote(4, 10);
  watch.ended();
  assert.equal(watch.busy, true);
  assert.equal(watch.refusing(0), true);
  watch.started();
  watch.wrote(6, 6);
  watch.ended();
  assert.equal(watch.busy, false);
  assert.equal(watch.refusing(0), false);
});
