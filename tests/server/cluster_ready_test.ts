import assert from "node:assert/strict";
import { serve } from "../../server.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { startNode } from "../support/cluster_node.ts";
import { LogCapture } from "../support/log_capture.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

natsTest(
  "a client that logs in the instant a new node's port accepts gets the other nodes' messages",
  async () => {
    await using nats = await NatsServer.start();
    const a = await startNode(nats);
    const logs = new LogCapture();
    // Node B, started now: its port accepts at once, its cluster is joined later.
    const b = serve({
      hostname: "127.0.0.1",
      port: 0,
      logLevel: "info",
      log: logs.log,
      maxMessageRate: 0,
      nats: { servers: [nats.url], room: "test" },
    });
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
    const logs = new LogCapture();
    const node = serve({
      hostname: "127.0.0.1",
      port: 0,
      logLevel: "info",
      log: logs.log,
      nats: { servers: [nats.url], room: "test" },
    });
    const stopped = node.shutdown(); // before the join is done
    await node.ready;
    await stopped;
    // The shutdown waited for the join, then closed it: the sanitizers fail the test if
    // the backplane, the roster or the accounts' watch left a timer or a connection.
    const joined = logs.lines.findIndex((line) => /NATS backplane connected/.test(line));
    const down = logs.lines.findIndex((line) => /shut down: closed/.test(line));
    assert.ok(joined >= 0 && down > joined, logs.lines.join("\n"));
  },
);
