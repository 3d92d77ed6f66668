/**
 * The benchmark's Markdown tables: a summary with one column per server and a
 * ratio column per server against the baseline, the details of every run, and
 * the progress lines and noise notes printed on the way.
 *
 * @module
 */

import type { LoadResult } from "../check/load/load.ts";
import type { ScenarioKey } from "../check/load/scenarios.ts";

/**
 * Whether a run shows a server at fault: something lost, reordered, invalid or
 * dropped, or a stall. A run cut by its duration limit is only slow.
 */
export function wrong(result: LoadResult): boolean {
  return result.orderViolations > 0 || result.invalidFrames > 0 || result.disconnects > 0 ||
    result.connectFailures > 0 || result.stopReason === "stall" ||
    (result.completed && result.lost > 0);
}

/** One scenario measured on one server: the median of its repeats. */
export interface RunMeasurement {
  /** The scenario's name in tables, such as `idle-5000`. */
  name: string;
  /** The median run by deliveries per second. */
  result: LoadResult;
  /** How many runs were made. */
  runs: number;
  /** The lowest deliveries per second of the runs. */
  minRate: number;
  /** The highest deliveries per second of the runs. */
  maxRate: number;
  /** CPU seconds the server used over all the runs, when known. */
  serverCpuS: number | null;
  /** Wall-clock seconds of all the runs. */
  wallS: number;
  /** Server VmRSS in KiB before the scenario (idle scenario only). */
  rssStartKiB?: number | null;
  /** Highest server VmRSS in KiB while the clients idled (idle scenario only). */
  rssHoldKiB?: number | null;
  /**
   * Login seconds of a second storm in which the server relays the load generator's
   * login rounds (the memory hold relays nothing, so confirms no login).
   */
  relayLoginS?: number;
}

/** A server's login seconds in the idle storm, relaying the login rounds. */
export function loginSeconds(server: ServerMeasurements): number | null {
  const idle = server.runs.idle;
  if (idle === undefined) return null;
  return idle.relayLoginS ?? idle.result.connectS;
}

/** Everything measured on one server. */
export interface ServerMeasurements {
  /** The server's label. */
  label: string;
  /** Why it could not be measured, if it could not. */
  failure?: string;
  /** The scenarios it ran. */
  runs: Partial<Record<ScenarioKey, RunMeasurement>>;
  /** The server's VmHWM (peak RSS) in KiB at the end, when known. */
  peakRssKiB: number | null;
}

/**
 * A rate for people: `11.23M`, `125.2k`, `950`.
 *
 * @param value Events per second.
 * @returns The rate, with a metric suffix.
 */
export function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/**
 * A byte rate for people: `1.23 GB/s`, `45.6 MB/s`.
 *
 * @param value Bytes per second.
 * @returns The rate with its unit.
 */
export function formatBytesRate(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} GB/s`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MB/s`;
  return `${(value / 1e3).toFixed(1)} kB/s`;
}

/**
 * A latency for people: `106 µs` below a millisecond, `23.8 ms` above.
 *
 * @param us Microseconds.
 * @returns The latency with its unit.
 */
export function formatMicros(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(0)} µs`;
}

/**
 * A duration for people: `8.2 s` below a minute, `1 min 12 s` above.
 *
 * @param s Seconds.
 * @returns The duration with its unit.
 */
export function formatSeconds(s: number): string {
  if (s < 59.5) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** Below this many seconds a run's rate is noise: timer and scheduling jitter dominate. */
export const NOISE_RUN_S = 1;

/** Below this many latency samples a p99 rests on a handful of deliveries. */
export const NOISE_SAMPLES = 10_000;

/**
 * One progress line for a measured scenario, in readable units: for a load its
 * deliveries/s and latency, for an idle hold its memory per connection and login
 * time (never `0 deliveries/s`).
 *
 * @example A fan-out and a hold
 * ```ts
 * import { describeRun, type RunMeasurement } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const base = { runs: 1, minRate: 0, maxRate: 0, serverCpuS: null, wallS: 1 };
 * const result = {
 *   mode: "load", ok: true, stopReason: "done", deliveriesPerS: 3_850_000, clients: 1000,
 *   latencyUs: { p50: 11_600, p90: 30_000, p99: 48_800, max: 60_000 }, connectS: 0.2,
 * } as RunMeasurement["result"];
 * assert.equal(
 *   describeRun({ ...base, name: "fanout-1000", result }),
 *   "fanout-1000: done, 3.85M deliveries/s, p50 11.6 ms, p99 48.8 ms",
 * );
 * const hold = { ...result, mode: "hold", clients: 1000, connectS: 0.35 } as typeof result;
 * assert.equal(
 *   describeRun({ ...base, name: "idle-1000", result: hold, rssStartKiB: 50_000, rssHoldKiB: 58_000 }),
 *   "idle-1000: done, 1000 clients logged in in 0.35 s, 8.00 KiB per idle connection",
 * );
 * ```
 *
 * @param run The scenario's measurement.
 * @returns The line, without the server's label.
 */
export function describeRun(run: RunMeasurement): string {
  const r = run.result;
  const stop = `${r.stopReason}${r.ok ? "" : ` (${flaw(r)})`}`;
  if (r.mode === "hold") {
    const perConnection = run.rssStartKiB == null || run.rssHoldKiB == null
      ? ""
      : `, ${((run.rssHoldKiB - run.rssStartKiB) / r.clients).toFixed(2)} KiB per idle connection`;
    const relay = run.relayLoginS === undefined
      ? ""
      : ` (${run.relayLoginS.toFixed(2)} s relaying the rounds)`;
    return `${run.name}: ${stop}, ${r.clients} clients logged in in ${
      r.connectS.toFixed(2)
    } s${relay}${perConnection}`;
  }
  return `${run.name}: ${stop}, ${formatRate(r.deliveriesPerS)} deliveries/s, p50 ${
    formatMicros(r.latencyUs.p50)
  }, p99 ${formatMicros(r.latencyUs.p99)}${run.runs > 1 ? ` (median of ${run.runs} runs)` : ""}`;
}

/**
 * Notes on the figures too short-lived to trust: a load whose median run lasted
 * under {@linkcode NOISE_RUN_S} (its deliveries/s), or with fewer than
 * {@linkcode NOISE_SAMPLES} latency samples (its p99). A quick run has many.
 *
 * @param servers The measurements.
 * @returns One line per doubtful figure, empty when none is.
 */
export function noiseNotes(servers: readonly ServerMeasurements[]): string[] {
  const notes: string[] = [];
  for (const server of servers) {
    for (const run of Object.values(server.runs)) {
      const r = run.result;
      if (r.mode === "hold" || !r.completed) continue;
      const doubts: string[] = [];
      if (r.elapsedS < NOISE_RUN_S) doubts.push(`ran ${formatSeconds(r.elapsedS)}`);
      if (r.latencySamples < NOISE_SAMPLES) doubts.push(`${r.latencySamples} latency samples`);
      if (doubts.length > 0) {
        notes.push(
          `${server.label} ${run.name}: ${doubts.join(", ")}; noise, not a measurement`,
        );
      }
    }
  }
  return notes;
}

/**
 * Renders a Markdown table. A `|` inside a cell is escaped.
 *
 * @example A two-column table
 * ```ts
 * import { markdownTable } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   markdownTable(["a", "b"], [["1", "x|y"]]),
 *   "| a | b |\n|---|---|\n| 1 | x\\|y |",
 * );
 * ```
 *
 * @param header The column titles.
 * @param rows The cells, row by row.
 * @returns The table, without a final line break.
 */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

/** Why a run is not a clean full run, or `""` when it is. */
function flaw(result: LoadResult): string {
  if (result.ok) return "";
  const delivered = result.deliveriesExpected > 0
    ? `, ${Math.floor(100 * result.deliveriesReceived / result.deliveriesExpected)}% delivered`
    : "";
  if (!result.completed) return `cut: ${result.stopReason}${delivered}`;
  return `lost ${result.lost}, disorder ${result.orderViolations}, invalid ${result.invalidFrames}, dropped ${result.disconnects}`;
}

interface Metric {
  title: string;
  value(server: ServerMeasurements): number | null;
  format(value: number): string;
  scenario: ScenarioKey;
}

function idlePerConnection(server: ServerMeasurements): number | null {
  const idle = server.runs.idle;
  if (idle?.rssStartKiB == null || idle.rssHoldKiB == null) return null;
  return (idle.rssHoldKiB - idle.rssStartKiB) / idle.result.clients;
}

function metrics(idleName: string): Metric[] {
  const rate = (key: ScenarioKey) => (server: ServerMeasurements) =>
    server.runs[key]?.result.deliveriesPerS ?? null;
  const latency = (key: ScenarioKey, p: "p50" | "p99") => (server: ServerMeasurements) =>
    server.runs[key]?.result.latencyUs[p] ?? null;
  return [
    {
      title: "fanout-100 deliveries/s",
      value: rate("fanout-100"),
      format: formatRate,
      scenario: "fanout-100",
    },
    {
      title: "fanout-1000 deliveries/s",
      value: rate("fanout-1000"),
      format: formatRate,
      scenario: "fanout-1000",
    },
    {
      title: "fanout-1000 latency p50 (under load)",
      value: latency("fanout-1000", "p50"),
      format: formatMicros,
      scenario: "fanout-1000",
    },
    {
      title: "fanout-1000 latency p99 (under load)",
      value: latency("fanout-1000", "p99"),
      format: formatMicros,
      scenario: "fanout-1000",
    },
    {
      title: "pingpong latency p50",
      value: latency("pingpong", "p50"),
      format: formatMicros,
      scenario: "pingpong",
    },
    {
      title: "pingpong latency p99",
      value: latency("pingpong", "p99"),
      format: formatMicros,
      scenario: "pingpong",
    },
    {
      title: `${idleName} server KiB per idle connection`,
      value: idlePerConnection,
      format: (kib) => kib.toFixed(2),
      scenario: "idle",
    },
    {
      title: `${idleName} login s (connect storm)`,
      value: loginSeconds,
      format: (s) => s.toFixed(2),
      scenario: "idle",
    },
  ];
}

/**
 * Renders what each server costs above the runtime's floor (`floor_server.ts`):
 * memory per idle connection, login time and ping-pong latency as `floor + x`, the
 * fan-outs as a multiple of the floor's rate. Every server's memory comes from a
 * hold that relays nothing, its login time from a second storm that relays the
 * load generator's login rounds.
 *
 * @param servers The measurements; the one labelled `floor` is the floor.
 * @param floor The floor's label.
 * @returns The table, or undefined without a floor or anything above it.
 */
export function renderAboveFloor(
  servers: readonly ServerMeasurements[],
  floor: string,
): string | undefined {
  const base = servers.find((server) => server.label === floor && server.failure === undefined);
  const others = servers.filter((server) => server.label !== floor);
  if (base === undefined || others.length === 0) return undefined;
  const idleName = servers.find((server) => server.runs.idle)?.runs.idle?.name ?? "idle";
  const rows: string[][] = [];
  for (const metric of metrics(idleName)) {
    const floorValue = metric.value(base);
    if (floorValue === null) continue;
    const rate = metric.title.endsWith("deliveries/s");
    const above = others.map((server) => {
      const value = server.failure === undefined ? metric.value(server) : null;
      if (value === null) return "n/a";
      if (rate) return floorValue === 0 ? "n/a" : `${(value / floorValue).toFixed(2)}x floor`;
      const difference = value - floorValue;
      return `${metric.format(value)} = floor ${difference < 0 ? "-" : "+"} ${
        metric.format(Math.abs(difference))
      }`;
    });
    rows.push([metric.title, metric.format(floorValue), ...above]);
  }
  return markdownTable(["metric", floor, ...others.map((server) => server.label)], rows);
}

/**
 * Renders the summary: one row per metric, one column per server, then a column
 * `server / baseline` for every other server. Ratios are plain quotients: above 1
 * is better for deliveries/s, worse for latency, memory and login time. A cell of
 * a run that was cut short or not clean says so. A metric no server measured (the
 * idle rows when only the transports ran) has no row.
 *
 * @param servers The measurements, in column order.
 * @param baseline The label of the server the ratios divide by.
 * @returns The table, without a final line break.
 */
export function renderSummary(servers: readonly ServerMeasurements[], baseline: string): string {
  const idleName = servers.find((server) => server.runs.idle)?.runs.idle?.name ?? "idle";
  const base = servers.find((server) => server.label === baseline);
  const others = base === undefined ? [] : servers.filter((server) => server !== base);
  const header = [
    "metric",
    ...servers.map((server) => server.label),
    ...others.map((server) => `${server.label} / ${baseline}`),
  ];
  const measured = (metric: Metric) =>
    servers.some((server) => server.failure !== undefined || metric.value(server) !== null);
  const rows = metrics(idleName).filter(measured).map((metric) => {
    const cells = servers.map((server) => {
      if (server.failure !== undefined) return `failed: ${server.failure}`;
      const value = metric.value(server);
      if (value === null) return "n/a";
      const run = server.runs[metric.scenario];
      const problem = run === undefined ? "" : flaw(run.result);
      return problem === "" ? metric.format(value) : `${metric.format(value)} (${problem})`;
    });
    const ratios = others.map((server) => {
      const a = server.failure === undefined ? metric.value(server) : null;
      const b = base?.failure === undefined ? metric.value(base!) : null;
      return a === null || b === null || b === 0 ? "n/a" : `${(a / b).toFixed(2)}x`;
    });
    return [metric.title, ...cells, ...ratios];
  });
  return markdownTable(header, rows);
}

/**
 * Renders the details: one row per server and scenario.
 *
 * @param servers The measurements.
 * @returns The table, without a final line break.
 */
export function renderDetails(servers: readonly ServerMeasurements[]): string {
  const rows: string[][] = [];
  for (const server of servers) {
    if (server.failure !== undefined) {
      rows.push([server.label, "", `failed: ${server.failure}`, ...Array(9).fill("")]);
      continue;
    }
    for (const run of Object.values(server.runs)) {
      const r = run.result;
      rows.push([
        server.label,
        run.name,
        r.ok ? r.stopReason : `${r.stopReason} (${flaw(r)})`,
        run.runs > 1 ? `${run.runs}: ${formatRate(run.minRate)}..${formatRate(run.maxRate)}` : "1",
        r.elapsedS.toFixed(2),
        r.mode === "hold" ? "" : formatRate(r.deliveriesPerS),
        r.mode === "hold" ? "" : formatMicros(r.latencyUs.p50),
        r.mode === "hold" ? "" : formatMicros(r.latencyUs.p99),
        r.mode === "hold" ? "" : formatMicros(r.latencyUs.max),
        `${r.connectS.toFixed(3)} (${r.tcpConnectS.toFixed(3)})`,
        run.serverCpuS === null ? "n/a" : `${run.serverCpuS.toFixed(2)} / ${run.wallS.toFixed(2)}`,
        r.cpuUtil.toFixed(2),
      ]);
    }
  }
  return markdownTable([
    "server",
    "scenario",
    "stop",
    "runs: deliveries/s range",
    "run s",
    "deliveries/s",
    "p50",
    "p99",
    "max",
    "login s (TCP part)",
    "server CPU s / wall s",
    "load generator CPU (cores)",
  ], rows);
}
