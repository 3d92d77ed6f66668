import assert from "node:assert/strict";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsPresence } from "../../server/cluster/nats/nats_presence.ts";
import type { RosterMember } from "../../server/ops/presence.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

// 25-byte names, the longest a login may have by default.
function members(count: number, prefix: string, from = 0): RosterMember[] {
  return Array.from({ length: count }, (_, i) => ({
    id: from + i + 1,
    name: `${prefix}-${String(from + i).padStart(24 - prefix.length, "0")}`,
  }));
}

async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!await done()) {
    if (Date.now() > deadline) assert.fail(`not within 20 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Two nodes' rosters on `nats`, each with its own connection, and the nodes bucket. */
async function twoRosters(nats: NatsServer, logs: string[] = []) {
  const connections: NatsConnection[] = [];
  const open = async () => {
    const connection = await connect({ servers: nats.url });
    connections.push(connection);
    return NatsPresence.open({
      connection,
      room: "test",
      gone: () => {},
      refreshMs: 100,
      log: (level, line) => logs.push(`${level} ${line}`),
    });
  };
  const a = await open();
  const b = await open();
  const bucket = await new Kvm(connections[0]!).open("wirechat_test_nodes");
  return {
    a,
    b,
    bucket,
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      for (const connection of connections) await connection.close();
    },
  };
}

/** The revision of each of `node`'s chunk keys. */
async function chunkRevisions(bucket: KV, node: string): Promise<Map<string, number>> {
  const revisions = new Map<string, number>();
  for await (const key of await bucket.keys(`m.${node}.*`)) {
    const entry = await bucket.get(key);
    if (entry?.operation === "PUT") revisions.set(key, entry.revision);
  }
  return revisions;
}

natsTest(
  "a roster larger than NATS's max_payload reaches the other node whole, in chunks",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "wirechat_roster_test_" });
    try {
      // 64 KiB: 2,000 members with 25-byte names (about 90 KB as one value) do not fit.
      await Deno.writeTextFile(`${dir}/nats.conf`, "max_payload: 65536\n");
      await using nats = await NatsServer.start(["-c", `${dir}/nats.conf`]);
      const logs: string[] = [];
      await using rosters = await twoRosters(nats, logs);
      const list = members(2_000, "a");
      rosters.a.update(list);
      await until("b lists a's 2,000 members", () => [...rosters.b.others()].length === 2_000);
      assert.deepEqual([...rosters.b.others()].sort(), list.map((member) => member.name).sort());
      assert.deepEqual(logs.filter((line) => line.startsWith("warn")), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

natsTest("a join or a leave re-puts one chunk of the node's roster, not the whole", async () => {
  await using nats = await NatsServer.start();
  await using rosters = await twoRosters(nats);
  const { a, b, bucket } = rosters;
  const list = members(600, "a");
  a.update(list);
  await until("b lists 600", () => [...b.others()].length === 600);
  const before = await chunkRevisions(bucket, a.node);
  assert.ok(before.size >= 5, `${before.size} chunks`);

  a.update([...list, { id: 601, name: "newcomer" }]);
  await until("b lists the newcomer", () => [...b.others()].includes("newcomer"));
  const afterJoin = await chunkRevisions(bucket, a.node);
  const changed = [...afterJoin].filter(([key, revision]) => before.get(key) !== revision);
  assert.equal(changed.length, 1, `changed: ${changed.map(([key]) => key)}`);

  a.update([...list.slice(1), { id: 601, name: "newcomer" }]);
  await until("b no longer lists the leaver", () => [...b.others()].length === 600);
  const afterLeave = await chunkRevisions(bucket, a.node);
  const changedAgain = [...afterLeave].filter(([key, rev]) => afterJoin.get(key) !== rev);
  assert.equal(changedAgain.length, 1);
  assert.ok(![...b.others()].includes(list[0]!.name));
});

natsTest(
  "a node whose chunks another node deleted (it found the node dead) puts them again",
  async () => {
    await using nats = await NatsServer.start();
    await using rosters = await twoRosters(nats);
    const { a, b, bucket } = rosters;
    a.update(members(300, "a"));
    await until("b lists 300", () => [...b.others()].length === 300);
    for (const key of (await chunkRevisions(bucket, a.node)).keys()) await bucket.delete(key);
    await until(
      "b lists 300 again",
      async () =>
        (await chunkRevisions(bucket, a.node)).size === 3 && [...b.others()].length === 300,
    );
  },
);

natsTest(
  "a roster entry of an older wirechat is skipped and logged once; the rest is read",
  async () => {
    await using nats = await NatsServer.start();
    const connection = await connect({ servers: nats.url });
    try {
      const bucket = await new Kvm(connection).create("wirechat_test_nodes", { history: 1 });
      // What 0.2.0 put: the node's id as the key, its whole member list as the value.
      await bucket.put("1b2c3d4e-5f60", JSON.stringify([{ id: 1, name: "old" }]));
      await bucket.put("m.6a7b8c9d-0e1f.0", JSON.stringify([{ id: 2, name: "odd" }]));
      const logs: string[] = [];
      await using rosters = await twoRosters(nats, logs);
      rosters.a.update(members(3, "a"));
      await until("b lists a's 3", () => [...rosters.b.others()].length === 3);
      assert.ok(![...rosters.b.others()].includes("old"));
      const skipped = logs.filter((line) => /skipped/.test(line));
      // One line per roster (a and b each read the bucket), each naming the rule.
      assert.equal(skipped.length, 2, skipped.join("\n"));
      for (const line of skipped) assert.match(line, /^warn .*same wirechat version/);
    } finally {
      await connection.close();
    }
  },
);
