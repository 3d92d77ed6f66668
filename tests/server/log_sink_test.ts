import assert from "node:assert/strict";
import { LogSink } from "../../server/ops/log_sink.ts";

/** A writer that takes at most `limit` bytes per write and stalls until released. */
class FakePipe {
  readonly writes: string[] = [];
  stalled = false;
  #pending: (() => void)[] = [];
  constructor(readonly limit = Infinity) {}

  readonly write = (bytes: Uint8Array): Promise<number> => {
    const size = Math.min(bytes.length, this.limit);
    this.writes.push(new TextDecoder().decode(bytes.subarray(0, size)));
    if (!this.stalled) return Promise.resolve(size);
    return new Promise((resolve) => this.#pending.push(() => resolve(size)));
  };

  release(): void {
    this.stalled = false;
    for (const resume of this.#pending.splice(0)) resume();
  }

  get text(): string {
    return this.writes.join("");
  }
}

Deno.test("LogSink writes lines in order, each with a line ending", async () => {
  const pipe = new FakePipe();
  const sink = new LogSink({ write: pipe.write });
  for (let i = 0; i < 100; i++) sink.write(`line ${i}`);
  assert.equal(await sink.flush(1000), true);
  assert.equal(pipe.text, Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(""));
  assert.equal(sink.heldBytes, 0);
  assert.equal(sink.dropped, 0);
});

Deno.test("LogSink batches the lines queued during a write into one write", async () => {
  const pipe = new FakePipe();
  pipe.stalled = true;
  const sink = new LogSink({ write: pipe.write });
  sink.write("a");
  sink.write("b");
  await Promise.resolve(); // the first write starts
  assert.deepEqual(pipe.writes, ["a\nb\n"]);
  for (const line of ["c", "d", "e"]) sink.write(line);
  assert.equal(sink.heldBytes, 10);
  pipe.release();
  assert.equal(await sink.flush(1000), true);
  assert.deepEqual(pipe.writes, ["a\nb\n", "c\nd\ne\n"]);
});

Deno.test("LogSink finishes partial writes", async () => {
  const pipe = new FakePipe(3);
  const sink = new LogSink({ write: pipe.write });
  sink.write("hello");
  sink.write("world");
  assert.equal(await sink.flush(1000), true);
  assert.equal(pipe.text, "hello\nworld\n");
  assert.deepEqual(pipe.writes, ["hel", "lo\n", "wor", "ld\n"]);
});

Deno.test("LogSink holds at most maxBytes, drops the rest and says how many, in place", async () => {
  const pipe = new FakePipe();
  pipe.stalled = true;
  const sink = new LogSink({ maxBytes: 1000, write: pipe.write });
  const line = (i: number) => `line ${String(i).padStart(4, "0")} `.padEnd(99, "x"); // 100 bytes
  for (let i = 0; i < 5000; i++) {
    sink.write(line(i));
    assert.ok(sink.heldBytes <= 1000, `${sink.heldBytes} bytes held`);
  }
  assert.equal(sink.heldBytes, 1000);
  assert.equal(sink.dropped, 4990);
  assert.equal(await sink.flush(20), false, "a stalled pipe cannot be flushed");
  pipe.release();
  assert.equal(await sink.flush(1000), true);
  sink.write("after");
  assert.equal(await sink.flush(1000), true);
  const lines = pipe.text.split("\n");
  assert.deepEqual(lines.slice(0, 10), Array.from({ length: 10 }, (_, i) => line(i)));
  assert.match(lines[10]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z warn … 4,990 log lines dropped$/);
  assert.deepEqual(lines.slice(11), ["after", ""]);
  assert.equal(sink.dropped, 4990);
});

Deno.test("LogSink reports drops as soon as there is room, before later lines", async () => {
  const pipe = new FakePipe();
  pipe.stalled = true;
  const sink = new LogSink({ maxBytes: 200, write: pipe.write });
  sink.write("x".repeat(149)); // 150 bytes: in flight
  sink.write("y".repeat(99)); // does not fit: dropped
  assert.equal(sink.dropped, 1);
  pipe.release();
  assert.equal(await sink.flush(1000), true);
  sink.write("z");
  assert.equal(await sink.flush(1000), true);
  const lines = pipe.text.split("\n");
  assert.equal(lines[0], "x".repeat(149));
  assert.match(lines[1]!, / warn … 1 log line dropped$/);
  assert.equal(lines[2], "z");
  assert.equal(lines.length, 4);
});

Deno.test("LogSink drops a line larger than its bound", async () => {
  const pipe = new FakePipe();
  const sink = new LogSink({ maxBytes: 100, write: pipe.write });
  sink.write("x".repeat(150));
  sink.write("ok");
  assert.equal(await sink.flush(1000), true);
  assert.equal(sink.dropped, 1);
  const lines = pipe.text.split("\n");
  assert.match(lines[0]!, / warn … 1 log line dropped$/);
  assert.deepEqual(lines.slice(1), ["ok", ""]);
});

Deno.test("LogSink stops quietly when the writer fails", async () => {
  let calls = 0;
  const sink = new LogSink({
    write: () => {
      calls++;
      return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    },
  });
  sink.write("lost");
  assert.equal(await sink.flush(1000), true);
  sink.write("lost too");
  assert.equal(await sink.flush(1000), true);
  assert.equal(calls, 1);
  assert.equal(sink.heldBytes, 0);
  assert.equal(sink.dropped, 2);
});

Deno.test("LogSink.close takes no more lines and waits at most its timeout", async () => {
  const pipe = new FakePipe();
  pipe.stalled = true;
  const sink = new LogSink({ write: pipe.write });
  sink.write("pending");
  const started = Date.now();
  assert.equal(await sink.close(50), false);
  assert.ok(Date.now() - started < 500);
  sink.write("too late");
  assert.equal(sink.dropped, 1);
  pipe.release();
  assert.equal(await sink.flush(1000), true);
  assert.equal(pipe.text, "pending\n");
});
