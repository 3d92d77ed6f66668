import assert from "node:assert/strict";
import { ChatPeer } from "../support/chat_peer.ts";
import { startServer } from "../support/test_server.ts";
import { projectFile, runDeno } from "../support/process.ts";
import { parseServerArgs } from "../../server/cli.ts";

const METRICS = { hostname: "127.0.0.1", port: 0 };

/** Parses Prometheus text: every sample by `name{labels}`, each with its HELP and TYPE. */
function parsePrometheus(text: string): Map<string, number> {
  assert.ok(text.endsWith("\n"));
  const samples = new Map<string, number>();
  const help = new Set<string>();
  const type = new Map<string, string>();
  for (const line of text.trimEnd().split("\n")) {
    const comment = /^# (HELP|TYPE) (\w+) (.+)$/.exec(line);
    if (comment !== null) {
      if (comment[1] === "HELP") help.add(comment[2]!);
      else type.set(comment[2]!, comment[3]!);
      continue;
    }
    const sample = /^(\w+)(\{\w+="[^"\\\n]*"(?:,\w+="[^"\\\n]*")*\})? (-?\d+(?:\.\d+)?)$/.exec(
      line,
    );
    assert.ok(sample !== null, `not a sample: ${line}`);
    const name = sample[1]!;
    assert.ok(name.startsWith("wirechat_"), name);
    assert.ok(help.has(name), `no HELP before ${name}`);
    assert.match(type.get(name) ?? "", /^(counter|gauge)$/);
    assert.equal(name.endsWith("_total"), type.get(name) === "counter", name);
    samples.set(name + (sample[2] ?? ""), Number(sample[3]));
  }
  return samples;
}

async function get(addr: Deno.NetAddr, path: string): Promise<Response> {
  return await fetch(`http://${addr.hostname}:${addr.port}${path}`);
}

Deno.test("/metrics reports, in Prometheus text, what the clients did", async () => {
  await using test = startServer({ metrics: METRICS, uniqueNames: true });
  const addr = test.server.addrs.metrics!;
  assert.equal(addr.hostname, "127.0.0.1");
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await alice.sendString("hi"); // 4 + 2 bytes
  await bob.waitForText("hi");
  await alice.waitForText("hi");
  const twin = await ChatPeer.login(test.port, "ALICE"); // refused: name taken
  await twin.waitForEnd();
  await twin.close();
  await test.logs.waitFor(/disconnected: login refused/);

  const response = await get(addr, "/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const samples = parsePrometheus(text);
  // The scrape's own connection counts too, as every connection of every door.
  assert.equal(samples.get("wirechat_connections_open"), 3);
  assert.equal(samples.get("wirechat_logged_in"), 2);
  assert.equal(samples.get("wirechat_pending_logins"), 1);
  assert.equal(samples.get("wirechat_connections_total"), 4);
  assert.equal(samples.get('wirechat_refused_total{reason="name taken"}'), 1);
  assert.equal(samples.get('wirechat_refused_total{reason="server full"}'), 0);
  assert.equal(samples.get("wirechat_messages_total"), 1);
  assert.equal(samples.get("wirechat_deliveries_total"), 2);
  // In: the logins "alice", "bob", "ALICE" and the message "hi", each with 4 size bytes.
  assert.equal(samples.get("wirechat_bytes_in_total"), 9 + 7 + 9 + 6);
  // Out: "hi" from alice to two (8 + 4 + 5 + 4 + 2), and the refusal to the twin.
  const refusal = 8 + 5 + 'the name "ALICE" is taken'.length + 4;
  assert.equal(samples.get("wirechat_bytes_out_total"), 2 * 23 + refusal);
  assert.equal(samples.get("wirechat_slow_consumer_drops_total"), 0);
  assert.equal(samples.get("wirechat_history_size"), 0);
  assert.equal(samples.get("wirechat_backplane_connected"), 1);
  assert.equal(samples.get("wirechat_log_queue_bytes"), 0); // the test's own log function
  assert.ok(samples.has("wirechat_broadcast_log_bytes"));
  // Counters only: no user names, no texts.
  assert.doesNotMatch(text, /alice|ALICE|bob|\bhi\b/);
  const missing = await get(addr, "/nothing");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  for (const peer of [alice, bob]) await peer.close();
});

Deno.test("/healthz says 200 while accepting and 503 during shutdown", async () => {
  // A client that never reads holds the shutdown in its grace period (half a second).
  await using test = startServer({
    metrics: METRICS,
    logLevel: "info",
    maxMessageSize: 1 << 20,
    maxQueueBytes: 1 << 30,
  });
  const addr = test.server.addrs.metrics!;
  const ok = await get(addr, "/healthz");
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "ok\n");
  const sloth = await ChatPeer.login(test.port, "sloth"); // never reads its echoes
  await test.logs.waitFor(/logged in as "sloth"/);
  const text = "x".repeat(1 << 20);
  for (let sent = 0; test.server.stats.logBytes < 4 << 20; sent++) {
    assert.ok(sent < 200, "the server never held data back");
    await sloth.sendString(text);
  }
  const stopping = test.server.shutdown();
  const during = await get(addr, "/healthz");
  assert.equal(during.status, 503);
  await during.body?.cancel();
  await stopping;
  await assert.rejects(get(addr, "/healthz"));
  await sloth.close();
});

Deno.test("--stats-interval logs the figures as a line", async () => {
  await using test = startServer({ statsInterval: 0.02 });
  const alice = await test.join("alice");
  await alice.sendString("hi");
  await alice.waitForText("hi");
  const [line] = await test.logs.waitFor(/stats: 1 open, 1 logged in, .* 1 message, /);
  assert.doesNotMatch(line!, /alice|\bhi\b/);
  await alice.close();
});

Deno.test("no stats line without --stats-interval", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(test.logs.matching(/stats:/), []);
  await alice.close();
});

Deno.test("the command line takes --presence, --unique-names, --metrics and --stats-interval", () => {
  assert.deepEqual(
    parseServerArgs([
      "--presence",
      "--unique-names",
      "--metrics",
      "127.0.0.1:9100",
      "--stats-interval",
      "30",
    ]),
    {
      presence: true,
      uniqueNames: true,
      metrics: { hostname: "127.0.0.1", port: 9100 },
      statsInterval: 30,
    },
  );
  assert.deepEqual(parseServerArgs(["--metrics", "[::1]:0"]), {
    metrics: { hostname: "::1", port: 0 },
  });
  assert.deepEqual(parseServerArgs([]), {});
  for (const value of ["nohostport", ":9100", "host:", "host:70000", "a:b:1"]) {
    assert.throws(
      () => parseServerArgs(["--metrics", value]),
      new RegExp(`invalid value for --metrics: "${value.replace(/[[\]]/g, "\\$&")}"`),
    );
  }
  for (const value of ["-1", "soon", "86401"]) {
    assert.throws(
      () => parseServerArgs([`--stats-interval=${value}`]),
      /invalid value for --stats-interval/,
    );
  }
});

Deno.test("wirechat-server --metrics nohostport: one line that says to try --help, exit 1", async () => {
  const { code, stderr } = await runDeno([
    "run",
    projectFile("server.ts"),
    "--metrics",
    "nohostport",
  ]);
  assert.equal(code, 1);
  assert.equal(
    stderr,
    'wirechat-server: invalid value for --metrics: "nohostport" (expected a port or host:port, ' +
      "e.g. 9100 or 127.0.0.1:9100); try: wirechat-server --help\n",
  );
});
