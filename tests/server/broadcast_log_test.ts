import assert from "node:assert/strict";
import { ClientDecoder, encodeString } from "../../mod.ts";
import { BroadcastLog } from "../../server/room/broadcast_log.ts";
import { concat } from "../support/chunks.ts";

const sender = encodeString("bob");
const text = (n: number) => new TextEncoder().encode(`message ${n}`.padEnd(1000, "."));

/** Reads the whole committed log from `position` on, as a member would write it. */
function readAll(log: BroadcastLog, position: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let bytes = log.read(position); bytes !== undefined; bytes = log.read(position)) {
    parts.push(bytes.slice());
    position += bytes.length;
  }
  return concat(parts);
}

function decode(bytes: Uint8Array): string[] {
  const texts: string[] = [];
  const decoder = new ClientDecoder((message) => texts.push(message.text.split(".")[0]!));
  decoder.push(bytes);
  decoder.end();
  return texts;
}

Deno.test("BroadcastLog encodes chat frames that a client decodes", () => {
  const log = new BroadcastLog();
  log.append(1_700_000_000, sender, new TextEncoder().encode("hi"));
  assert.equal(log.commit(), 1);
  const messages: unknown[] = [];
  new ClientDecoder((message) => messages.push(message)).push(readAll(log, 0));
  assert.deepEqual(messages, [{ timestamp: 1_700_000_000, username: "bob", text: "hi" }]);
});

Deno.test("BroadcastLog hides frames until they are committed", () => {
  const log = new BroadcastLog();
  log.append(1, sender, text(0));
  assert.equal(log.read(0), undefined);
  assert.equal(log.commit(), 1);
  assert.equal(log.commit(), 0);
  const end = log.end;
  log.append(1, sender, text(1));
  assert.equal(readAll(log, 0).length, end);
});

Deno.test("BroadcastLog spans segments and reads the same frames from any position", () => {
  const log = new BroadcastLog();
  const starts: number[] = [];
  for (let n = 0; n < 200; n++) { // about 200 KB: several 64 KiB segments
    starts.push(log.end);
    log.append(1, sender, text(n));
  }
  log.commit();
  assert.deepEqual(decode(readAll(log, 0)), Array.from({ length: 200 }, (_, n) => `message ${n}`));
  assert.deepEqual(
    decode(readAll(log, starts[150]!)),
    Array.from({ length: 50 }, (_, n) => `message ${150 + n}`),
  );
  // A read never crosses a segment boundary, so it is a view, not a copy.
  const first = log.read(0)!;
  assert.ok(first.length <= 64 * 1024);
  assert.equal(first.byteOffset, 0);
});

Deno.test("BroadcastLog releases the segments every member has passed", () => {
  const log = new BroadcastLog();
  for (let n = 0; n < 200; n++) log.append(1, sender, text(n));
  log.commit();
  const held = log.heldBytes;
  assert.ok(held >= 3 * 64 * 1024);
  log.release(0);
  assert.equal(log.heldBytes, held);
  log.release(log.end);
  assert.equal(log.heldBytes, 64 * 1024); // the segment being appended to stays
  assert.throws(() => log.read(0), RangeError);
  const at = log.end;
  log.append(1, sender, text(200));
  log.commit();
  assert.deepEqual(decode(readAll(log, at)), ["message 200"]);
});

Deno.test("BroadcastLog gives a frame larger than a segment a segment of its own", () => {
  const log = new BroadcastLog();
  log.append(1, sender, text(0));
  const big = new Uint8Array(100_000).fill(0x61);
  log.append(2, sender, big);
  log.commit();
  const bytes = readAll(log, 0);
  const texts: number[] = [];
  new ClientDecoder((message) => texts.push(message.text.length)).push(bytes);
  assert.deepEqual(texts, [1000, 100_000]);
});

Deno.test("BroadcastLog gives readers at one position one view, and a new one once more is committed", () => {
  const log = new BroadcastLog();
  log.append(1, encodeString("a"), new Uint8Array(10));
  log.commit();
  const first = log.read(0)!;
  assert.equal(log.read(0), first); // the same object: no view a member
  log.append(2, encodeString("a"), new Uint8Array(10));
  log.commit();
  const longer = log.read(0)!;
  assert.notEqual(longer, first);
  assert.equal(longer.length, 2 * first.length);
  assert.deepEqual(longer.subarray(0, first.length), first);
  assert.equal(log.read(first.length)!.length, first.length);
  log.release(log.committed);
  assert.equal(log.read(0)?.length, longer.length); // the tail segment is kept, and read afresh
});
