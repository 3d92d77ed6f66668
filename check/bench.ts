/**
 * `wirechat-check bench`: the load scenarios of `deno task bench` against any
 * server, with deliveries per second, latency percentiles and per-client
 * rates, in the spirit of `nats bench`.
 *
 * @module
 */

import { type LoadResult, runLoad } from "./load/load.ts";
import { type Scenario, type ScenarioKey, scenarioSet } from "./load/scenarios.ts";

/** What to run. */
export interface BenchOptions {
  /** The server's host. */
  readonly hostname: string;
  /** The server's port. */
  readonly port: number;
  /** The scenarios to run, in their order; all when undefined. */
  readonly scenarios?: readonly ScenarioKey[];
  /** The short versions: fewer messages, fewer idle clients. */
  readonly quick?: boolean;
  /** Receives progress lines. */
  readonly onProgress?: (line: string) => void;
  /** Receives a status line once a second while messages flow. */
  readonly onStatus?: (line: string) => void;
  /** Receives each run as soon as it ends. */
  readonly onRun?: (run: BenchRun) => void;
  /** Stops early. */
  readonly signal?: AbortSignal;
}

/** One scenario run. */
export interface BenchRun {
  /** The scenario. */
  readonly scenario: Scenario;
  /** What the load generator measured. */
  readonly result: LoadResult;
}

/** The keys of every scenario, in the order they run. */
export const SCENARIO_KEYS: readonly ScenarioKey[] = scenarioSet(false).map((s) => s.key);

/**
 * Runs the scenarios one after the other against one server.
 *
 * Requires `--allow-net`.
 *
 * @param options What to run.
 * @returns The runs.
 */
export async function runBench(options: BenchOptions): Promise<BenchRun[]> {
  const wanted = options.scenarios ?? SCENARIO_KEYS;
  const runs: BenchRun[] = [];
  for (const scenario of scenarioSet(options.quick ?? false)) {
    if (!wanted.includes(scenario.key) || options.signal?.aborted) continue;
    options.onProgress?.(`${scenario.name}: ${scenario.description}`);
    const result = await runLoad({
      ...scenario.options,
      hostname: options.hostname,
      port: options.port,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.onStatus === undefined ? {} : { onStatus: options.onStatus }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const run = { scenario, result };
    runs.push(run);
    options.onRun?.(run);
  }
  return runs;
}

const count = new Intl.NumberFormat("en");

function ms(us: number): string {
  return `${(us / 1000).toFixed(2)} ms`;
}

/**
 * A run as a block of text.
 *
 * @example A clean ping-pong
 * ```ts
 * import { formatBenchRun } from "./bench.ts";
 * import { scenarioSet } from "./load/scenarios.ts";
 * import assert from "node:assert/strict";
 *
 * const scenario = scenarioSet(true).find((s) => s.key === "pingpong")!;
 * const text = formatBenchRun({
 *   scenario,
 *   result: {
 *     mode: "load", clients: 10, senders: 1, size: 64, window: 1, messagesPerSender: 1000,
 *     messagesSent: 1000, deliveriesExpected: 10000, deliveriesReceived: 10000, lost: 0,
 *     orderViolations: 0, invalidFrames: 0, disconnects: 0, connectFailures: 0,
 *     completed: true, stopReason: "done", ok: true, elapsedS: 0.5, messagesPerS: 2000,
 *     deliveriesPerS: 20000, perClient: { min: 2000, avg: 2000, max: 2000 },
 *     latencyUs: { p50: 400, p90: 500, p99: 900, max: 1500 }, latencySamples: 10000,
 *     connectS: 0.05, tcpConnectS: 0.01, syncRounds: 2, cpuS: 0.4, cpuUtil: 0.8,
 *   },
 * });
 * assert.match(text, /deliveries +10,000 in 0\.500 s: 20,000\/s/);
 * assert.match(text, /per client +min 2,000\/s, avg 2,000\/s, max 2,000\/s/);
 * ```
 *
 * @param run The run.
 * @returns The text, ending with a line break.
 */
export function formatBenchRun(run: BenchRun): string {
  const r = run.result;
  const lines = [`${run.scenario.name}: ${run.scenario.description}`];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(12)} ${text}`);
  row(
    "login",
    `${count.format(r.clients)} clients in ${r.connectS.toFixed(3)} s (TCP ${
      r.tcpConnectS.toFixed(3)
    } s)`,
  );
  if (r.mode === "hold") {
    row("held", `${r.elapsedS.toFixed(1)} s`);
  } else {
    row(
      "deliveries",
      `${count.format(r.deliveriesReceived)} in ${r.elapsedS.toFixed(3)} s: ${
        count.format(Math.round(r.deliveriesPerS))
      }/s (messages: ${count.format(r.messagesSent)}, ${
        count.format(Math.round(r.messagesPerS))
      }/s)`,
    );
    row(
      "latency",
      `p50 ${ms(r.latencyUs.p50)}, p90 ${ms(r.latencyUs.p90)}, p99 ${ms(r.latencyUs.p99)}, max ${
        ms(r.latencyUs.max)
      }`,
    );
    row(
      "per client",
      `min ${count.format(Math.round(r.perClient.min))}/s, avg ${
        count.format(Math.round(r.perClient.avg))
      }/s, max ${count.format(Math.round(r.perClient.max))}/s`,
    );
  }
  row(
    r.ok ? "clean" : "NOT CLEAN",
    r.ok
      ? "nothing lost, reordered, invalid or cut off"
      : `${r.lost} lost, ${r.orderViolations} reordered, ${r.invalidFrames} invalid, ${r.disconnects} disconnects, ${r.connectFailures} failed connects (stopped: ${r.stopReason})`,
  );
  return `${lines.join("\n")}\n`;
}
