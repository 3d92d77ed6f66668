import assert from "node:assert/strict";
import { measureIdle } from "../../bench/idle_hold.ts";
import { ServerGroup } from "../../bench/server_group.ts";
import { ServerProcess } from "../../bench/server_process.ts";
import { defaultServers, floorServer } from "../../bench/targets.ts";
import type { Scenario } from "../../check/load/scenarios.ts";

const SCENARIO: Scenario = {
  key: "idle",
  name: "idle-50",
  description: "50 clients log in and hold",
  options: { clients: 50, hold: 0.3, durationLimit: 15 },
};

for (
  const [label, spec] of [["wirechat", defaultServers().wirechat], [
    "floor",
    floorServer(),
  ]] as const
) {
  Deno.test(`bench's idle hold relays nothing on ${label}, then times a storm that relays the rounds`, async () => {
    const server = new ServerGroup(label, [await ServerProcess.start(spec)]);
    try {
      const run = await measureIdle(server, SCENARIO);
      assert.ok(run.result.ok, run.result.stopReason);
      assert.equal(run.result.mode, "hold");
      // Every server's memory is measured the same way: no login round relayed.
      assert.equal(run.result.syncRounds, 0);
      assert.ok(run.relayLoginS !== undefined && run.relayLoginS > 0, `${run.relayLoginS}`);
    } finally {
      await server.stop();
    }
  });
}
