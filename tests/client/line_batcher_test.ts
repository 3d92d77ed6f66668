import assert from "node:assert/strict";
import { LineBatcher } from "../../client/command/line_batcher.ts";

/** A batcher whose output drains only when the test says so. */
function setUp(maxBacklog = Infinity) {
  const batches: string[][] = [];
  let release = Promise.withResolvers<void>();
  let busy = false;
  const batcher = new LineBatcher({
    draw: (lines) => {
      batches.push(lines);
      busy = true;
      release = Promise.withResolvers();
    },
    drained: () => busy ? release.promise : Promise.resolve(),
    maxBacklog,
    skipped: (count) => `skipped ${count}`,
  });
  const drain = () => {
    busy = false;
    release.resolve();
  };
  return { batcher, batches, drain };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("LineBatcher draws every line pushed in one turn in one batch, in order", async () => {
  const { batcher, batches, drain } = setUp();
  for (let i = 0; i < 1000; i++) batcher.push(`line ${i}`);
  assert.deepEqual(batches, [], "nothing is drawn before the turn ends");
  await tick();
  drain();
  await batcher.flush();
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0], Array.from({ length: 1000 }, (_, i) => `line ${i}`));
});

Deno.test("LineBatcher holds the lines pushed while the output is busy for the next batch", async () => {
  const { batcher, batches, drain } = setUp();
  batcher.push("a");
  await tick();
  assert.deepEqual(batches, [["a"]]);
  batcher.push("b");
  await tick();
  batcher.push("c");
  await tick();
  assert.deepEqual(batches, [["a"]], "the output has not taken the first batch yet");
  drain();
  await tick();
  assert.deepEqual(batches, [["a"], ["b", "c"]]);
  drain();
  await batcher.flush();
});

Deno.test("LineBatcher skips lines past maxBacklog and says how many, in their place", async () => {
  const { batcher, batches, drain } = setUp(3);
  batcher.push("first");
  await tick();
  for (let i = 0; i < 10; i++) batcher.push(`m${i}`);
  batcher.note("a note is never skipped");
  batcher.push("the backlog is still full");
  drain();
  await tick();
  assert.deepEqual(batches, [
    ["first"],
    ["m0", "m1", "m2", "skipped 7", "a note is never skipped", "skipped 1"],
  ]);
  assert.equal(batcher.skipped, 8);
  // Skipping at the very end of a batch is said too.
  for (let i = 0; i < 5; i++) batcher.push(`n${i}`);
  drain();
  await tick();
  assert.deepEqual(batches[2], ["n0", "n1", "n2", "skipped 2"]);
  assert.equal(batcher.skipped, 10);
  drain();
  await batcher.flush();
});

Deno.test("LineBatcher without a bound never skips", async () => {
  const { batcher, batches, drain } = setUp();
  batcher.push("first");
  await tick();
  for (let i = 0; i < 100_000; i++) batcher.push(`m${i}`);
  drain();
  await tick();
  assert.equal(batches[1]!.length, 100_000);
  assert.equal(batcher.skipped, 0);
  drain();
  await batcher.flush();
});

Deno.test("LineBatcher discard drops the lines that wait", async () => {
  const { batcher, batches } = setUp();
  batcher.push("dropped");
  batcher.discard();
  await batcher.flush();
  assert.deepEqual(batches, []);
});

Deno.test("LineBatcher reports a draw that fails, once, and draws nothing more", async () => {
  const error = new Error("terminal gone");
  let draws = 0;
  const batcher = new LineBatcher({
    draw: () => {
      draws++;
      throw error;
    },
  });
  batcher.push("a");
  await batcher.flush();
  assert.equal(await batcher.failure, error);
  batcher.push("b");
  await batcher.flush();
  assert.equal(draws, 1);
});
