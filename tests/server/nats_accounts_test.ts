import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { NatsAccounts } from "../../server/cluster/nats/nats_accounts.ts";
import { scramVerifier } from "../../protocol/scram.ts";
import { nameKeys } from "../../protocol/skeleton.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`not within 10 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

natsTest(
  "a node's watched accounts answer a storm of lookups with no round trip, and follow the bucket",
  async () => {
    await using nats = await NatsServer.start();
    const nodeConnection = await connect({ servers: nats.url });
    const commandConnection = await connect({ servers: nats.url });
    const verifier = await scramVerifier("correct horse");
    const command = await NatsAccounts.open(commandConnection);
    assert.equal(await command.add("alice", verifier), true);
    const node = await NatsAccounts.open(nodeConnection, { watch: true });
    try {
      await until("the copy is current", () => node.current);
      const sent = nodeConnection.stats().outMsgs;
      for (let i = 0; i < 1_000; i++) {
        const found = node.account(i % 2 === 0 ? "ALICE" : `user${i}`);
        assert.ok(!(found instanceof Promise), "a lookup went to NATS");
        assert.equal(found?.name, i % 2 === 0 ? "alice" : undefined);
      }
      assert.equal(nodeConnection.stats().outMsgs, sent);

      // Registered elsewhere (the accounts command): refused here as soon as the watch says so.
      assert.equal(await command.add("bob", verifier), true);
      await until(
        "bob is registered here",
        () => (node.account("bob") as { name?: string })?.name === "bob",
      );
      assert.equal(await command.remove("alice"), true);
      await until("alice is free here", () => node.account("alice") === undefined);
    } finally {
      node.close();
      await nodeConnection.close();
      await commandConnection.close();
    }
  },
);

natsTest(
  "without a current copy, concurrent lookups of one name read the bucket once",
  async () => {
    await using nats = await NatsServer.start();
    const connection = await connect({ servers: nats.url });
    try {
      const accounts = await NatsAccounts.open(connection);
      assert.equal(await accounts.add("carol", await scramVerifier("pw")), true);
      const sent = connection.stats().outMsgs;
      const lookups = Array.from({ length: 200 }, () => accounts.account("carol"));
      assert.ok(lookups.every((lookup) => lookup === lookups[0]));
      for (const found of await Promise.all(lookups)) assert.equal(found?.name, "carol");
      // One get per key of the name, at most.
      assert.ok(connection.stats().outMsgs - sent <= nameKeys("carol").length);
    } finally {
      await connection.close();
    }
  },
);

natsTest(
  "a watch renewed as NATS comes back ends with its connection, leaving no retry timer behind",
  async () => {
    await using nats = await NatsServer.start();
    const connection = await connect({
      servers: nats.url,
      reconnectTimeWait: 50,
      maxReconnectAttempts: -1,
    });
    // Opened first: its own listener hears of the reconnection before ours below.
    await NatsAccounts.open(connection, { watch: true });
    const back = (async () => {
      for await (const status of connection.status()) {
        if (status.type === "reconnect") return;
      }
    })();
    await nats.stop();
    await nats.restart();
    await back;
    // The watch is being renewed: the server shuts its connection now, as a node
    // shutting down right after NATS came back does (the accounts left unclosed).
    await connection.close();
    // Deno's sanitizer fails the test if a retry timer is left running.
    await new Promise((resolve) => setTimeout(resolve, 100));
  },
);
