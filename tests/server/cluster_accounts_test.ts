import assert from "node:assert/strict";
import { connect, LoginRefusedError } from "../../client.ts";
import { encodeString } from "../../protocol/encode.ts";
import { accountsMain } from "../../server/accounts/accounts_command.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { startNode } from "../support/cluster_node.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

natsTest(
  "cluster accounts: one bucket for every node; a registered name is its owner's on each",
  async () => {
    await using nats = await NatsServer.start();
    const err: string[] = [];
    const io = {
      password: () => Promise.resolve("correct horse"),
      print: () => {},
      error: (line: string) => err.push(line),
    };
    assert.equal(await accountsMain(["add", "alice", "--nats", nats.url], io), 0, err.join("\n"));
    const a = await startNode(nats);
    const b = await startNode(nats);
    try {
      // Without proof, on either node, and under a lookalike: refused.
      for (const [port, name] of [[a.port, "alice"], [b.port, "ALICE"]] as const) {
        const peer = await ChatPeer.login(port, name);
        const [why] = await peer.waitForMessages(1);
        assert.match(why!.text, /is registered$/);
        await peer.waitForEnd();
        await peer.close();
      }
      await assert.rejects(
        connect({ hostname: "127.0.0.1", port: b.port, username: "alice", password: "wrong" }),
        LoginRefusedError,
      );
      await using alice = await connect({
        hostname: "127.0.0.1",
        port: b.port,
        username: "alice",
        password: "correct horse",
      });
      await alice.send("from b");
      for await (const message of alice) {
        assert.equal(message.text, "from b");
        break;
      }
      // Removed from the bucket: the name is free on every node at once.
      assert.equal(await accountsMain(["remove", "alice", "--nats", nats.url], io), 0);
      const anyone = await ChatPeer.login(a.port, "alice");
      await anyone.sendString("mine now");
      await anyone.waitForText("mine now");
      await anyone.close();
    } finally {
      await a.server.shutdown();
      await b.server.shutdown();
    }
  },
);

/** Logs in as `name` without a password: `"in"` (still open a second later), or the refusal. */
async function verdict(port: number, name: string): Promise<string> {
  const peer = await ChatPeer.connect(port);
  peer.startReading();
  await peer.sendRaw(encodeString(name));
  for (let i = 0; i < 40 && peer.ended === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const said = peer.ended === undefined ? "in" : peer.messages.at(-1)?.text ?? "closed";
  await peer.close();
  return said;
}

/** Asks {@linkcode verdict} until it matches `expected`, for 15 s at most. */
async function verdictUntil(port: number, name: string, expected: RegExp): Promise<void> {
  const deadline = Date.now() + 15_000;
  let said = "";
  while (Date.now() < deadline) {
    said = await verdict(port, name);
    if (expected.test(said)) return;
  }
  assert.fail(`a login as ${name} got ${JSON.stringify(said)}, not ${expected}`);
}

natsTest(
  "cluster accounts: a name registered while the nodes run is refused without a password on each",
  async () => {
    await using nats = await NatsServer.start();
    const io = { password: () => Promise.resolve("pw"), print: () => {}, error: () => {} };
    const a = await startNode(nats);
    const b = await startNode(nats);
    try {
      assert.equal(await verdict(b.port, "erin"), "in");
      assert.equal(await accountsMain(["add", "erin", "--nats", nats.url], io), 0);
      await verdictUntil(b.port, "erin", /"erin" is registered$/);
      await verdictUntil(a.port, "Erin", /"Erin" is registered$/);
    } finally {
      await a.server.shutdown();
      await b.server.shutdown();
    }
  },
);

natsTest(
  "cluster accounts: with NATS away, a login without a password is refused, as before",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats);
    try {
      assert.equal(await verdict(a.port, "frank"), "in");
      await nats.stop();
      await verdictUntil(a.port, "frank", /^accounts cannot be checked now: try again later$/);
    } finally {
      await a.server.shutdown();
    }
  },
);
