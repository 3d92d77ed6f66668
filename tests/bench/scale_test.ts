import assert from "node:assert/strict";
import { clientsPerNode, runScale, ScaleFailure, split } from "../../bench/scale_run.ts";
import { main, scaleMarkdown } from "../../bench/scale.ts";
import { findNatsServer, natsTest } from "../support/nats_server.ts";

Deno.test("split shares clients as evenly as can be, and clientsPerNode follows each process's i mod n", () => {
  assert.deepEqual(split(10, 3), [4, 3, 3]);
  assert.deepEqual(split(100_000, 6).reduce((a, b) => a + b), 100_000);
  assert.deepEqual(clientsPerNode([4, 3, 3], 2), [2 + 2 + 2, 2 + 1 + 1]);
  const perNode = clientsPerNode(split(100_000, 6), 6);
  assert.equal(perNode.reduce((a, b) => a + b), 100_000);
  assert.ok(Math.max(...perNode) - Math.min(...perNode) <= 6);
});

Deno.test("runScale holds clients of two load processes on one node and times one message to all", async () => {
  const lines: string[] = [];
  const figures = await runScale({
    label: "one node",
    nodes: 1,
    clients: 30,
    processes: 2,
    probes: 2,
    phaseTimeoutS: 60,
    settleS: 0,
    onProgress: (line) => lines.push(line),
  });
  assert.equal(figures.clients, 30);
  assert.equal(figures.maxClientsPerProcess, 15);
  assert.equal(figures.probesMs.length, 2);
  assert.ok(figures.probesMs.every((ms) => ms >= 0));
  assert.equal(figures.nodeMemory.length, 1);
  assert.equal(figures.nodeMemory[0]!.clients, 31); // the leader too
  // Reading /proc needs --allow-all, which tests do not have: 0 then.
  assert.equal(typeof figures.nodeMemory[0]!.afterKiB, "number");
  assert.equal(figures.natsMemory, undefined);
  assert.equal(figures.loadResults.length, 2);
  assert.ok(figures.loadResults.every((result) => result.ok && result.clients === 15));
  const markdown = scaleMarkdown(figures);
  assert.match(markdown, /^### one node$/m);
  assert.match(markdown, /\| one message to all 30 \|/);
  assert.match(markdown, /\| wirechat \| 31 \|/);
  assert.ok(lines.some((line) => line.includes("probe 2")), lines.join("\n"));
});

Deno.test("runScale interrupted fails as interrupted, and stops what it started", async () => {
  // An interrupted run stops at its next check, with every process stopped.
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    () =>
      runScale({
        label: "one node",
        nodes: 1,
        clients: 4,
        processes: 1,
        probes: 1,
        phaseTimeoutS: 30,
        settleS: 0,
        signal: controller.signal,
      }),
    (error) => error instanceof ScaleFailure && error.message.startsWith("interrupted"),
  );
});

natsTest("runScale holds clients over a cluster of two nodes and nats-server", async () => {
  const figures = await runScale({
    label: "cluster",
    nodes: 2,
    clients: 24,
    processes: 2,
    probes: 1,
    phaseTimeoutS: 60,
    settleS: 0,
    natsServer: findNatsServer().path!,
  });
  assert.deepEqual(figures.nodeMemory.map((node) => node.clients), [13, 12]);
  assert.equal(figures.natsMemory?.label, "nats-server");
  assert.equal(figures.probesMs.length, 1);
  assert.match(scaleMarkdown(figures), /\| all nodes \| 25 \|/);
});

Deno.test("bench:scale: a misuse is one line and status 1; --help is status 0", async () => {
  const errors: string[] = [];
  const logs: string[] = [];
  const { error, log } = console;
  console.error = (line: string) => errors.push(line);
  console.log = (line: string) => logs.push(line);
  try {
    assert.equal(await main(["--nodes", "1"]), 1);
    assert.equal(await main(["--run", "all"]), 1);
    assert.equal(await main(["--cluster-processes", "5"]), 1);
    assert.equal(await main(["--help"]), 0);
  } finally {
    console.error = error;
    console.log = log;
  }
  assert.deepEqual(errors, [
    'bench:scale: invalid value for --nodes: "1" (expected an integer from 2 to 32) (try --help)',
    'bench:scale: invalid value for --run: "all" (expected node, cluster or both) (try --help)',
    "bench:scale: --cluster-processes 5 is too few: 20000 clients each, past 19500 (a process has 20,000 descriptors) (try --help)",
  ]);
  assert.match(logs[0]!, /^Holds many idle clients/);
});

Deno.test("runScale keeps each node's and each load process's whole log in its log directory", async () => {
  const logDir = await Deno.makeTempDir({ prefix: "wirechat_scale_test_" });
  try {
    await runScale({
      label: "one node",
      nodes: 1,
      clients: 4,
      processes: 2,
      probes: 1,
      phaseTimeoutS: 60,
      settleS: 0,
      logDir,
      loginTimeoutS: 30,
      serverFlags: ["--log-level", "info"],
    });
    const node = await Deno.readTextFile(`${logDir}/wirechat.log`);
    assert.match(node, /listening on 127\.0\.0\.1:\d+/);
    assert.match(node, /logged in as "u3"/);
    for (const p of [1, 2]) {
      assert.match(await Deno.readTextFile(`${logDir}/load${p}.log`), /load: connecting 2 clients/);
    }
  } finally {
    await Deno.remove(logDir, { recursive: true });
  }
});
