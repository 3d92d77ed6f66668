import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { ChatPeer } from "../support/chat_peer.ts";
import { type ClusterNode, startNode } from "../support/cluster_node.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";
import { projectFile, runDeno } from "../support/process.ts";

async function join(n: ClusterNode, name: string): Promise<ChatPeer> {
  const peer = await ChatPeer.login(n.port, name);
  await n.logs.waitFor(new RegExp(`logged in as "${name}"`));
  peer.startReading();
  return peer;
}

/** Runs the server command on `nats` to its end (it cannot start: the tests say why). */
function serverOn(nats: string) {
  const args = ["--host", "127.0.0.1", "--port", "0", "--nats", nats];
  return runDeno(["run", "--allow-net", projectFile("server.ts"), ...args]);
}

natsTest("two nodes are one chat: every client gets the same messages in one order", async () => {
  await using nats = await NatsServer.start();
  const a = await startNode(nats);
  const b = await startNode(nats);
  try {
    const alice = await join(a, "alice");
    const bob = await join(b, "bob");
    const carol = await join(b, "carol");
    // Both nodes' senders at once: the stream decides one order for everybody.
    const sends = [];
    for (let i = 0; i < 50; i++) {
      sends.push(alice.sendString(`a${i}`), bob.sendString(`b${i}`));
    }
    await Promise.all(sends);
    const seen = await Promise.all([alice, bob, carol].map((peer) => peer.waitForMessages(100)));
    const order = (messages: typeof seen[0]) =>
      messages.map((m) => `${m.timestamp} ${m.username} ${m.text}`);
    assert.deepEqual(order(seen[1]!), order(seen[0]!));
    assert.deepEqual(order(seen[2]!), order(seen[0]!));
    // One sender's messages keep their order.
    const fromAlice = seen[1]!.filter((m) => m.username === "alice").map((m) => m.text);
    assert.deepEqual(fromAlice, Array.from({ length: 50 }, (_, i) => `a${i}`));
    for (const peer of [alice, bob, carol]) await peer.close();
  } finally {
    await a.server.shutdown();
    await b.server.shutdown();
  }
});

natsTest("a node started later serves the same history, which outlives every node", async () => {
  await using nats = await NatsServer.start();
  const first = await startNode(nats, { history: 3 });
  const alice = await join(first, "alice");
  for (let i = 1; i <= 5; i++) await alice.sendString(`m${i}`);
  const sent = await alice.waitForMessages(5);
  await alice.close();
  await first.server.shutdown();
  // Every node gone; a new one starts from the stream.
  const later = await startNode(nats, { history: 3 });
  try {
    const bob = await join(later, "bob");
    const history = await bob.waitForMessages(3);
    assert.deepEqual(history.map((m) => m.text), ["m3", "m4", "m5"]);
    assert.deepEqual(history.map((m) => m.timestamp), sent.slice(2).map((m) => m.timestamp));
    await bob.sendString("live");
    assert.equal((await bob.waitForMessages(4))[3]!.text, "live");
    await bob.close();
  } finally {
    await later.server.shutdown();
  }
});

natsTest(
  "a node keeps its clients through a NATS restart and loses or repeats nothing",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats);
    const b = await startNode(nats);
    try {
      const alice = await join(a, "alice");
      const bob = await join(b, "bob");
      await alice.sendString("before");
      await bob.waitForText("before");
      await nats.stop();
      await alice.sendString("during");
      await new Promise((resolve) => setTimeout(resolve, 500));
      await nats.restart();
      await alice.sendString("after");
      await bob.waitForText("after", 20_000);
      assert.deepEqual(bob.messages.map((m) => m.text), ["before", "during", "after"]);
      assert.deepEqual(
        (await alice.waitForMessages(3, 20_000)).map((m) => m.text),
        ["before", "during", "after"],
      );
      assert.equal(alice.ended, undefined);
      for (const peer of [alice, bob]) await peer.close();
    } finally {
      await a.server.shutdown();
      await b.server.shutdown();
    }
  },
);

natsTest("the room's stream is bounded in bytes by the node's own limits", async () => {
  await using nats = await NatsServer.start();
  const node = await startNode(nats, { maxMessageSize: 20_000, maxUsernameSize: 40 });
  const nc = await connect({ servers: nats.url });
  try {
    const { config } = await (await jetstreamManager(nc)).streams.info("WIRECHAT_test");
    // At least 10,000 stream messages, each may be one frame of the largest size.
    assert.equal(config.max_bytes, 10_000 * (16 + 40 + 20_000 + 256));
  } finally {
    await nc.close();
    await node.server.shutdown();
  }
});

natsTest("a killed node's clients are cut; everyone else carries on", async () => {
  await using nats = await NatsServer.start();
  const a = await startNode(nats);
  const b = await startNode(nats);
  try {
    const alice = await join(a, "alice");
    const bob = await join(b, "bob");
    const carol = await join(b, "carol");
    await a.server.shutdown(); // a node gone: its clients are disconnected
    assert.ok(["closed", "reset"].includes(await alice.waitForEnd()));
    await bob.sendString("still here");
    await carol.waitForText("still here");
    for (const peer of [alice, bob, carol]) await peer.close();
  } finally {
    await b.server.shutdown();
  }
});

natsTest("server exits 1 with one line naming NATS when it cannot reach it", async () => {
  await using nats = await NatsServer.start();
  const port = nats.port;
  await nats.stop();
  const { code, stderr } = await serverOn(`nats://127.0.0.1:${port}`);
  assert.equal(code, 1);
  const last = stderr.trim().split("\n").at(-1)!;
  assert.match(last, new RegExp(`^wirechat-server: .*127\\.0\\.0\\.1:${port}`));
  assert.doesNotMatch(stderr, /^\s+at /m);
});

natsTest(
  "server refused by NATS (wrong credentials) exits 1 with one line, never a stack trace",
  async () => {
    await using nats = await NatsServer.start(["--user", "alice", "--pass", "s3cret"]);
    const { code, stderr } = await serverOn(`nats://127.0.0.1:${nats.port}`);
    assert.equal(code, 1);
    const last = stderr.trim().split("\n").at(-1)!;
    assert.match(
      last,
      new RegExp(`^wirechat-server: .*127\\.0\\.0\\.1:${nats.port}.*Authorization`),
    );
    assert.doesNotMatch(stderr, /Uncaught|^\s+at /m);
  },
);
