import assert from "node:assert/strict";
import { SerialWriter } from "../../io/serial_writer.ts";
import { concat } from "../support/chunks.ts";

/** A writer that takes at most `limit` bytes per call, one call at a time, on demand. */
class SlowWriter {
  readonly calls: Uint8Array[] = [];
  readonly written: Uint8Array[] = [];
  #pending: (() => void)[] = [];
  #inFlight = 0;
  maxInFlight = 0;

  constructor(readonly limit: number) {}

  write(bytes: Uint8Array): Promise<number> {
    this.calls.push(bytes.slice());
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    return new Promise((resolve) => {
      this.#pending.push(() => {
        const taken = bytes.slice(0, this.limit);
        this.written.push(taken);
        this.#inFlight--;
        resolve(taken.length);
      });
    });
  }

  /** Lets every pending write finish, until nothing is pending. */
  async drain(): Promise<void> {
    while (this.#pending.length > 0) {
      for (const finish of this.#pending.splice(0)) finish();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("SerialWriter carries on after partial writes until every byte is written, in order", async () => {
  const writer = new SlowWriter(3);
  const frames = new SerialWriter(writer);
  const written = [frames.write(bytes(1, 2, 3, 4, 5, 6, 7)), frames.write(bytes(8, 9))];
  await writer.drain();
  await Promise.all(written);
  assert.deepEqual(concat(writer.written), bytes(1, 2, 3, 4, 5, 6, 7, 8, 9));
});

Deno.test("SerialWriter keeps one write in flight and joins the frames queued meanwhile", async () => {
  const writer = new SlowWriter(1000);
  const frames = new SerialWriter(writer);
  const written = [frames.write(bytes(1))];
  for (let i = 2; i <= 5; i++) written.push(frames.write(bytes(i)));
  await writer.drain();
  await Promise.all(written);
  assert.equal(writer.maxInFlight, 1);
  assert.deepEqual(writer.calls, [bytes(1), bytes(2, 3, 4, 5)]);
});

Deno.test("SerialWriter fails every queued and later frame with the write's error", async () => {
  const error = new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
  const frames = new SerialWriter({ write: () => Promise.reject(error) });
  const written = [frames.write(bytes(1)), frames.write(bytes(2))];
  for (const promise of written) await assert.rejects(promise, (thrown) => thrown === error);
  await assert.rejects(frames.write(bytes(3)), (thrown) => thrown === error);
  await frames.flush(); // never rejects
});

Deno.test("SerialWriter fails a write that makes no progress for stallTimeout", async () => {
  const writer = new SlowWriter(1);
  const stall = new Error("stalled");
  const frames = new SerialWriter(writer, { stallTimeout: 20, onStall: () => stall });
  const first = frames.write(bytes(1, 2));
  await assert.rejects(first, (error) => error === stall);
  await assert.rejects(frames.write(bytes(3)), (error) => error === stall);
  await writer.drain();
  await frames.flush();
});

Deno.test("SerialWriter with batchTurn writes every chunk of one turn in one write", async () => {
  const writer = new SlowWriter(1000);
  const serial = new SerialWriter(writer, { batchTurn: true });
  serial.push(bytes(1));
  serial.push(bytes(2));
  const last = serial.write(bytes(3));
  assert.equal(writer.calls.length, 0, "nothing written before the turn ends");
  assert.equal(serial.heldBytes, 3);
  await new Promise((resolve) => setTimeout(resolve, 0));
  await writer.drain();
  await last;
  assert.deepEqual(writer.calls, [bytes(1, 2, 3)]);
  assert.equal(serial.heldBytes, 0);
});

Deno.test("SerialWriter reports a failure of pushed chunks, then refuses more", async () => {
  const error = new Error("gone");
  const serial = new SerialWriter({ write: () => Promise.reject(error) });
  serial.push(bytes(1));
  assert.equal(await serial.failure, error);
  assert.ok(serial.failed);
  assert.equal(serial.heldBytes, 0);
  assert.throws(() => serial.push(bytes(2)), (thrown) => thrown === error);
});
