import assert from "node:assert/strict";
import type { ChatMessage } from "../../mod.ts";
import { within } from "../support/deadline.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { startNode } from "../support/cluster_node.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";
import { ServerProcess } from "../support/process.ts";

async function join(n: { port: number }, name: string): Promise<ChatPeer> {
  const peer = await ChatPeer.login(n.port, name);
  peer.startReading();
  return peer;
}

/** `user: text` for each message, for compact assertions. */
function lines(messages: readonly ChatMessage[]): string[] {
  return messages.map((message) => `${message.username}: ${message.text}`);
}

/** Asks `/who` until the answer is `expected`, for `timeout` ms at most. */
async function whoUntil(peer: ChatPeer, expected: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let last = "";
  while (Date.now() < deadline) {
    const before = peer.messages.length;
    await peer.sendString("/who");
    const answers = await peer.waitForMessages(before + 1);
    last = answers.filter((m) => m.username === "*" && /^\d+ here/.test(m.text)).at(-1)?.text ??
      "";
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`/who said "${last}", not "${expected}", within ${timeout} ms`);
}

natsTest(
  "cluster presence: joins and leaves reach both nodes in one order; /who lists every node",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats, { presence: true });
    const b = await startNode(nats, { presence: true });
    try {
      const alice = await join(a, "alice");
      await alice.waitForText('"alice" joined');
      const bob = await join(b, "bob");
      await alice.waitForText('"bob" joined');
      const carol = await join(a, "carol");
      await bob.waitForText('"carol" joined');
      await whoUntil(bob, '3 here: "alice", "bob", "carol"');
      await whoUntil(alice, '3 here: "alice", "bob", "carol"');
      await carol.close();
      await bob.waitForText('"carol" left');
      await whoUntil(bob, '2 here: "alice", "bob"');
      await alice.sendString("end");
      await bob.waitForText("end");
      await alice.waitForText("end");
      const notices = (peer: ChatPeer) =>
        lines(peer.messages).filter((line) => !/^\*: \d+ here/.test(line));
      assert.deepEqual(notices(bob), [
        '*: "bob" joined',
        '*: "carol" joined',
        '*: "carol" left',
        "alice: end",
      ]);
      assert.deepEqual(notices(alice).slice(1), notices(bob));
      for (const peer of [alice, bob]) await peer.close();
    } finally {
      await a.server.shutdown();
      await b.server.shutdown();
    }
  },
);

natsTest("cluster --unique-names: a name held on one node is refused on the other", async () => {
  await using nats = await NatsServer.start();
  const a = await startNode(nats, { uniqueNames: true, presence: true });
  const b = await startNode(nats, { uniqueNames: true, presence: true });
  try {
    const alice = await join(a, "alice");
    await alice.waitForText('"alice" joined');
    for (const name of ["ALICE", "alice"]) {
      const twin = await ChatPeer.login(b.port, name);
      assert.equal(await twin.waitForEnd(), "closed");
      assert.deepEqual(lines(twin.messages), [`*: the name "${name}" is taken`]);
      await twin.close();
    }
    assert.equal(b.server.stats.refusedBy["name taken"], 2);
    // A message sent right behind the login waits for the claim, then goes out.
    const bob = await ChatPeer.login(b.port, "bob");
    await bob.sendString("bob here");
    bob.startReading();
    await alice.waitForText("bob here");
    // Bob's join is held a second before it is said: his message comes first.
    await alice.waitForText('"bob" joined');
    assert.deepEqual(lines(alice.messages), [
      '*: "alice" joined',
      "bob: bob here",
      '*: "bob" joined',
    ]);
    // Once alice leaves, her name is free on the other node.
    await alice.close();
    await bob.waitForText('"alice" left');
    const again = await join(b, "Alice");
    await bob.waitForText('"Alice" joined');
    for (const peer of [again, bob]) await peer.close();
  } finally {
    await a.server.shutdown();
    await b.server.shutdown();
  }
});

natsTest(
  "cluster presence: a killed node's users leave /who, their leaves are announced once, their names are freed",
  async () => {
    await using nats = await NatsServer.start();
    // A lease of 3 s: a killed node counts as gone 3 s after its last refresh.
    const nats3 = { servers: [nats.url], room: "test", leaseSeconds: 3 };
    const a = await startNode(nats, { presence: true, uniqueNames: true, nats: nats3 });
    const b = await startNode(nats, { presence: true, uniqueNames: true, nats: nats3 });
    await using dying = await ServerProcess.start([
      "--nats",
      nats.url,
      "--room",
      "test",
      "--presence",
      "--unique-names",
      "--cluster-lease",
      "3",
      "--log-level",
      "info",
    ]);
    try {
      const alice = await join(a, "alice");
      const bob = await join(b, "bob");
      await dying.stderr.waitFor(/NATS backplane connected/, 1, 10_000);
      const dave = await join({ port: dying.port }, "dave");
      await alice.waitForText('"dave" joined');
      await whoUntil(alice, '3 here: "alice", "bob", "dave"');
      await dying.stop("SIGKILL"); // no goodbye: its roster entry just stops being refreshed
      await alice.waitForText('"dave" left', 15_000);
      await bob.waitForText('"dave" left', 15_000);
      await whoUntil(alice, '2 here: "alice", "bob"', 15_000);
      // The dead node's claim goes with it: whoever noticed deletes it, a moment
      // after the leave; a login refused in that moment is tried again, as a client would.
      const daveNow = await within(
        (async () => {
          while (true) {
            const peer = await join(a, "DAVE");
            while (
              peer.ended === undefined && !peer.messages.some((m) => m.text === '"DAVE" joined')
            ) {
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
            if (peer.ended === undefined) return peer;
            await peer.close();
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        })(),
        "the name DAVE to be free",
        20_000,
      );
      await bob.waitForText('"DAVE" joined');
      await alice.sendString("end");
      await bob.waitForText("end");
      await alice.waitForText("end");
      for (const peer of [alice, bob]) {
        assert.equal(peer.messages.filter((m) => m.text === '"dave" left').length, 1);
      }
      await dave.close();
      for (const peer of [alice, bob, daveNow]) await peer.close();
    } finally {
      await a.server.shutdown();
      await b.server.shutdown();
    }
  },
);

natsTest(
  "cluster presence: /healthz says 503 while NATS is away, 200 once it is back",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats, { metrics: { hostname: "127.0.0.1", port: 0 } });
    const url = `http://127.0.0.1:${a.server.addrs.metrics!.port}/healthz`;
    const status = async () => {
      const response = await fetch(url);
      await response.body?.cancel();
      return response.status;
    };
    const until = async (code: number) => {
      const deadline = Date.now() + 15_000;
      while (await status() !== code) {
        assert.ok(Date.now() < deadline, `/healthz never said ${code}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      assert.equal(await status(), 200);
      await nats.stop();
      await until(503);
      assert.equal(a.server.stats.backplaneConnected, false);
      await nats.restart();
      await until(200);
      assert.equal(a.server.stats.backplaneConnected, true);
    } finally {
      await a.server.shutdown();
    }
  },
);

natsTest(
  "cluster presence: the users of a node shut down are announced as gone by the others, once",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats, { presence: true });
    const b = await startNode(nats, { presence: true });
    const c = await startNode(nats, { presence: true });
    try {
      const alice = await join(a, "alice");
      const carol = await join(c, "carol");
      const bob = await join(b, "bob");
      await alice.waitForText('"bob" joined');
      await carol.waitForText('"bob" joined');
      await b.server.shutdown();
      await bob.waitForEnd();
      await alice.waitForText('"bob" left', 15_000);
      await whoUntil(carol, '2 here: "alice", "carol"', 15_000);
      await alice.sendString("end");
      await carol.waitForText("end");
      await alice.waitForText("end");
      for (const peer of [alice, carol]) {
        assert.equal(peer.messages.filter((m) => m.text === '"bob" left').length, 1);
      }
      for (const peer of [alice, bob, carol]) await peer.close();
    } finally {
      await a.server.shutdown();
      await c.server.shutdown();
    }
  },
);
