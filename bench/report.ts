/**
 * The benchmark's Markdown tables: a summary with one column per server and a
 * ratio column per server against the baseline, and the details of every run.
 *
 * @module
 */

import type { LoadResult } from "./load.ts";
import type { ScenarioKey } from "./scenarios.ts";

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
      value: (server) => server.runs.idle?.result.connectS ?? null,
      format: (s) => s.toFixed(2),
      scenario: "idle",
    },
  ];
}

/**
 * Renders the summary: one row per metric, one column per server, then a column
 * `server / baseline` for every other server. Ratios are plain quotients: above 1
 * is better for deliveries/s, worse for latency, memory and login time. A cell of
 * a run that was cut short or not clean says so.
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
  const rows = metrics(idleName).map((metric) => {
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
