import assert from "node:assert/strict";
import { parseCodecBenchJson, renderCodecTable } from "../../bench/codec_report.ts";
import type { LoadResult } from "../../check/load/load.ts";
import {
  describeRun,
  formatBytesRate,
  formatMicros,
  formatRate,
  formatSeconds,
  loginSeconds,
  markdownTable,
  noiseNotes,
  renderAboveFloor,
  renderDetails,
  renderSummary,
  type RunMeasurement,
  type ServerMeasurements,
  wrong,
} from "../../bench/report.ts";
import { parseServerSpec } from "../../bench/server_process.ts";

function result(overrides: Partial<LoadResult> = {}): LoadResult {
  return {
    mode: "load",
    clients: 100,
    senders: 10,
    size: 64,
    window: 16,
    messagesPerSender: 2000,
    messagesSent: 20000,
    deliveriesExpected: 2_000_000,
    deliveriesReceived: 2_000_000,
    lost: 0,
    orderViolations: 0,
    invalidFrames: 0,
    disconnects: 0,
    connectFailures: 0,
    completed: true,
    stopReason: "done",
    ok: true,
    elapsedS: 1,
    messagesPerS: 20000,
    deliveriesPerS: 2_000_000,
    latencyUs: { p50: 100, p90: 200, p99: 1500, max: 3000 },
    latencySamples: 2_000_000,
    connectS: 0.5,
    tcpConnectS: 0.25,
    syncRounds: 3,
    cpuS: 1,
    cpuUtil: 1,
    perClient: { min: 0, avg: 0, max: 0 },
    ...overrides,
  };
}

function run(name: string, overrides: Partial<LoadResult>, extra: Partial<RunMeasurement> = {}) {
  const r = result(overrides);
  return {
    name,
    result: r,
    runs: 1,
    minRate: r.deliveriesPerS,
    maxRate: r.deliveriesPerS,
    serverCpuS: 0.5,
    wallS: 1,
    ...extra,
  };
}

function server(label: string, scale: number): ServerMeasurements {
  return {
    label,
    peakRssKiB: 100_000,
    runs: {
      idle: run("idle-5000", { mode: "hold", clients: 5000, connectS: 0.4 * scale }, {
        rssStartKiB: 40_000,
        rssHoldKiB: 40_000 + 5000 * scale,
      }),
      "fanout-100": run("fanout-100", { deliveriesPerS: 4_000_000 / scale }),
      "fanout-1000": run("fanout-1000", {
        deliveriesPerS: 3_000_000 / scale,
        latencyUs: { p50: 5000 * scale, p90: 0, p99: 20_000 * scale, max: 0 },
      }),
      pingpong: run("pingpong", {
        latencyUs: { p50: 100 * scale, p90: 0, p99: 300 * scale, max: 0 },
      }),
    },
  };
}

function rowOf(table: string, title: string): string[] {
  const line = table.split("\n").find((row) => row.startsWith(`| ${title} |`));
  assert.ok(line !== undefined, `no row "${title}" in:\n${table}`);
  return line.slice(2, -2).split(" | ");
}

Deno.test("formatRate, formatBytesRate and formatMicros pick their units", () => {
  assert.equal(formatRate(11_230_000), "11.23M");
  assert.equal(formatRate(125_240), "125.2k");
  assert.equal(formatRate(950.4), "950");
  assert.equal(formatBytesRate(1_234_000_000), "1.23 GB/s");
  assert.equal(formatBytesRate(45_600_000), "45.6 MB/s");
  assert.equal(formatBytesRate(4_500), "4.5 kB/s");
  assert.equal(formatMicros(106.4), "106 µs");
  assert.equal(formatMicros(23_800), "23.8 ms");
});

Deno.test("markdownTable escapes pipes and aligns the separator with the header", () => {
  assert.equal(
    markdownTable(["a", "b", "c"], [["1", "2", "3|4"]]),
    "| a | b | c |\n|---|---|---|\n| 1 | 2 | 3\\|4 |",
  );
});

Deno.test("renderSummary puts each server in a column and divides by the baseline", () => {
  const table = renderSummary([server("wirechat", 1), server("naive", 4)], "naive");
  assert.deepEqual(rowOf(table, "metric"), ["metric", "wirechat", "naive", "wirechat / naive"]);
  assert.deepEqual(rowOf(table, "fanout-100 deliveries/s"), [
    "fanout-100 deliveries/s",
    "4.00M",
    "1.00M",
    "4.00x",
  ]);
  assert.deepEqual(rowOf(table, "fanout-1000 latency p99 (under load)"), [
    "fanout-1000 latency p99 (under load)",
    "20.0 ms",
    "80.0 ms",
    "0.25x",
  ]);
  assert.deepEqual(rowOf(table, "pingpong latency p50"), [
    "pingpong latency p50",
    "100 µs",
    "400 µs",
    "0.25x",
  ]);
  assert.deepEqual(rowOf(table, "idle-5000 server KiB per idle connection"), [
    "idle-5000 server KiB per idle connection",
    "1.00",
    "4.00",
    "0.25x",
  ]);
  assert.deepEqual(rowOf(table, "idle-5000 login s (connect storm)"), [
    "idle-5000 login s (connect storm)",
    "0.40",
    "1.60",
    "0.25x",
  ]);
});

Deno.test("renderSummary marks runs that were cut or not clean, and servers that failed", () => {
  const slow = server("naive", 1);
  slow.runs["fanout-100"] = run("fanout-100", {
    completed: false,
    ok: false,
    stopReason: "duration-limit",
    deliveriesReceived: 500_000,
    deliveriesPerS: 25_000,
  });
  slow.runs.pingpong = run("pingpong", { ok: false, orderViolations: 2 });
  const broken: ServerMeasurements = {
    label: "broken",
    failure: "did not start",
    runs: {},
    peakRssKiB: null,
  };
  const table = renderSummary([broken, slow], "naive");
  assert.deepEqual(rowOf(table, "fanout-100 deliveries/s"), [
    "fanout-100 deliveries/s",
    "failed: did not start",
    "25.0k (cut: duration-limit, 25% delivered)",
    "n/a",
  ]);
  assert.match(rowOf(table, "pingpong latency p50")[2]!, /disorder 2/);
});

Deno.test("renderSummary without its baseline shows no ratio column", () => {
  const table = renderSummary([server("wirechat", 1)], "naive");
  assert.deepEqual(rowOf(table, "metric"), ["metric", "wirechat"]);
});

Deno.test("renderDetails lists every scenario of every server", () => {
  const table = renderDetails([server("wirechat", 1), server("naive", 2)]);
  const lines = table.split("\n");
  assert.equal(lines.length, 2 + 2 * 4);
  assert.match(
    table,
    /\| wirechat \| fanout-1000 \| done \| 1 \| 1\.00 \| 3\.00M \| 5\.0 ms \| 20\.0 ms \|/,
  );
  assert.match(table, /\| naive \| fanout-1000 \| done \| 1 \| 1\.00 \| 1\.50M \|/);
  assert.match(table, /\| naive \| idle-5000 \| done \|/);
});

Deno.test("parseCodecBenchJson derives frames/s, bytes/s and the ratio to the baseline", () => {
  const json = JSON.stringify({
    benches: [
      {
        group: "client",
        name: "naive 64 B [frames=100 bytes=8500]",
        baseline: true,
        results: [{ ok: { avg: 200_000 } }],
      },
      {
        group: "client",
        name: "ClientDecoder 64 B [frames=100 bytes=8500]",
        results: [{ ok: { avg: 50_000 } }],
      },
      { group: "x", name: "no suffix", results: [{ ok: { avg: 10 } }] },
      { group: "x", name: "failed [frames=1 bytes=1]", results: [{ failed: "boom" }] },
      { group: "y", name: "alone [frames=1 bytes=1]", results: [{ ok: { avg: 1000 } }] },
    ],
  });
  const rows = parseCodecBenchJson(json);
  assert.deepEqual(rows.map((row) => [row.name, row.baseline, row.speedup]), [
    ["naive 64 B", true, 1],
    ["ClientDecoder 64 B", false, 4],
    ["alone", false, undefined],
  ]);
  assert.deepEqual(rows[1], {
    group: "client",
    name: "ClientDecoder 64 B",
    nanoseconds: 50_000,
    framesPerS: 2_000_000,
    bytesPerS: 170_000_000,
    baseline: false,
    speedup: 4,
  });
  const lines = renderCodecTable(rows).split("\n");
  assert.equal(lines[2], "| naive 64 B | 200.0 µs | 500.0k | 42.5 MB/s | baseline |");
  assert.equal(lines[3], "| ClientDecoder 64 B | 50.0 µs | 2.00M | 170.0 MB/s | 4.00x |");
  assert.equal(lines[4], "| alone | 1.0 µs | 1.00M | 1.0 MB/s |  |");
});

Deno.test("parseServerSpec runs the command through sh with exec", () => {
  assert.deepEqual(parseServerSpec("cchat=./cchat --port {port}"), {
    label: "cchat",
    command: ["sh", "-c", "exec ./cchat --port {port}"],
  });
  assert.throws(() => parseServerSpec("no label"), SyntaxError);
  assert.throws(() => parseServerSpec("=cmd"), SyntaxError);
  assert.throws(() => parseServerSpec("label="), SyntaxError);
});

Deno.test("formatSeconds says seconds below a minute, minutes and seconds above", () => {
  assert.equal(formatSeconds(0.24), "0.2 s");
  assert.equal(formatSeconds(41.04), "41.0 s");
  assert.equal(formatSeconds(72.4), "1 min 12 s");
  assert.equal(formatSeconds(59.6), "1 min 0 s");
});

Deno.test("describeRun gives a load its rate and latency in readable units", () => {
  const line = describeRun(run("fanout-1000", {
    deliveriesPerS: 3_850_000,
    latencyUs: { p50: 472_063.5, p90: 0, p99: 1_500_000, max: 0 },
  }, { runs: 3 }));
  assert.equal(
    line,
    "fanout-1000: done, 3.85M deliveries/s, p50 472.1 ms, p99 1500.0 ms (median of 3 runs)",
  );
  assert.ok(!line.includes("µs"));
});

Deno.test("describeRun gives an idle hold its memory and login time, not 0 deliveries/s", () => {
  const line = describeRun(
    run("idle-1000", { mode: "hold", clients: 1000, connectS: 0.35, deliveriesPerS: 0 }, {
      rssStartKiB: 40_000,
      rssHoldKiB: 48_500,
    }),
  );
  assert.equal(
    line,
    "idle-1000: done, 1000 clients logged in in 0.35 s, 8.50 KiB per idle connection",
  );
  assert.ok(!line.includes("deliveries/s"));
});

Deno.test("describeRun gives the login time of a storm that relayed the rounds beside the hold's", () => {
  const line = describeRun(
    run("idle-1000", { mode: "hold", clients: 1000, connectS: 0.12, deliveriesPerS: 0 }, {
      relayLoginS: 0.4,
    }),
  );
  assert.equal(
    line,
    "idle-1000: done, 1000 clients logged in in 0.12 s (0.40 s relaying the rounds)",
  );
});

Deno.test("describeRun says why a run was not clean", () => {
  const line = describeRun(run("fanout-100", {
    completed: false,
    ok: false,
    stopReason: "stall",
    deliveriesReceived: 500_000,
  }));
  assert.match(line, /^fanout-100: stall \(cut: stall, 25% delivered\), /);
});

Deno.test("noiseNotes names the runs too short or too thin to trust", () => {
  const quick = server("wirechat", 1);
  quick.runs["fanout-100"] = run("fanout-100", { elapsedS: 0.3 });
  quick.runs.pingpong = run("pingpong", { elapsedS: 2, latencySamples: 1000 });
  assert.deepEqual(noiseNotes([quick]), [
    "wirechat fanout-100: ran 0.3 s; noise, not a measurement",
    "wirechat pingpong: 1000 latency samples; noise, not a measurement",
  ]);
  assert.deepEqual(noiseNotes([server("wirechat", 1)]), []);
});

Deno.test("renderAboveFloor reports each server as floor + x, and rates as a multiple", () => {
  const table = renderAboveFloor([server("floor", 1), server("wirechat", 1.5)], "floor")!;
  assert.deepEqual(rowOf(table, "metric"), ["metric", "floor", "wirechat"]);
  assert.deepEqual(rowOf(table, "idle-5000 server KiB per idle connection"), [
    "idle-5000 server KiB per idle connection",
    "1.00",
    "1.50 = floor + 0.50",
  ]);
  assert.deepEqual(rowOf(table, "pingpong latency p50"), [
    "pingpong latency p50",
    "100 µs",
    "150 µs = floor + 50 µs",
  ]);
  assert.deepEqual(rowOf(table, "fanout-100 deliveries/s"), [
    "fanout-100 deliveries/s",
    "4.00M",
    "0.67x floor",
  ]);
  const below = renderAboveFloor([server("floor", 1), server("cchat", 0.5)], "floor")!;
  assert.equal(rowOf(below, "pingpong latency p50")[2], "50 µs = floor - 50 µs");
  assert.equal(renderAboveFloor([server("wirechat", 1)], "floor"), undefined);
});

Deno.test("renderAboveFloor takes the floor's login time from its storm that relays the rounds", () => {
  const floor = server("floor", 1); // its hold's login: 0.40 s, opening connections only
  floor.runs.idle!.relayLoginS = 0.9;
  const table = renderAboveFloor([floor, server("wirechat", 2.5)], "floor")!;
  assert.deepEqual(rowOf(table, "idle-5000 login s (connect storm)"), [
    "idle-5000 login s (connect storm)",
    "0.90",
    "1.00 = floor + 0.10",
  ]);
  assert.equal(loginSeconds(server("wirechat", 1)), 0.4);
});

Deno.test("renderSummary leaves out the metrics no server measured", () => {
  const tls = server("wirechat-tls", 1);
  delete tls.runs.idle;
  const table = renderSummary([tls], "wirechat");
  assert.ok(!table.includes("idle-5000"), table);
  assert.ok(!table.includes("idle |"), table);
  assert.equal(rowOf(table, "fanout-100 deliveries/s")[1], "4.00M");
  const beside = renderSummary([server("wirechat", 1), tls], "wirechat");
  assert.deepEqual(rowOf(beside, "idle-5000 login s (connect storm)").slice(1), [
    "0.40",
    "n/a",
    "n/a",
  ]);
});

Deno.test("wrong blames the server for a loss, a reordering, a disconnect or a stall, not a cut", () => {
  assert.equal(wrong(result()), false);
  assert.equal(wrong(result({ completed: false, lost: 5, stopReason: "duration-limit" })), false);
  for (
    const fault of [
      { lost: 1 },
      { orderViolations: 1 },
      { invalidFrames: 1 },
      { disconnects: 1 },
      { connectFailures: 1 },
      { completed: false, stopReason: "stall" },
    ] as Partial<LoadResult>[]
  ) {
    assert.equal(wrong(result(fault)), true, JSON.stringify(fault));
  }
});
