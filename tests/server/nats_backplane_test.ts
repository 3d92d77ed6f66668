import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { encodeChatMessage } from "../../protocol/encode.ts";
import { readU32 } from "../../protocol/integers.ts";
import type { BackplaneSink } from "../../server/cluster/backplane.ts";
import {
  MIN_STREAM_MESSAGES,
  NatsBackplane,
  type NatsBackplaneOptions,
} from "../../server/cluster/nats/nats_backplane.ts";
import { MAX_MESSAGE_BYTES } from "../../server/cluster/nats/nats_publisher.ts";
import { within } from "../support/deadline.ts";
import { freePort, NatsServer, natsTest } from "../support/nats_server.ts";

/** A frame whose text is `text`, from user `u`. */
function frame(text: string): Uint8Array {
  return encodeChatMessage({ timestamp: 1_700_000_000, username: "u", text });
}

function textOf(frame: Uint8Array): string {
  const usernameSize = readU32(frame, 8);
  return new TextDecoder().decode(frame.subarray(16 + usernameSize));
}

/** A sink that records what it gets and lets a test wait for it. */
class Recorder implements BackplaneSink {
  readonly texts: string[] = [];
  /** Whether each frame may wait for the next (`from.mayWait`). */
  readonly mayWait: (boolean | undefined)[] = [];
  readonly events: string[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  deliver(frame: Uint8Array, from?: { readonly mayWait?: boolean }): void {
    this.texts.push(textOf(frame));
    this.mayWait.push(from?.mayWait);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.texts.length < w.count) return true;
      w.resolve();
      return false;
    });
  }
  congested(on: boolean): void {
    this.events.push(`congested ${on}`);
  }
  connected(up: boolean): void {
    this.events.push(`connected ${up}`);
  }

  /** Resolves once `count` frames arrived, or fails after a bound. */
  received(count: number, milliseconds = 15_000): Promise<void> {
    if (this.texts.length >= count) return Promise.resolve();
    return within(
      new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
      `${count} frames (got ${this.texts.length})`,
      milliseconds,
    );
  }
}

function backplane(
  server: NatsServer,
  options: Partial<NatsBackplaneOptions> = {},
  lines: string[] = [],
): NatsBackplane {
  return new NatsBackplane({
    servers: [server.url],
    room: "test",
    log: (level, line) => lines.push(`${level} ${line}`),
    ...options,
  });
}

/** Two nodes of one room, started: `writer` to publish, `reader` recording into `sink`. */
async function writerAndReader(server: NatsServer) {
  const writer = backplane(server);
  const reader = backplane(server);
  const sink = new Recorder();
  await writer.start(new Recorder());
  await reader.start(sink);
  return { writer, reader, sink };
}

async function until(what: string, condition: () => boolean, milliseconds = 10_000) {
  const deadline = Date.now() + milliseconds;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function streamConfig(server: NatsServer, stream: string) {
  const nc = await connect({ servers: [server.url] });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.info(stream);
  } finally {
    await nc.close();
  }
}

natsTest("NatsBackplane gives two nodes the same frames in the same order", async () => {
  await using server = await NatsServer.start();
  const a = backplane(server);
  const b = backplane(server);
  const sinkA = new Recorder();
  const sinkB = new Recorder();
  await within(a.start(sinkA), "start of a");
  await within(b.start(sinkB), "start of b");
  for (let i = 0; i < 200; i++) {
    a.publishFrame(frame(`a${i}`));
    b.publishFrame(frame(`b${i}`));
  }
  await Promise.all([sinkA.received(400), sinkB.received(400)]);
  await Promise.all([a.close(), b.close()]);
  assert.deepEqual(sinkA.texts, sinkB.texts);
  assert.equal(new Set(sinkA.texts).size, 400);
  // Each node's own frames keep their order.
  for (const node of ["a", "b"]) {
    const own = sinkA.texts.filter((t) => t.startsWith(node));
    assert.deepEqual(own, Array.from({ length: 200 }, (_, i) => `${node}${i}`));
  }
});

natsTest(
  "NatsBackplane lets a frame wait for this node's next own one, only while its own are coming",
  async () => {
    await using server = await NatsServer.start();
    const a = backplane(server);
    const b = backplane(server);
    const sinkA = new Recorder();
    const sinkB = new Recorder();
    await a.start(sinkA);
    await b.start(sinkB);
    const waited = (sink: Recorder, text: string) => sink.mayWait[sink.texts.indexOf(text)];
    // Nothing of b's own was read: a's frame does not wait on b, nor on a (none of a's follows).
    a.publishFrame(frame("a0"));
    await Promise.all([sinkA.received(1), sinkB.received(1)]);
    assert.equal(waited(sinkB, "a0"), false);
    assert.equal(waited(sinkA, "a0"), false);
    // Right after b read one of its own, a's frame waits on b for b's next; and a frame
    // of a's waits on a while a later one of a's is out. A slow machine may take more
    // than MAX_WAIT_MS between the two: try a few times.
    const after: boolean[] = [];
    const ownFirst: boolean[] = [];
    for (let i = 1; i <= 5; i++) {
      b.publishFrame(frame(`b${i}`));
      await sinkB.received(sinkB.texts.length + 1);
      a.publishFrame(frame(`a${i}`));
      await Promise.resolve(); // a0's stream message is sealed: this one goes in the next
      a.publishFrame(frame(`a${i}-next`));
      await Promise.all([sinkA.received(1 + 3 * i), sinkB.received(1 + 3 * i)]);
      after.push(waited(sinkB, `a${i}`)!);
      ownFirst.push(waited(sinkA, `a${i}`)!);
      // The last of a's own out never waits.
      assert.equal(waited(sinkA, `a${i}-next`), false);
      assert.equal(waited(sinkB, `b${i}`), false);
    }
    assert.ok(after.includes(true), `b: ${after}`);
    assert.ok(ownFirst.includes(true), `a: ${ownFirst}`);
    // History is never held: a node that starts now gets it as it is.
    const c = backplane(server, { history: 3 });
    const sinkC = new Recorder();
    await c.start(sinkC);
    assert.deepEqual(sinkC.mayWait, [undefined, undefined, undefined]);
    await Promise.all([a.close(), b.close(), c.close()]);
  },
);

natsTest("NatsBackplane sends the frames that wait together as one stream message", async () => {
  await using server = await NatsServer.start();
  const { writer, reader, sink } = await writerAndReader(server);
  // Frames handed over in one task (decoded from one read) go out as one message,
  // not the first alone.
  for (let i = 0; i < 5; i++) writer.publishFrame(frame(`m${i}`));
  await sink.received(5);
  let info = await streamConfig(server, "WIRECHAT_test");
  assert.equal(info.state.messages, 1);
  // Those handed over in one task go together even while a publish is out.
  writer.publishFrame(frame("m5"));
  await Promise.resolve();
  for (let i = 6; i < 1000; i++) writer.publishFrame(frame(`m${i}`));
  await sink.received(1000);
  assert.deepEqual(sink.texts, Array.from({ length: 1000 }, (_, i) => `m${i}`));
  info = await streamConfig(server, "WIRECHAT_test");
  assert.equal(info.state.messages, 3, `${info.state.messages} stream messages for 1,000 frames`);
  await Promise.all([writer.close(), reader.close()]);
});

/**
 * Publishes m0 and waits for it, then freezes nats-server (it acknowledges nothing)
 * and publishes m1 to m6 in six tasks: each task's frame goes out in a stream
 * message of its own until four are out; m5 and m6 wait, together.
 */
async function sixTasksFrozen(server: NatsServer, writer: NatsBackplane, sink: Recorder) {
  writer.publishFrame(frame("m0"));
  await sink.received(1);
  server.freeze();
  for (let i = 1; i <= 6; i++) {
    writer.publishFrame(frame(`m${i}`));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

natsTest(
  "NatsBackplane sends up to four stream messages before the first is acknowledged",
  async () => {
    await using server = await NatsServer.start();
    const { writer, reader, sink } = await writerAndReader(server);
    try {
      await sixTasksFrozen(server, writer, sink);
    } finally {
      server.thaw();
    }
    await sink.received(7);
    assert.deepEqual(sink.texts, Array.from({ length: 7 }, (_, i) => `m${i}`));
    const info = await streamConfig(server, "WIRECHAT_test");
    assert.equal(info.state.messages, 1 + 4 + 1, `${info.state.messages} stream messages`);
    await Promise.all([writer.close(), reader.close()]);
  },
);

natsTest(
  "NatsBackplane sends again, once each and in order, the stream messages out when NATS died",
  async () => {
    await using server = await NatsServer.start();
    const { writer, reader, sink } = await writerAndReader(server);
    await sixTasksFrozen(server, writer, sink);
    await server.kill(); // four stream messages out, unanswered; one more waits
    await server.restart();
    for (let i = 7; i <= 9; i++) writer.publishFrame(frame(`m${i}`));
    await sink.received(10, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(sink.texts, Array.from({ length: 10 }, (_, i) => `m${i}`));
    await Promise.all([writer.close(), reader.close()]);
  },
);

natsTest(
  "NatsBackplane delivers the frames after one the room refuses, in the same stream message",
  async () => {
    await using server = await NatsServer.start();
    const writer = backplane(server);
    const lines: string[] = [];
    const reader = backplane(server, {}, lines);
    const sink = new (class extends Recorder {
      override deliver(frame: Uint8Array): void {
        if (textOf(frame) === "refused") throw new Error("no room for it");
        super.deliver(frame);
      }
    })();
    await writer.start(new Recorder());
    await reader.start(sink);
    // Handed over in one task: one stream message of three frames.
    for (const text of ["before", "refused", "after"]) writer.publishFrame(frame(text));
    await sink.received(2);
    assert.equal((await streamConfig(server, "WIRECHAT_test")).state.messages, 1);
    assert.deepEqual(sink.texts, ["before", "after"]);
    assert.ok(lines.some((line) => line.includes("the room refused a frame: no room for it")));
    await Promise.all([writer.close(), reader.close()]);
  },
);

natsTest("NatsBackplane puts at most 64 KiB of frames in a stream message", async () => {
  await using server = await NatsServer.start();
  const { writer, reader, sink } = await writerAndReader(server);
  const text = (i: number) => `${i}`.padEnd(3000, ".");
  for (let i = 0; i < 100; i++) writer.publishFrame(frame(text(i)));
  await sink.received(100);
  assert.deepEqual(sink.texts, Array.from({ length: 100 }, (_, i) => text(i)));
  const nc = await connect({ servers: [server.url] });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info("WIRECHAT_test");
    assert.ok(state.messages >= 5, `${state.messages} stream messages for 300 KB`);
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const stored = await jsm.streams.getMessage("WIRECHAT_test", { seq });
      assert.ok(
        stored!.data.length <= MAX_MESSAGE_BYTES,
        `message ${seq}: ${stored!.data.length} bytes`,
      );
    }
  } finally {
    await nc.close();
  }
  await Promise.all([writer.close(), reader.close()]);
});

natsTest(
  "NatsBackplane keeps a frame with its own id alone, so that its id still counts",
  async () => {
    await using server = await NatsServer.start();
    const { writer, reader, sink } = await writerAndReader(server);
    writer.publishFrame(frame("first"));
    writer.publishFrame(frame("before"));
    writer.publishFrame(frame("once"), "the-same-id");
    writer.publishFrame(frame("once"), "the-same-id");
    writer.publishFrame(frame("after"));
    writer.publish(new Uint8Array([0, 0, 0, 1, 0x75]), new TextEncoder().encode("last"));
    await sink.received(5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(sink.texts, ["first", "before", "once", "after", "last"]);
    await Promise.all([writer.close(), reader.close()]);
  },
);

natsTest("NatsBackplane delivers the last n frames before start resolves", async () => {
  await using server = await NatsServer.start();
  const writer = backplane(server);
  const writerSink = new Recorder();
  await writer.start(writerSink);
  for (let i = 0; i < 30; i++) writer.publishFrame(frame(`m${i}`));
  await writerSink.received(30);

  const late = backplane(server, { history: 10 });
  const lateSink = new Recorder();
  await within(late.start(lateSink), "start of the late node");
  assert.deepEqual(lateSink.texts, Array.from({ length: 10 }, (_, i) => `m${20 + i}`));
  // Then live frames, with no gap and no repeat.
  writer.publishFrame(frame("live"));
  await lateSink.received(11);
  assert.equal(lateSink.texts[10], "live");

  // A history larger than the stream gives what there is; history 0 gives nothing.
  const all = backplane(server, { history: 1000 });
  const allSink = new Recorder();
  await all.start(allSink);
  assert.equal(allSink.texts.length, 31);
  assert.equal(allSink.texts[0], "m0");
  const none = backplane(server);
  const noneSink = new Recorder();
  await none.start(noneSink);
  assert.deepEqual(noneSink.texts, []);
  await Promise.all([writer.close(), late.close(), all.close(), none.close()]);
});

natsTest("NatsBackplane sets the stream's limits and never narrows them", async () => {
  await using server = await NatsServer.start();
  const big = backplane(server, { history: 50_000, maxAgeSeconds: 7200 });
  await big.start(new Recorder());
  let info = await streamConfig(server, "WIRECHAT_test");
  assert.equal(info.config.max_msgs, 50_000);
  assert.equal(info.config.max_age, 7200 * 1e9);
  assert.equal(info.config.storage, "file");
  assert.equal(info.config.discard, "old");
  assert.deepEqual(info.config.subjects, ["wirechat.test.msg", "wirechat.test.voice"]);
  assert.ok(info.config.duplicate_window > 0);
  // A stream message holds at least one frame: the byte limit keeps the history whole
  // even when every frame is the largest (4,137 bytes by default) and alone.
  assert.equal(info.config.max_bytes, 50_000 * (4137 + 256));

  // A node with a smaller history, age and frame leaves them as they are.
  const small = backplane(server, { history: 5, maxAgeSeconds: 60, maxFrameBytes: 100 });
  await small.start(new Recorder());
  info = await streamConfig(server, "WIRECHAT_test");
  assert.equal(info.config.max_msgs, 50_000);
  assert.equal(info.config.max_bytes, 50_000 * (4137 + 256));
  assert.equal(info.config.max_age, 7200 * 1e9);
  // One with larger frames raises the byte limit.
  const large = backplane(server, { history: 5, maxFrameBytes: 100_000 });
  await large.start(new Recorder());
  info = await streamConfig(server, "WIRECHAT_test");
  assert.equal(info.config.max_bytes, MIN_STREAM_MESSAGES * (100_000 + 256));
  assert.equal(info.config.max_msgs, 50_000);

  // Another room gets its own stream, with the floor of messages.
  const other = backplane(server, { room: "other-room_2" });
  await other.start(new Recorder());
  info = await streamConfig(server, "WIRECHAT_other-room_2");
  assert.equal(info.config.max_msgs, MIN_STREAM_MESSAGES);
  assert.equal(info.config.max_age, 86_400 * 1e9);
  assert.equal(info.config.max_bytes, MIN_STREAM_MESSAGES * (4137 + 256));
  await Promise.all([big.close(), small.close(), large.close(), other.close()]);
});

natsTest("NatsBackplane serves each node its own history size", async () => {
  await using server = await NatsServer.start();
  const writer = backplane(server, { history: 3 });
  await writer.start(new Recorder());
  for (let i = 0; i < 20; i++) writer.publishFrame(frame(`m${i}`));
  await until("publishing", () => writer.pending === 0);
  const three = backplane(server, { history: 3 });
  const twelve = backplane(server, { history: 12 });
  const sink3 = new Recorder();
  const sink12 = new Recorder();
  await Promise.all([three.start(sink3), twelve.start(sink12)]);
  assert.deepEqual(sink3.texts, ["m17", "m18", "m19"]);
  assert.deepEqual(sink12.texts, Array.from({ length: 12 }, (_, i) => `m${8 + i}`));
  await Promise.all([writer.close(), three.close(), twelve.close()]);
});

natsTest("NatsBackplane rejects a NATS it cannot reach with one line naming it", async () => {
  const port = freePort();
  const lines: string[] = [];
  const node = new NatsBackplane({
    servers: [`nats://secret:password@127.0.0.1:${port}`],
    connectTimeoutMs: 1500,
    log: (level, line) => lines.push(`${level} ${line}`),
  });
  const started = Date.now();
  const error = await within(
    node.start(new Recorder()).then(() => undefined, (e: unknown) => e),
    "the rejection",
    10_000,
  );
  assert.ok(error instanceof Error);
  assert.ok(Date.now() - started < 5_000);
  assert.match(
    error.message,
    new RegExp(`^Cannot connect to NATS at nats://127\\.0\\.0\\.1:${port}`),
  );
  assert.doesNotMatch(error.message, /\n/);
  assert.ok(lines.length >= 2, `one log line per try: ${lines.join(" | ")}`);
  for (const line of lines) {
    assert.match(line, new RegExp(`unreachable \\(try \\d+\\)`));
    assert.doesNotMatch(line, /secret|password/);
  }
  assert.doesNotMatch(error.message, /secret|password/);
  await node.close();
});

natsTest("NatsBackplane passes credentials from the URL", async () => {
  await using server = await NatsServer.start(["--user", "alice", "--pass", "s3cret"]);
  const denied = new NatsBackplane({
    servers: [server.url],
    connectTimeoutMs: 300,
  });
  await assert.rejects(denied.start(new Recorder()), /Cannot connect to NATS/);
  await denied.close();
  const node = new NatsBackplane({ servers: [`nats://alice:s3cret@127.0.0.1:${server.port}`] });
  const sink = new Recorder();
  await node.start(sink);
  node.publishFrame(frame("hello"));
  await sink.received(1);
  await node.close();
});

for (const fault of ["stop", "kill"] as const) {
  natsTest(
    `NatsBackplane delivers frames published while nats-server was down (${fault}) once, in order`,
    async () => {
      await using server = await NatsServer.start();
      const lines: string[] = [];
      const a = backplane(server, {}, lines);
      const b = backplane(server);
      const sinkA = new Recorder();
      const sinkB = new Recorder();
      await a.start(sinkA);
      await b.start(sinkB);
      for (let i = 0; i < 50; i++) a.publishFrame(frame(`before${i}`));
      await Promise.all([sinkA.received(50), sinkB.received(50)]);

      await server[fault]();
      await until("the loss to be seen", () => sinkA.events.includes("connected false"));
      for (let i = 0; i < 50; i++) {
        a.publishFrame(frame(`a-during${i}`));
        b.publishFrame(frame(`b-during${i}`));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      await server.restart();
      for (let i = 0; i < 20; i++) a.publishFrame(frame(`after${i}`));

      await Promise.all([sinkA.received(170, 20_000), sinkB.received(170, 20_000)]);
      // Nothing more comes: no repeat.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await Promise.all([a.close(), b.close()]);
      assert.equal(sinkA.texts.length, 170);
      assert.deepEqual(sinkA.texts, sinkB.texts);
      assert.equal(new Set(sinkA.texts).size, 170);
      for (const prefix of ["before", "a-during", "b-during", "after"]) {
        const own = sinkA.texts.filter((t) => t.startsWith(prefix));
        assert.deepEqual(
          own,
          Array.from({ length: own.length }, (_, i) => `${prefix}${i}`),
          `${prefix} in order`,
        );
      }
      assert.deepEqual(sinkA.events, ["connected false", "connected true"]);
      assert.ok(lines.some((l) => l.startsWith("warn") && l.includes("lost")), lines.join("\n"));
      // Stored once each: a newcomer reading the whole stream gets the same 170.
      const reader = backplane(server, { history: 1000 });
      const sinkR = new Recorder();
      await reader.start(sinkR);
      assert.deepEqual(sinkR.texts, sinkA.texts);
      await reader.close();
    },
  );
}

natsTest("NatsBackplane says congested past maxPending, then not once drained", async () => {
  await using server = await NatsServer.start();
  const node = backplane(server, { maxPending: 20 });
  const sink = new Recorder();
  await node.start(sink);
  await server.stop();
  await until("the loss to be seen", () => sink.events.includes("connected false"));
  for (let i = 0; i < 19; i++) node.publishFrame(frame(`m${i}`));
  assert.deepEqual(sink.events, ["connected false"]);
  node.publishFrame(frame("m19"));
  assert.deepEqual(sink.events, ["connected false", "congested true"]);
  for (let i = 20; i < 30; i++) node.publishFrame(frame(`m${i}`));
  assert.equal(node.pending, 30);
  await server.restart();
  await sink.received(30, 20_000);
  assert.deepEqual(sink.events, [
    "connected false",
    "congested true",
    "connected true",
    "congested false",
  ]);
  assert.deepEqual(sink.texts, Array.from({ length: 30 }, (_, i) => `m${i}`));
  await node.close();
});

natsTest("NatsBackplane delivers nothing while paused, then carries on", async () => {
  await using server = await NatsServer.start();
  const { writer, reader, sink } = await writerAndReader(server);
  for (let i = 0; i < 10; i++) writer.publishFrame(frame(`m${i}`));
  await sink.received(10);
  reader.pause();
  for (let i = 10; i < 1000; i++) writer.publishFrame(frame(`m${i}`));
  await until("publishing", () => writer.pending === 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(sink.texts.length, 10);
  reader.resume();
  await sink.received(1000);
  assert.deepEqual(sink.texts, Array.from({ length: 1000 }, (_, i) => `m${i}`));
  await Promise.all([writer.close(), reader.close()]);
});

natsTest("NatsBackplane publishes what it holds when closed", async () => {
  await using server = await NatsServer.start();
  const node = backplane(server);
  await node.start(new Recorder());
  for (let i = 0; i < 100; i++) node.publishFrame(frame(`m${i}`));
  await within(node.close(), "close", 3_000);
  assert.equal(node.pending, 0);
  const reader = backplane(server, { history: 1000 });
  const sink = new Recorder();
  await reader.start(sink);
  assert.deepEqual(sink.texts, Array.from({ length: 100 }, (_, i) => `m${i}`));
  await reader.close();
});

natsTest("NatsBackplane closes within its bound when NATS is gone", async () => {
  await using server = await NatsServer.start();
  const lines: string[] = [];
  const node = backplane(server, { closeTimeoutMs: 300 }, lines);
  await node.start(new Recorder());
  await server.kill();
  node.publishFrame(frame("lost"));
  const started = Date.now();
  await within(node.close(), "close", 3_000);
  assert.ok(Date.now() - started < 2_000);
  assert.ok(lines.some((l) => l.includes("1 messages unpublished")), lines.join("\n"));
});

Deno.test("NatsBackplane refuses a bad room name or limits", () => {
  assert.throws(() => new NatsBackplane({ servers: [], room: "a" }), TypeError);
  assert.throws(() => new NatsBackplane({ servers: ["nats://h:1"], room: "a.b" }), RangeError);
  assert.throws(() => new NatsBackplane({ servers: ["nats://h:1"], room: "" }), RangeError);
  assert.throws(() => new NatsBackplane({ servers: ["nats://h:1"], history: -1 }), RangeError);
  assert.throws(() => new NatsBackplane({ servers: ["nats://h:1"], maxPending: 0 }), RangeError);
});

natsTest(
  "NatsBackplane stores frames published with one message id once, from any node",
  async () => {
    await using server = await NatsServer.start();
    const a = backplane(server);
    const b = backplane(server);
    const seenA = new Recorder();
    const seenB = new Recorder();
    await a.start(seenA);
    await b.start(seenB);
    try {
      a.publishFrame(frame("bob left"), "leave-n1-7");
      b.publishFrame(frame("bob left"), "leave-n1-7");
      a.publishFrame(frame("after"));
      b.publishFrame(frame("after"));
      await seenA.received(3);
      await seenB.received(3);
      assert.deepEqual(seenA.texts.filter((text) => text === "bob left"), ["bob left"]);
      assert.deepEqual(seenB.texts.toSorted(), ["after", "after", "bob left"]);
    } finally {
      await a.close();
      await b.close();
    }
  },
);
