import assert from "node:assert/strict";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { claimKey, NatsPresence } from "../../server/cluster/nats/nats_presence.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

natsTest(
  "a name claim lost while away is reported with the name's key, not the bucket's",
  async () => {
    await using nats = await NatsServer.start();
    const connection = await connect({ servers: nats.url });
    const lost: string[] = [];
    const presence = await NatsPresence.open({
      connection,
      uniqueNames: true,
      gone: () => {},
      lost: (key) => lost.push(key),
      claimRefreshMs: 50,
      refreshMs: 50,
    });
    try {
      assert.equal(await presence.claim("alice"), true);
      // Someone else holds the claim now, as after this node was away past its lease.
      const names = await new Kvm(connection).open("wirechat_wirechat_names");
      await names.delete(claimKey("alice"));
      await names.create(claimKey("alice"), "another node");
      const deadline = Date.now() + 10_000;
      while (lost.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(lost, ["alice"]);
    } finally {
      await presence.close();
      await connection.close();
    }
  },
);
