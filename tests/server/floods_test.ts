import assert from "node:assert/strict";
import { encodeString } from "../../protocol/encode.ts";
import { within } from "../support/deadline.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { ServerProcess } from "../support/process.ts";
import { startServer } from "../support/test_server.ts";

/**
 * A reader that logs in and counts the frames of one fixed size that it receives,
 * checking that the 6-digit number at the start of each text counts up from 0.
 */
class CountingReader {
  readonly #conn: Deno.TcpConn;
  readonly #frameSize: number;
  readonly #textAt: number;
  #offset = 0;
  #digits = "";
  frames = 0;
  inOrder = true;
  ended = false;
  readonly done: Promise<void>;

  private constructor(conn: Deno.TcpConn, frameSize: number, textAt: number, expected: number) {
    this.#conn = conn;
    this.#frameSize = frameSize;
    this.#textAt = textAt;
    this.done = this.#read(expected);
  }

  static async join(
    port: number,
    name: string,
    frameSize: number,
    textAt: number,
    expected: number,
  ) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    for (const bytes = encodeString(name), at = { n: 0 }; at.n < bytes.length;) {
      at.n += await conn.write(bytes.subarray(at.n));
    }
    return new CountingReader(conn, frameSize, textAt, expected);
  }

  async #read(expected: number): Promise<void> {
    const buffer = new Uint8Array(256 * 1024);
    const size = this.#frameSize;
    while (this.frames < expected) {
      const read = await this.#conn.read(buffer).catch(() => null);
      if (read === null) {
        this.ended = true;
        return;
      }
      const start = this.#offset;
      const end = start + read;
      for (let frame = Math.floor(start / size); frame * size < end; frame++) {
        for (let digit = 0; digit < 6; digit++) {
          const at = frame * size + this.#textAt + digit;
          if (at >= start && at < end) this.#digits += String.fromCharCode(buffer[at - start]!);
        }
        if (this.#digits.length === 6) {
          if (Number(this.#digits) !== this.frames) this.inOrder = false;
          this.frames++;
          this.#digits = "";
        }
      }
      this.#offset = end;
    }
  }

  close(): void {
    this.#conn.close();
  }
}

Deno.test("server relays a 4 MB burst to 200 readers in order and drops none of them", async () => {
  const count = 1400;
  const size = 3000;
  // The server runs in a process of its own, as in use: readers in this process
  // must not compete with it for the event loop.
  await using server = await ServerProcess.start(["--max-message-rate", "0"]);
  const textAt = 8 + 4 + 6 + 4; // timestamp, "sender" as a string, the text's size
  const frameSize = textAt + size;
  const readers = await Promise.all(
    Array.from(
      { length: 200 },
      (_, i) => CountingReader.join(server.port, `reader${i}`, frameSize, textAt, count),
    ),
  );
  // Every reader in the room before the sender: the burst must reach all of them.
  await server.stderr.waitFor(/logged in as "reader\d+" \(200 in the room\)/, 1, 20_000);
  const sender = await ChatPeer.login(server.port, "sender");
  await server.stderr.waitFor(/logged in as "sender" \(201 in the room\)/);
  const burst = new Uint8Array(count * (4 + size));
  for (let i = 0; i < count; i++) {
    const text = String(i).padStart(6, "0") + "x".repeat(size - 6);
    burst.set(encodeString(text), i * (4 + size));
  }
  await sender.sendRaw(burst); // one write of 4.2 MB
  await within(Promise.all(readers.map((reader) => reader.done)), "every frame", 60_000);
  for (const reader of readers) {
    assert.equal(reader.ended, false);
    assert.equal(reader.frames, count);
    assert.ok(reader.inOrder);
  }
  assert.equal(server.stderr.matching(/slow consumer/).length, 0);
  for (const reader of readers) reader.close();
  await sender.close();
  assert.equal((await server.stop()).code, 0);
});

Deno.test("server paces a sender past its rate instead of dropping it", async () => {
  await using test = startServer({ maxMessageRate: 20, maxMessageBurst: 5 });
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  const started = performance.now();
  const burst = Array.from({ length: 25 }, (_, i) => encodeString(`m${i}`));
  await alice.sendRaw(new Uint8Array(burst.flatMap((frame) => [...frame])));
  const received = await bob.waitForMessages(25, 10_000);
  const elapsed = performance.now() - started;
  assert.deepEqual(received.map((message) => message.text), burst.map((_, i) => `m${i}`));
  // 5 at once, then 20 at 20 a second: about a second.
  assert.ok(elapsed >= 800, `the 25 messages took ${elapsed.toFixed(0)} ms`);
  assert.equal(alice.ended, undefined);
  assert.equal(test.server.stats.loggedIn, 2);
  await alice.close();
  await bob.close();
});

Deno.test("server lets a newcomer in by closing the oldest squatter when full", async () => {
  await using test = startServer({ maxClients: 30, logLevel: "info" });
  const squatters = await Promise.all(
    Array.from({ length: 30 }, () => ChatPeer.connect(test.port)),
  );
  await test.logs.waitFor(/connected \(30 open\)/);
  // A second: the squatters are no longer new; a real login is never cut before.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const newcomers = [];
  for (let i = 0; i < 5; i++) newcomers.push(await test.join(`newcomer${i}`));
  await newcomers[0]!.sendString("we got in");
  for (const newcomer of newcomers) await newcomer.waitForText("we got in");
  assert.equal(test.server.stats.evicted, 5);
  assert.equal(test.server.stats.refused, 0);
  assert.equal(test.logs.matching(/closed to make room for a newcomer/).length, 5);
  for (const peer of [...squatters, ...newcomers]) await peer.close();
});

Deno.test("server bounds pending logins on their own, and never cuts a fresh one", async () => {
  await using test = startServer({ maxPendingLogins: 10, logLevel: "info" });
  const squatters = await Promise.all(
    Array.from({ length: 10 }, () => ChatPeer.connect(test.port)),
  );
  await test.logs.waitFor(/connected \(10 open\)/);
  // The squatters are fresh: a newcomer is refused rather than cut one of them.
  const early = await ChatPeer.connect(test.port);
  assert.ok(["closed", "reset"].includes(await early.waitForEnd()));
  await test.logs.waitFor(/refused: too many pending logins \(10\)/);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const late = await test.join("late");
  assert.equal(test.server.stats.pendingLogins, 9);
  assert.equal(test.server.stats.refusedBy["too many pending logins"], 1);
  for (const peer of [...squatters, early, late]) await peer.close();
});

Deno.test("server limits connections per address when asked", async () => {
  await using test = startServer({ maxConnectionsPerIp: 3, logLevel: "info" });
  const first = await Promise.all(["a", "b", "c"].map((name) => test.join(name)));
  const fourth = await ChatPeer.connect(test.port);
  assert.ok(["closed", "reset"].includes(await fourth.waitForEnd()));
  await test.logs.waitFor(/refused: too many connections from this address \(3\)/);
  await first[0]!.close();
  await test.logs.waitFor(/"a" disconnected/);
  const again = await test.join("d");
  await again.sendString("room for one more");
  await first[1]!.waitForText("room for one more");
  for (const peer of [...first, fourth, again]) await peer.close();
});

Deno.test("server logs in a storm of 1,000 clients at once without cutting any", async () => {
  await using test = startServer({ logLevel: "warn" });
  const peers = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => ChatPeer.login(test.port, `storm${i}`)),
  );
  await within(
    (async () => {
      while (test.server.stats.loggedIn < 1000) await new Promise((r) => setTimeout(r, 20));
    })(),
    "1,000 logins",
    20_000,
  );
  assert.equal(test.server.stats.refused, 0);
  assert.equal(test.server.stats.evicted, 0);
  for (const peer of peers) peer.conn.close();
});

Deno.test("server shrinks the read buffers of clients that sent a burst and went quiet", async () => {
  await using test = startServer({ logLevel: "info", maxMessageRate: 0 });
  const clients = await Promise.all(Array.from({ length: 40 }, (_, i) => test.join(`c${i}`)));
  const idle = test.server.stats.readBufferBytes;
  const burst = new Uint8Array(
    Array.from({ length: 9 }, () => [...encodeString("y".repeat(3000))]).flat(),
  ); // 27 KB
  await Promise.all(clients.map((client) => client.sendRaw(burst)));
  for (const client of clients) await client.waitForMessages(9 * 40, 20_000);
  const after = test.server.stats.readBufferBytes;
  // Each read buffer grew to 64 KiB for the burst; a quiet connection keeps 4 KiB at most.
  assert.ok(after <= 40 * 4096, `read buffers hold ${after} bytes (${idle} before the burst)`);
  for (const client of clients) await client.close();
});

Deno.test("server sends a newcomer the last messages first, then the live ones", async () => {
  await using test = startServer({ history: 3 });
  const alice = await test.join("alice");
  for (let i = 1; i <= 5; i++) await alice.sendString(`m${i}`);
  await alice.waitForMessages(5);
  const bob = await test.join("bob");
  await alice.sendString("live");
  const received = await bob.waitForMessages(4);
  assert.deepEqual(received.map((m) => `${m.username}:${m.text}`), [
    "alice:m3",
    "alice:m4",
    "alice:m5",
    "alice:live",
  ]);
  // The history keeps the original timestamps.
  assert.deepEqual(
    received.slice(0, 3).map((m) => m.timestamp),
    alice.messages.slice(2, 5).map((m) => m.timestamp),
  );
  assert.equal(test.server.stats.historySize, 3);
  await alice.close();
  await bob.close();
});
