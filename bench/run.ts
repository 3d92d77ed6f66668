#!/usr/bin/env -S deno run --allow-all
/**
 * `deno task bench`: the codec micro-benchmarks, then the load scenarios against
 * wirechat's server and the naive baseline (`naive_server.ts`) in the same run,
 * printed as Markdown tables.
 *
 * Each server runs as a child process on 127.0.0.1; the load generator
 * (`load.ts`) runs in this process. Beside one wirechat node and the baseline, the
 * same run measures wirechat over TLS and a cluster of two nodes joined by
 * `nats-server -js` (skipped, with the reason, when nats-server is missing) at both
 * fan-outs and ping-pong (see `targets.ts`). Requires `--allow-all`: it runs programs, and
 * Deno lets only a fully trusted program read another process's `/proc` files,
 * where the server's memory and CPU time are sampled. Every server is started first and
 * stays up; the idle hold runs on one after the other, and each load scenario one run of
 * each server in turn (`take_turns.ts`), so that the machine's drift over minutes moves
 * every server alike. Scenarios, in order, on one instance of each server:
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
 * deno task bench --quick             # 5x fewer messages, 1,000 idle clients, 1 run each
 * deno task bench:load --server 'cchat=/path/to/cchat --host 127.0.0.1 --port {port}' --baseline cchat
 * ```
 *
 * @module
 */

import { type CodecThroughput, renderCodecTable, runCodecBenchmarks } from "./codec_report.ts";
import { type LoadResult, runLoad } from "../check/load/load.ts";
import {
  describeRun,
  formatSeconds,
  noiseNotes,
  renderAboveFloor,
  renderDetails,
  renderSummary,
  type RunMeasurement,
  type ServerMeasurements,
  wrong,
} from "./report.ts";
import { type Scenario, scenarioSet } from "../check/load/scenarios.ts";
import { ServerGroup } from "./server_group.ts";
import { type Repeat, takeTurns } from "./take_turns.ts";
import { measureIdle } from "./idle_hold.ts";
import { parseServerSpec, ServerProcess, type ServerSpec } from "./server_process.ts";
import {
  defaultServers,
  findNatsServer,
  FLOOR,
  floorServer,
  startCluster,
  startTlsServer,
} from "./targets.ts";
import { errorMessage } from "../cli/error_message.ts";
import { integerValue, parseFlags } from "../cli/flags.ts";

export { defaultServers } from "./targets.ts";
export type { Repeat } from "./take_turns.ts";

const USAGE = `Runs wirechat's benchmarks and prints Markdown tables.

USAGE:
  deno run --allow-all bench/run.ts [options]

OPTIONS:
  --quick               a short run to check that everything works (about 50 s): 5x
                        fewer messages, 1,000 idle clients held 1 s; its figures are noise
  --repeat N            run each load scenario N times while its runs are clean, and
                        keep the median (without it: up to 3 runs within 5 s; --quick: 1)
  --server LABEL=CMD    also measure this server; CMD is run with sh -c "exec CMD";
                        {port} in CMD becomes a free port, else the port is read from
                        its "listening on HOST:PORT" log line (repeatable; the label
                        wirechat replaces the default wirechat command)
  --baseline LABEL      the server the ratio columns divide by (naive)
  --no-codec            skip the codec micro-benchmarks
  --no-floor            skip the runtime's floor (bench/floor_server.ts)
  --no-tls              skip wirechat over TLS
  --no-cluster          skip the two-node cluster (skipped anyway without nats-server)
  --no-load             skip the load scenarios
  --json                print the raw measurements as JSON instead of tables
  -h, --help            print this help

Exit status: 0, 1 for a misuse, 2 when a server lost, reordered, garbled or
dropped anything, stalled, or did not start.

Servers measured by default: wirechat (server.ts, as deno task start runs it), naive
(bench/naive_server.ts, the baseline), floor (bench/floor_server.ts, the runtime's
floor that wirechat is reported above), wirechat-tls (server.ts with a TLS door only, a
throwaway certificate) and wirechat-cluster-2 (two server.ts nodes and nats-server -js).`;

const SETTLE_MS = 300;
const REPEAT_WINDOW_MS = 5000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function progress(line: string): void {
  console.error(`bench: ${line}`);
}

/**
 * The runs `--repeat` asks for: N runs when given (while they are clean), else up to
 * 3 within 5 s (1 with `--quick`).
 */
export function repeatPlan(repeat: string | undefined, quick: boolean): Repeat {
  return repeat === undefined
    ? { runs: quick ? 1 : 3, windowMs: REPEAT_WINDOW_MS }
    : { runs: integerValue("repeat", repeat, 1, 100), windowMs: Infinity };
}

/** A chat to measure: its label and how to start it. */
interface Target {
  label: string;
  start(): Promise<ServerGroup>;
}

function single(spec: ServerSpec): Target {
  return {
    label: spec.label,
    start: async () => new ServerGroup(spec.label, [await ServerProcess.start(spec)]),
  };
}

// A server started, and what has been measured of it.
interface Measured {
  readonly server: ServerGroup;
  readonly measurements: ServerMeasurements;
}

// The median run of a server's results, with its CPU and wall time over all of them.
function summary(
  scenario: Scenario,
  results: LoadResult[],
  cpuS: number | null,
  wallS: number,
): RunMeasurement {
  const sorted = [...results].sort((a, b) => a.deliveriesPerS - b.deliveriesPerS);
  return {
    name: scenario.name,
    result: sorted[Math.ceil(sorted.length / 2) - 1]!,
    runs: sorted.length,
    minRate: sorted[0]!.deliveriesPerS,
    maxRate: sorted.at(-1)!.deliveriesPerS,
    serverCpuS: cpuS,
    wallS,
  };
}

// Runs a load scenario on every server, one run of each in turn (takeTurns), and
// keeps each server's median run.
async function measureLoad(
  takers: readonly Measured[],
  scenario: Scenario,
  repeat: Repeat,
): Promise<Map<Measured, RunMeasurement>> {
  // Each server's CPU seconds (null when unknown) and wall seconds over its runs.
  const spent = new Map(takers.map((taker) => [taker, { cpuS: 0 as number | null, wallS: 0 }]));
  let first = true;
  const results = await takeTurns(takers, repeat, async (taker) => {
    if (!first) await delay(200);
    first = false;
    const { server } = taker;
    const cpuStart = server.cpuS();
    const start = performance.now();
    const result = await runLoad({
      ...scenario.options,
      port: server.port,
      ...(server.tls === undefined ? {} : { tls: server.tls }),
    });
    const tally = spent.get(taker)!;
    tally.wallS += (performance.now() - start) / 1000;
    const cpuEnd = server.cpuS();
    tally.cpuS = tally.cpuS === null || cpuStart === null || cpuEnd === null
      ? null
      : tally.cpuS + cpuEnd - cpuStart;
    return result;
  });
  return new Map(takers.map((taker) => {
    const { cpuS, wallS } = spent.get(taker)!;
    return [taker, summary(scenario, results.get(taker)!, cpuS, wallS)];
  }));
}

// Starts every target, then measures each scenario on all of them: the idle hold
// one server after the other, a load scenario one run of each in turn.
async function measureServers(
  targets: readonly Target[],
  scenarios: readonly Scenario[],
  repeat: Repeat,
): Promise<ServerMeasurements[]> {
  const all: ServerMeasurements[] = [];
  const started: Measured[] = [];
  try {
    for (const target of targets) {
      const measurements: ServerMeasurements = { label: target.label, runs: {}, peakRssKiB: null };
      all.push(measurements);
      progress(`[${target.label}] starting`);
      try {
        started.push({ server: await target.start(), measurements });
      } catch (error) {
        progress(errorMessage(error));
        measurements.failure = "did not start";
      }
    }
    await delay(SETTLE_MS);
    for (const [i, scenario] of scenarios.entries()) {
      const takers = started.filter(({ server, measurements }) =>
        measurements.failure === undefined &&
        (server.scenarios === undefined || server.scenarios.includes(scenario.key))
      );
      if (takers.length === 0) continue;
      progress(`${i + 1}/${scenarios.length} ${scenario.name}: ${scenario.description}`);
      const runs = new Map<Measured, RunMeasurement>();
      if (scenario.key === "idle") {
        for (const taker of takers) {
          runs.set(taker, await measureIdle(taker.server, scenario));
          await delay(1000);
        }
      } else {
        for (const [taker, run] of await measureLoad(takers, scenario, repeat)) {
          runs.set(taker, run);
        }
        await delay(500);
      }
      for (const [{ server, measurements }, run] of runs) {
        measurements.runs[scenario.key] = run;
        progress(`[${measurements.label}] ${describeRun(run)} (${formatSeconds(run.wallS)})`);
        if (!server.running) measurements.failure = `exited during ${scenario.name}`;
      }
    }
  } finally {
    for (const { server, measurements } of started) {
      measurements.peakRssKiB = server.peakRssKiB();
      await server.stop();
    }
  }
  return all;
}

const FLAGS = {
  quick: { type: "boolean" },
  repeat: { type: "string" },
  server: { type: "string", multiple: true },
  baseline: { type: "string" },
  "no-codec": { type: "boolean" },
  "no-floor": { type: "boolean" },
  "no-load": { type: "boolean" },
  "no-tls": { type: "boolean" },
  "no-cluster": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

async function main(): Promise<number> {
  let repeat: Repeat;
  let extra: ServerSpec[];
  let flags;
  try {
    const { values, positionals } = parseFlags(Deno.args, FLAGS);
    if (positionals.length > 0) throw new RangeError(`unexpected argument "${positionals[0]}"`);
    flags = values;
    repeat = repeatPlan(values.repeat, values.quick === true);
    extra = (values.server ?? []).map(parseServerSpec);
  } catch (error) {
    console.error(`bench: ${errorMessage(error)}\n\n${USAGE}`);
    return 1;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const values = {
    quick: flags.quick === true,
    baseline: flags.baseline ?? "naive",
    "no-codec": flags["no-codec"] === true,
    "no-floor": flags["no-floor"] === true,
    "no-load": flags["no-load"] === true,
    "no-tls": flags["no-tls"] === true,
    "no-cluster": flags["no-cluster"] === true,
    json: flags.json === true,
  };

  const started = performance.now();
  let codec: CodecThroughput[] = [];
  const servers: ServerMeasurements[] = [];
  if (!values["no-codec"]) {
    progress("codec micro-benchmarks (deno bench)");
    codec = await runCodecBenchmarks();
    if (!values.json) console.log(`## Codec\n\n${renderCodecTable(codec)}\n`);
  }
  if (!values["no-load"]) {
    const defaults = defaultServers();
    const targets: Target[] = [];
    if (!extra.some((spec) => spec.label === "wirechat")) targets.push(single(defaults.wirechat));
    targets.push(...extra.map(single));
    if (!extra.some((spec) => spec.label === "naive")) targets.push(single(defaults.naive));
    if (!values["no-floor"]) {
      targets.push({
        label: FLOOR,
        start: async () => new ServerGroup(FLOOR, [await ServerProcess.start(floorServer())]),
      });
    }
    if (!values["no-tls"]) targets.push({ label: "wirechat-tls", start: startTlsServer });
    const nats = findNatsServer();
    if (values["no-cluster"]) {
      // asked for
    } else if ("reason" in nats) {
      progress(`skipping wirechat-cluster-2: ${nats.reason}`);
    } else {
      targets.push({ label: "wirechat-cluster-2", start: () => startCluster(nats.path, 2) });
    }
    const scenarios = scenarioSet(values.quick);
    servers.push(...await measureServers(targets, scenarios, repeat));
    if (!values.json) {
      const transports = servers.filter((server) => server.label.startsWith("wirechat-"));
      const floor = servers.filter((server) => server.label === FLOOR);
      const others = servers.filter((server) =>
        !transports.includes(server) && !floor.includes(server)
      );
      console.log(`## Load${values.quick ? " (quick)" : ""}\n`);
      console.log(renderSummary(others, values.baseline));
      console.log(
        `\nRatios are plain quotients against ${values.baseline}: above 1 is better for ` +
          "deliveries/s, worse for latency, memory and login time.\n",
      );
      const aboveFloor = renderAboveFloor([...floor, ...others], FLOOR);
      if (aboveFloor !== undefined) {
        console.log("### Above the runtime's floor\n");
        console.log(aboveFloor);
        console.log(
          "\nThe floor is bench/floor_server.ts: a bare Deno relay with one 64-byte read " +
            "pending per connection. Every server's memory comes from a storm of clients " +
            "that log in and stay (nothing relayed), its login time from a second storm " +
            "in which it relays the load generator's login rounds.\n",
        );
      }
      const oneNode = others.find((server) => server.label === "wirechat");
      if (oneNode !== undefined && transports.length > 0) {
        console.log("### One node, over TLS, and a cluster of two nodes\n");
        console.log(renderSummary([oneNode, ...transports], "wirechat"));
        console.log(
          "\nRatios against one wirechat node over plain TCP. The cluster's nodes, " +
            "nats-server and the load generator share this machine's cores.\n",
        );
      }
      console.log(renderDetails(servers));
      const notes = noiseNotes(servers);
      if (notes.length > 0) {
        console.log(`\nFigures to distrust${values.quick ? " (a quick run)" : ""}:\n`);
        for (const note of notes) console.log(`- ${note}`);
      }
    }
  }
  if (values.json) console.log(JSON.stringify({ codec, servers }, null, 2));
  const broken = servers.some((server) =>
    server.failure !== undefined || Object.values(server.runs).some((run) => wrong(run.result))
  );
  progress(`done in ${formatSeconds((performance.now() - started) / 1000)}`);
  return broken ? 2 : 0;
}

if (import.meta.main) Deno.exit(await main());
