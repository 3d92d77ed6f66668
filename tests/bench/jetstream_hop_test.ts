import assert from "node:assert/strict";
import { measureHop } from "../../bench/jetstream_hop.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";

natsTest("jetstream_hop times each step of a message through a real nats-server", async () => {
  await using nats = await NatsServer.start();
  const steps = await measureHop(nats.url, 20);
  assert.deepEqual(steps.map((step) => step.step), ["core", "publish-ack", "stream-delivery"]);
  for (const step of steps) assert.ok(step.p50 > 0 && step.p99 >= step.p50, JSON.stringify(step));
});
