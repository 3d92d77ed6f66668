import assert from "node:assert/strict";
import { ChatPeer } from "../support/chat_peer.ts";
import { serveNode, startNode } from "../support/cluster_node.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

natsTest(
  "a client that logs in the instant a new node's port accepts gets the other nodes' messages",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats);
    // Node B, started now: its port accepts at once, its cluster is joined later.
    const { server: b, logs } = serveNode(nats);
    try {
      const early = await ChatPeer.login(b.addr.port, "early");
      early.startReading();
      assert.equal(
        logs.matching(/NATS backplane connected/).length,
        0,
        "B joined too soon to test",
      );
      await b.ready;
      await logs.waitFor(/logged in as "early"/);
      assert.ok(
        logs.lines.findIndex((line) => /NATS backplane connected/.test(line)) <
          logs.lines.findIndex((line) => /logged in as "early"/.test(line)),
        "the login was let in before the node joined its cluster",
      );
      const alice = await ChatPeer.login(a.port, "alice");
      await a.logs.waitFor(/logged in as "alice"/);
      await alice.sendString("from node A");
      assert.equal((await early.waitForText("from node A", 10_000)).username, "alice");
      await alice.close();
      await early.close();
    } finally {
      await b.shutdown();
      await a.server.shutdown();
    }
  },
);

natsTest(
  "a node shut down while it joins its cluster closes what it joined and exits",
  async () => {
    await using nats = await NatsServer.start();
    const { server: node, logs } = serveNode(nats);
    const stopped = node.shutdown(); // before the join is done
    await node.ready;
    await stopped;
    // The shutdown waited for the join, then closed it: the sanitizers fail the test if
    // what it joined left a connection or a timer (so they do if #stop skips the backplane).
    const joined = logs.lines.findIndex((line) => /NATS backplane connected/.test(line));
    const down = logs.lines.findIndex((line) => /shut down: closed/.test(line));
    assert.ok(joined >= 0 && down > joined, logs.lines.join("\n"));
  },
);
