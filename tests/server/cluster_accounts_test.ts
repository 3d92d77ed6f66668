import assert from "node:assert/strict";
import { connect, LoginRefusedError } from "../../client.ts";
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
