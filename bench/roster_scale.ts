/**
 * The cost of presence across a cluster at scale: two rosters (as two nodes keep
 * them) on one nats-server, 5,000 members each; CPU per second at rest, and how
 * long one join takes to show on the other node.
 *
 * deno run --allow-all bench/roster_scale.ts [--members 5000] [--rest 10]
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import { NatsPresence } from "../server/cluster/nats/nats_presence.ts";
import type { RosterMember } from "../server/ops/presence.ts";
import { parseFlags } from "../cli/flags.ts";
import { cpuUsage } from "node:process";
import { findNatsServer } from "./targets.ts";

const { values } = parseFlags(
  Deno.args,
  {
    members: { type: "string" },
    rest: { type: "string" },
  } as const,
);
const perNode = Number(values.members ?? 5000);
const restSeconds = Number(values.rest ?? 10);

const found = findNatsServer();
if (!("path" in found)) {
  console.error(`roster_scale: ${found.reason}`);
  Deno.exit(1);
}
const path = found.path;
const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = probe.addr.port;
probe.close();
const store = await Deno.makeTempDir({ prefix: "wirechat_roster_" });
const nats = new Deno.Command(path, {
  args: ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store],
  stdout: "null",
  stderr: "null",
}).spawn();
const url = `nats://127.0.0.1:${port}`;
for (let i = 0;; i++) {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    break;
  } catch {
    if (i > 100) throw new Error("nats-server did not start");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
await new Promise((resolve) => setTimeout(resolve, 300));

function members(node: string, count: number): RosterMember[] {
  return Array.from({ length: count }, (_, i) => ({ id: i + 1, name: `${node}-user-${i}` }));
}

const connA = await connect({ servers: url });
const connB = await connect({ servers: url });
const a = await NatsPresence.open({ connection: connA, room: "scale", gone: () => {} });
const b = await NatsPresence.open({ connection: connB, room: "scale", gone: () => {} });
const listA = members("a", perNode);
const listB = members("b", perNode);
a.update(listA);
b.update(listB);
const count = (roster: NatsPresence) => [...roster.others()].length;
while (count(a) < perNode || count(b) < perNode) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const cpuBefore = cpuUsage();
const natsBefore = await natsCpu(nats.pid);
await new Promise((resolve) => setTimeout(resolve, restSeconds * 1000));
const cpuAfter = cpuUsage();
const natsAfter = await natsCpu(nats.pid);
const ownMs = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / 1000;

// One join on A, timed until B lists it.
const joinedAt = performance.now();
a.update([...listA, { id: perNode + 1, name: "newcomer" }]);
while (![...b.others()].includes("newcomer")) {
  await new Promise((resolve) => setTimeout(resolve, 1));
}
const joinMs = performance.now() - joinedAt;

console.log(
  `| ${2 * perNode} members over 2 nodes | ${
    (ownMs / restSeconds / 2).toFixed(1)
  } ms/s per node | ` +
    `${((natsAfter - natsBefore) / restSeconds).toFixed(1)} ms/s | ${joinMs.toFixed(0)} ms |`,
);

await a.close();
await b.close();
await connA.close();
await connB.close();
nats.kill("SIGTERM");
await nats.status;
await Deno.remove(store, { recursive: true });

// The CPU time nats-server used so far, in milliseconds, from /proc.
async function natsCpu(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10;
}
