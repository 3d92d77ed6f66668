#!/usr/bin/env -S deno run --allow-all
/**
 * `deno task bench`: the codec micro-benchmarks, then the load scenarios against
 * wirechat's server and the naive baseline (`naive_server.ts`) in the same run,
 * printed as Markdown tables.
 *
 * Each server runs as a child process on 127.0.0.1; the load generator
 * (`load.ts`) runs in this process. Requires `--allow-all`: it runs programs, and
 * Deno lets only a fully trusted program read another process's `/proc` files,
 * where the server's memory and CPU time are sampled. Scenarios, in order, on one server instance:
 *
 * | scenario    | load                                                         | reported                                  |
 * | ----------- | ------------------------------------------------------------ | ----------------------------------------- |
 * | idle-5000   | 5,000 clients log in at once and hold 3 s                    | server KiB per idle connection; login s   |
 * | fanout-100  | 100 clients, 10 senders × 2,000 messages, 64 B, window 16    | deliveries/s                              |
 * | fanout-1000 | 1,000 clients, 4 senders × 500 messages, 64 B, window 8      | deliveries/s; latency p50/p99 under load  |
 * | pingpong    | 10 clients, 1 sender × 5,000 messages, 64 B, window 1        | latency p50/p99                           |
 *
 * ```sh
 * deno task bench                     # everything
 * deno task bench --quick             # 5x fewer messages, 1,000 idle clients
 * deno task bench:load --server 'cchat=/path/to/cchat --host 127.0.0.1 --port {port}' --baseline cchat
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type CodecThroughput, renderCodecTable, runCodecBenchmarks } from "./codec_report.ts";
import { type LoadResult, runLoad } from "./load.ts";
import {
  renderDetails,
  renderSummary,
  type RunMeasurement,
  type ServerMeasurements,
} from "./report.ts";
import { type Scenario, scenarioSet } from "./scenarios.ts";
import { parseServerSpec, ServerProcess, type ServerSpec } from "./server_process.ts";

const USAGE = `Runs wirechat's benchmarks and prints Markdown tables.

USAGE:
  deno run --allow-all bench/run.ts [options]

OPTIONS:
  --quick               a short run: 5x fewer messages, 1,000 idle clients held 1 s
  --repeat N            repeat each load scenario while its runs are clean and took
                        under 5 s, up to N runs, and keep the median (3; --quick: 1)
  --server LABEL=CMD    also measure this server; CMD is run with sh -c "exec CMD";
                        {port} in CMD becomes a free port, else the port is read from
                        its "listening on HOST:PORT" log line (repeatable; the label
                        wirechat replaces the default wirechat command)
  --baseline LABEL      the server the ratio columns divide by (naive)
  --no-codec            skip the codec micro-benchmarks
  --no-load             skip the load scenarios
  --json                print the raw measurements as JSON instead of tables
  -h, --help            print this help

Exit status: 0, 1 for a misuse, 2 when a server lost, reordered, garbled or
dropped anything, stalled, or did not start.

Servers measured by default: wirechat (server.ts, as deno task start runs it) and naive
(bench/naive_server.ts, the baseline).`;

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const SETTLE_MS = 300;
const REPEAT_WINDOW_MS = 5000;
const RSS_SAMPLE_MS = 250;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function progress(line: string): void {
  console.error(`bench: ${line}`);
}

/** The servers measured unless told otherwise: wirechat's and the baseline. */
export function defaultServers(): { wirechat: ServerSpec; naive: ServerSpec } {
  const deno = Deno.execPath();
  const local = ["--host", "127.0.0.1", "--port", "0"];
  return {
    wirechat: {
      label: "wirechat",
      // As `deno task start` runs it.
      command: [
        deno,
        "run",
        "--allow-net",
        "--v8-flags=--max-semi-space-size=1",
        "server.ts",
        ...local,
      ],
      cwd: ROOT,
    },
    naive: {
      label: "naive",
      command: [deno, "run", "--allow-net", "bench/naive_server.ts", ...local],
      cwd: ROOT,
    },
  };
}

/** Runs a load scenario up to `repeat` times and keeps the median run. */
async function measureLoad(
  server: ServerProcess,
  scenario: Scenario,
  repeat: number,
): Promise<RunMeasurement> {
  const results: LoadResult[] = [];
  const cpuStart = server.cpuS();
  const start = performance.now();
  for (let i = 0; i < repeat; i++) {
    if (i > 0) await delay(200);
    const result = await runLoad({ ...scenario.options, port: server.port });
    results.push(result);
    if (!result.ok || performance.now() - start > REPEAT_WINDOW_MS) break;
  }
  const wallS = (performance.now() - start) / 1000;
  const cpuEnd = server.cpuS();
  results.sort((a, b) => a.deliveriesPerS - b.deliveriesPerS);
  return {
    name: scenario.name,
    result: results[Math.ceil(results.length / 2) - 1]!,
    runs: results.length,
    minRate: results[0]!.deliveriesPerS,
    maxRate: results.at(-1)!.deliveriesPerS,
    serverCpuS: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart,
    wallS,
  };
}

/** Holds idle clients and samples the server's memory while they idle. */
async function measureIdle(server: ServerProcess, scenario: Scenario): Promise<RunMeasurement> {
  const rssStartKiB = server.rssKiB();
  let rssHoldKiB: number | null = null;
  const sample = () => {
    const rss = server.rssKiB();
    if (rss !== null && (rssHoldKiB === null || rss > rssHoldKiB)) rssHoldKiB = rss;
  };
  let sampler: ReturnType<typeof setInterval> | undefined;
  const cpuStart = server.cpuS();
  const start = performance.now();
  try {
    const result = await runLoad({
      ...scenario.options,
      port: server.port,
      onHold: () => {
        sample();
        sampler = setInterval(sample, RSS_SAMPLE_MS);
      },
    });
    const cpuEnd = server.cpuS();
    return {
      name: scenario.name,
      result,
      runs: 1,
      minRate: 0,
      maxRate: 0,
      serverCpuS: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart,
      wallS: (performance.now() - start) / 1000,
      rssStartKiB,
      rssHoldKiB,
    };
  } finally {
    clearInterval(sampler);
  }
}

async function measureServer(
  spec: ServerSpec,
  scenarios: readonly Scenario[],
  repeat: number,
): Promise<ServerMeasurements> {
  progress(`[${spec.label}] starting: ${spec.command.join(" ")}`);
  let server: ServerProcess;
  try {
    server = await ServerProcess.start(spec);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress(message);
    return { label: spec.label, failure: "did not start", runs: {}, peakRssKiB: null };
  }
  const measurements: ServerMeasurements = { label: spec.label, runs: {}, peakRssKiB: null };
  try {
    await delay(SETTLE_MS);
    for (const scenario of scenarios) {
      progress(`[${spec.label}] ${scenario.name}: ${scenario.description}`);
      const run = scenario.key === "idle"
        ? await measureIdle(server, scenario)
        : await measureLoad(server, scenario, repeat);
      measurements.runs[scenario.key] = run;
      const r = run.result;
      progress(
        `[${spec.label}] ${scenario.name}: ${r.stopReason}${r.ok ? "" : " (not clean)"}, ${
          Math.round(r.deliveriesPerS)
        } deliveries/s, p50 ${r.latencyUs.p50} µs, p99 ${r.latencyUs.p99} µs, login ${
          r.connectS.toFixed(3)
        } s`,
      );
      if (!server.running) {
        measurements.failure = `exited during ${scenario.name}`;
        break;
      }
      await delay(scenario.key === "idle" ? 1000 : 500);
    }
    measurements.peakRssKiB = server.peakRssKiB();
  } finally {
    await server.stop();
  }
  return measurements;
}

/**
 * Whether a run shows a server at fault: something lost, reordered, invalid or
 * dropped. A run cut by its duration limit is only slow.
 */
function wrong(result: LoadResult): boolean {
  return result.orderViolations > 0 || result.invalidFrames > 0 || result.disconnects > 0 ||
    result.connectFailures > 0 || result.stopReason === "stall" ||
    (result.completed && result.lost > 0);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      strict: true,
      options: {
        quick: { type: "boolean", default: false },
        repeat: { type: "string" },
        server: { type: "string", multiple: true, default: [] },
        baseline: { type: "string", default: "naive" },
        "no-codec": { type: "boolean", default: false },
        "no-load": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : error}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const repeat = Number(values.repeat ?? (values.quick ? 1 : 3));
  let extra: ServerSpec[];
  try {
    if (!Number.isInteger(repeat) || repeat < 1) {
      throw new RangeError(`Invalid option --repeat: "${values.repeat}" is not a positive integer`);
    }
    extra = values.server.map(parseServerSpec);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : error}\n\n${USAGE}`);
    return 1;
  }

  let codec: CodecThroughput[] = [];
  const servers: ServerMeasurements[] = [];
  if (!values["no-codec"]) {
    progress("codec micro-benchmarks (deno bench)");
    codec = await runCodecBenchmarks();
    if (!values.json) console.log(`## Codec\n\n${renderCodecTable(codec)}\n`);
  }
  if (!values["no-load"]) {
    const defaults = defaultServers();
    const specs: ServerSpec[] = [];
    if (!extra.some((spec) => spec.label === "wirechat")) specs.push(defaults.wirechat);
    specs.push(...extra);
    if (!extra.some((spec) => spec.label === "naive")) specs.push(defaults.naive);
    const scenarios = scenarioSet(values.quick);
    for (const spec of specs) servers.push(await measureServer(spec, scenarios, repeat));
    if (!values.json) {
      console.log(`## Load${values.quick ? " (quick)" : ""}\n`);
      console.log(renderSummary(servers, values.baseline));
      console.log(
        `\nRatios are plain quotients against ${values.baseline}: above 1 is better for ` +
          "deliveries/s, worse for latency, memory and login time.\n",
      );
      console.log(renderDetails(servers));
    }
  }
  if (values.json) console.log(JSON.stringify({ codec, servers }, null, 2));
  const broken = servers.some((server) =>
    server.failure !== undefined || Object.values(server.runs).some((run) => wrong(run.result))
  );
  return broken ? 2 : 0;
}

if (import.meta.main) Deno.exit(await main());
