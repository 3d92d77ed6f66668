import assert from "node:assert/strict";
import { WritePump, WRITES_PER_TURN } from "../../server/room/write_pump.ts";

/** Resolves in a later turn of the event loop. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}

Deno.test("WritePump runs at most WRITES_PER_TURN writes per turn, in FIFO order", async () => {
  const pump = new WritePump();
  const order: number[] = [];
  const total = WRITES_PER_TURN * 3 + 5;
  for (let i = 0; i < total; i++) pump.schedule({ write: () => order.push(i) });
  assert.equal(order.length, WRITES_PER_TURN);
  assert.equal(pump.waiting, total - WRITES_PER_TURN);
  while (order.length < total) await nextTurn();
  assert.deepEqual(order, Array.from({ length: total }, (_, i) => i));
  pump.close();
});

Deno.test("WritePump writes at once while the turn's budget lasts", () => {
  const pump = new WritePump();
  let writes = 0;
  for (let i = 0; i < 10; i++) pump.schedule({ write: () => writes++ });
  assert.equal(writes, 10);
  assert.equal(pump.waiting, 0);
  pump.close();
});

Deno.test("WritePump unpaced starts every queued write at once, and waiting ones when unpaced", () => {
  const pump = new WritePump();
  let writes = 0;
  for (let i = 0; i < WRITES_PER_TURN + 10; i++) pump.schedule({ write: () => writes++ });
  assert.equal(writes, WRITES_PER_TURN);
  pump.paced = false;
  pump.schedule({ write: () => writes++ });
  assert.equal(writes, WRITES_PER_TURN + 11);
  for (let i = 0; i < 3 * WRITES_PER_TURN; i++) pump.schedule({ write: () => writes++ });
  assert.equal(writes, 4 * WRITES_PER_TURN + 11);
  assert.equal(pump.waiting, 0);
  pump.close();
});

Deno.test("WritePump drops what waits when it is closed", async () => {
  const pump = new WritePump();
  let writes = 0;
  for (let i = 0; i < WRITES_PER_TURN + 10; i++) pump.schedule({ write: () => writes++ });
  pump.close();
  await nextTurn();
  assert.equal(writes, WRITES_PER_TURN);
  pump.schedule({ write: () => writes++ });
  assert.equal(writes, WRITES_PER_TURN);
});

Deno.test("WritePump.whenIdle waits until every queued writer has started", async () => {
  const pump = new WritePump();
  let writes = 0;
  const total = WRITES_PER_TURN + 10;
  for (let i = 0; i < total; i++) pump.schedule({ write: () => writes++ });
  let idleAt = -1;
  pump.whenIdle(() => idleAt = writes);
  await Promise.resolve();
  assert.equal(idleAt, -1); // ten still wait for the next turn
  while (idleAt === -1) await nextTurn();
  assert.equal(idleAt, total);
  let atOnce = false;
  pump.whenIdle(() => atOnce = true);
  await Promise.resolve();
  assert.ok(atOnce);
  pump.close();
});
