import assert from "node:assert/strict";
import { runLoad } from "../../check/load/load.ts";
import { ServerGroup } from "../../bench/server_group.ts";
import { ServerProcess } from "../../bench/server_process.ts";
import {
  defaultServers,
  findNatsServer,
  startCluster,
  startTlsServer,
  TRANSPORT_SCENARIOS,
} from "../../bench/targets.ts";

Deno.test("ServerProcess waits for its ready line as well as for the port", async () => {
  const naive = defaultServers().naive;
  await assert.rejects(
    ServerProcess.start({ ...naive, readyLine: /never logged/, readyTimeoutMs: 1000 }),
    /it logged no line matching \/never logged\//,
  );
  const ready = await ServerProcess.start({ ...naive, readyLine: /listening on/ });
  await ready.stop();
});

Deno.test("ServerGroup gives the load generator every node's port and sums their CPU", async () => {
  const naive = defaultServers().naive;
  const a = await ServerProcess.start(naive);
  const b = await ServerProcess.start(naive);
  let cleaned = false;
  const group = new ServerGroup("pair", [a, b], {
    cleanup: () => Promise.resolve(void (cleaned = true)),
  });
  try {
    assert.deepEqual(group.port, [a.port, b.port]);
    assert.equal(new ServerGroup("one", [a]).port, a.port);
    assert.ok(group.running);
    // /proc of another process is readable only with --allow-all: null here, or a sum.
    const [cpu, cpuA, cpuB] = [group.cpuS(), a.cpuS(), b.cpuS()];
    if (cpu !== null) assert.ok(cpu >= cpuA! && cpu >= cpuB!);
    else assert.ok(cpuA === null || cpuB === null);
  } finally {
    await group.stop();
  }
  assert.equal(a.running || b.running, false);
  assert.equal(cleaned, true);
  assert.throws(() => new ServerGroup("none", []), RangeError);
});

Deno.test("startTlsServer serves TLS only, on a certificate the load generator trusts", async () => {
  const server = await startTlsServer();
  try {
    assert.deepEqual(server.scenarios, TRANSPORT_SCENARIOS);
    assert.ok(server.tls !== undefined);
    const result = await runLoad({
      port: server.port,
      tls: server.tls,
      clients: 4,
      senders: 2,
      messages: 20,
      durationLimit: 15,
    });
    assert.equal(result.ok, true);
    assert.equal(result.deliveriesReceived, 4 * 2 * 20);
  } finally {
    await server.stop();
  }
});

const nats = findNatsServer();

Deno.test({
  name: `startCluster joins two nodes through nats-server as one chat${
    "reason" in nats ? ` (ignored: ${nats.reason})` : ""
  }`,
  ignore: "reason" in nats && Deno.env.get("CI") !== "true",
  async fn() {
    const cluster = await startCluster("path" in nats ? nats.path : "nats-server", 2);
    try {
      assert.equal(cluster.nodes.length, 2);
      assert.equal(cluster.helpers.length, 1);
      const result = await runLoad({
        port: cluster.port,
        clients: 6,
        senders: 2,
        messages: 30,
        window: 4,
        durationLimit: 20,
      });
      assert.equal(result.ok, true);
      assert.equal(result.deliveriesReceived, 6 * 2 * 30);
    } finally {
      await cluster.stop();
    }
    assert.equal(cluster.running, false);
  },
});

Deno.test("wirechat is measured without its message rate limit, as a relay", () => {
  const { command } = defaultServers().wirechat;
  const at = command.indexOf("--max-message-rate");
  assert.ok(at > 0, command.join(" "));
  assert.equal(command[at + 1], "0");
  assert.ok(command.includes("server.ts"));
});
