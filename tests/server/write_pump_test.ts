import assert from "node:assert/strict";
import {
  LARGE_ROOM_WRITES_PER_TURN,
  WritePump,
  WRITES_PER_TURN,
  writesPerTurn,
} from "../../server/room/write_pump.ts";

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

Deno.test("WritePump starts perTurn writes per turn, and more at once when perTurn grows", async () => {
  const pump = new WritePump();
  let writes = 0;
  for (let i = 0; i < 3 * WRITES_PER_TURN; i++) pump.schedule({ write: () => writes++ });
  assert.equal(writes, WRITES_PER_TURN);
  pump.perTurn = writesPerTurn(WRITES_PER_TURN + 1);
  assert.equal(pump.perTurn, LARGE_ROOM_WRITES_PER_TURN);
  pump.schedule({ write: () => writes++ });
  assert.equal(writes, LARGE_ROOM_WRITES_PER_TURN);
  await nextTurn();
  assert.equal(writes, 3 * WRITES_PER_TURN + 1);
  assert.equal(writesPerTurn(WRITES_PER_TURN), WRITES_PER_TURN);
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
