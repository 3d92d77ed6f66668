import assert from "node:assert/strict";
import { MIN_READ_SIZE, nextReadSize } from "../../server/session/read_size.ts";

Deno.test("reads grow fourfold while they fill the buffer, up to 64 KiB", () => {
  assert.equal(nextReadSize(MIN_READ_SIZE, MIN_READ_SIZE), 256);
  assert.equal(nextReadSize(16384, 16384), 65536);
  assert.equal(nextReadSize(65536, 65536), 65536);
});

Deno.test("a read that does not fill the buffer shrinks the next, to 4 KiB at most", () => {
  assert.equal(nextReadSize(256, 4), MIN_READ_SIZE);
  assert.equal(nextReadSize(65536, 100), 256);
  assert.equal(nextReadSize(65536, 1000), 1024);
  assert.equal(nextReadSize(65536, 1216), 4096);
  assert.equal(nextReadSize(65536, 30000), 4096);
});

Deno.test("the tail read right after a growth keeps a small buffer, not a large one", () => {
  // A 68-byte frame read 64 bytes at a time: one read and no new buffer per frame once grown.
  assert.equal(nextReadSize(256, 4, true), 256);
  assert.equal(nextReadSize(256, 68, false), 256);
  assert.equal(nextReadSize(1024, 10, true), 1024);
  // Bursts a little over 1 KiB: the buffer grown to 4 KiB stays, one read a burst.
  assert.equal(nextReadSize(4096, 192, true), 4096);
  assert.equal(nextReadSize(4096, 1216), 4096);
  // A burst that grew the buffer to 64 KiB gives it back at once, growth or not.
  assert.equal(nextReadSize(65536, 10, true), MIN_READ_SIZE);
});
