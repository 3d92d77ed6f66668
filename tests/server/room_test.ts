import assert from "node:assert/strict";
import { encodeRelayFrame } from "../../server/cluster/backplane.ts";
import { MAX_WAIT_MS, type Member, Room } from "../../server/room/room.ts";
import { LARGE_ROOM_WRITES_PER_TURN, WRITES_PER_TURN } from "../../server/room/write_pump.ts";

/** A member that records its writes; how much its socket takes is up to the test. */
class FakeMember implements Member {
  cursor = 0;
  closed = false;
  scheduled = false;
  joinedAt = 0;
  readonly username = "fake";
  readonly privateAt = Infinity;
  /** Bytes of each write. */
  readonly writes: number[] = [];
  /** Whether writes take everything (true) or nothing, as a stalled socket. */
  takes = true;
  dropped: number | undefined;
  readonly #room: Room;

  constructor(room: Room) {
    this.#room = room;
    this.cursor = room.join(this);
  }

  queuePrivate(): boolean {
    return false;
  }

  refusing(): boolean {
    return !this.takes;
  }

  dropSlow(lag: number): void {
    this.dropped = lag;
    this.closed = true;
    this.#room.leave(this);
  }

  write(): void {
    const bytes = this.#room.log.read(this.cursor);
    if (bytes !== undefined && this.takes) {
      this.writes.push(bytes.length);
      this.cursor += bytes.length;
    }
    queueMicrotask(() => this.#room.written(this));
  }
}

const SENDER = new Uint8Array([0, 0, 0, 1, 97]); // "a" as a string field
const text = (size: number) => new Uint8Array(size).fill(120);
const turn = () => new Promise((resolve) => setTimeout(resolve, 5));

Deno.test("Room writes what one turn accepted to each member in one write", async () => {
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const members = [new FakeMember(room), new FakeMember(room)];
  for (let i = 0; i < 3; i++) room.publish(SENDER, text(10));
  await turn();
  for (const member of members) assert.deepEqual(member.writes, [3 * (12 + 5 + 10)]);
  assert.equal(room.deliveries, 6);
  room.close();
});

Deno.test("Room starts 112 writes a turn in a room that fits the budget, 256 in a larger one", async () => {
  for (const size of [WRITES_PER_TURN, WRITES_PER_TURN + 1, 200, 600]) {
    const perTurn = size <= WRITES_PER_TURN ? WRITES_PER_TURN : LARGE_ROOM_WRITES_PER_TURN;
    const room = new Room({ maxLag: 1 << 20, history: 0 });
    const members = Array.from({ length: size }, () => new FakeMember(room));
    room.publish(SENDER, text(10));
    await Promise.resolve(); // the commit, in a microtask: no turn has passed yet
    const started = members.filter((member) => member.writes.length === 1).length;
    assert.equal(started, Math.min(size, perTurn), `${size} members`);
    room.publish(SENDER, text(10));
    await Promise.resolve();
    // A second pass in the same turn gets what is left of the turn's writes.
    const again = members.filter((member) => member.writes.length === 2).length;
    assert.equal(again, Math.max(0, Math.min(size, perTurn - size)), `${size} members, again`);
    room.close();
  }
});

Deno.test("Room commits frames a backplane delivers one by one together", async () => {
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const member = new FakeMember(room);
  for (let i = 0; i < 3; i++) {
    room.deliver(encodeRelayFrame(i, SENDER, text(10)));
    await Promise.resolve(); // a microtask apart, as an async iterator hands them over
  }
  await turn();
  assert.deepEqual(member.writes, [3 * 27]);
  room.close();
});

Deno.test("Room commits a frame that may wait with the next one that may not, or after MAX_WAIT_MS", async () => {
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const member = new FakeMember(room);
  room.deliver(encodeRelayFrame(0, SENDER, text(10)), true);
  await turn(); // a frame that may not wait would be written by now
  assert.deepEqual(member.writes, []);
  room.deliver(encodeRelayFrame(1, SENDER, text(10)));
  await turn();
  assert.deepEqual(member.writes, [2 * 27]); // both in one write
  // Alone, it waits MAX_WAIT_MS.
  const start = performance.now();
  room.deliver(encodeRelayFrame(2, SENDER, text(10)), true);
  while (member.writes.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(performance.now() - start >= MAX_WAIT_MS - 1, `${performance.now() - start} ms`);
  assert.deepEqual(member.writes, [2 * 27, 27]);
  // Closing the room ends the wait (the test's sanitizer fails on a timer left behind).
  room.deliver(encodeRelayFrame(3, SENDER, text(10)), true);
  room.close();
});

Deno.test("Room drops a member whose socket refuses data once it lags past maxLag", async () => {
  const room = new Room({ maxLag: 100, history: 0 });
  const reader = new FakeMember(room);
  const stalled = new FakeMember(room);
  stalled.takes = false;
  for (let i = 0; i < 3; i++) {
    room.publish(SENDER, text(50)); // 67 bytes a frame
    await turn();
  }
  assert.equal(stalled.dropped, 134); // two frames behind when the third was committed
  assert.equal(reader.dropped, undefined);
  assert.equal(reader.cursor, 3 * 67);
  assert.equal(room.slowConsumerDrops, 1);
  // A stalled reader alone never holds senders back (the room looks again within
  // a few milliseconds of each commit larger than half of maxLag).
  await turn();
  await turn();
  assert.ok(room.gate.isOpen);
  room.close();
});

Deno.test("Room holds senders back while a member that takes data is far behind", async () => {
  const room = new Room({ maxLag: 200, history: 0 });
  const member = new FakeMember(room);
  member.takes = true;
  // The member has not written yet: half of maxLag behind closes the gate.
  const cursor = member.cursor;
  member.write = () => {}; // its writes are slow to start
  member.scheduled = false;
  room.publish(SENDER, text(100)); // 117 bytes
  room.flush();
  assert.equal(member.cursor, cursor);
  assert.equal(room.gate.isOpen, false);
  assert.equal(room.pressurePauses, 1);
  assert.equal(member.dropped, undefined); // behind, but taking data: never dropped
  // It catches up: the room looks again and lets senders go.
  member.cursor = room.log.committed;
  await turn();
  assert.ok(room.gate.isOpen);
  room.close();
});

Deno.test("Room starts a newcomer at its history", async () => {
  const room = new Room({ maxLag: 1 << 20, history: 2 });
  for (let i = 0; i < 3; i++) room.publish(SENDER, text(1));
  await turn();
  const newcomer = new FakeMember(room);
  assert.equal(newcomer.cursor, 18); // the last two of three 18-byte frames
  assert.equal(room.historySize, 2);
  room.close();
});
