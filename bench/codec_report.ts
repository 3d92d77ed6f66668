#!/usr/bin/env -S deno run --allow-run --allow-read
/**
 * Runs the codec micro-benchmarks (`codec_bench.ts`) with `deno bench --json` and
 * prints frames/s and bytes/s for each, from the `[frames=N bytes=M]` suffix of
 * its name, as a Markdown table.
 *
 * ```sh
 * deno run --allow-run --allow-read bench/codec_report.ts
 * ```
 *
 * @module
 */

import { formatBytesRate, formatRate, markdownTable } from "./report.ts";

/** One codec benchmark's throughput. */
export interface CodecThroughput {
  /** The benchmark's group. */
  group: string;
  /** Its name, without the `[frames=N bytes=M]` suffix. */
  name: string;
  /** Mean time of one iteration, in nanoseconds. */
  nanoseconds: number;
  /** Frames handled per second. */
  framesPerS: number;
  /** Bytes handled per second. */
  bytesPerS: number;
  /** Whether it is the baseline of its group. */
  baseline: boolean;
  /** How many times faster than its group's baseline; `undefined` without one. */
  speedup: number | undefined;
}

interface BenchJson {
  benches: {
    group?: string | null;
    name: string;
    baseline?: boolean;
    results: { ok?: { avg: number } }[];
  }[];
}

const SUFFIX = /\s*\[frames=(\d+) bytes=(\d+)\]$/;

/**
 * Derives throughput from the output of `deno bench --json`. Benchmarks without
 * the suffix, or that failed, are left out.
 *
 * @example Throughput of one benchmark
 * ```ts
 * import { parseCodecBenchJson } from "./codec_report.ts";
 * import assert from "node:assert/strict";
 *
 * const json = JSON.stringify({
 *   benches: [{ group: "g", name: "x [frames=10 bytes=1000]", results: [{ ok: { avg: 1000 } }] }],
 * });
 * const [row] = parseCodecBenchJson(json);
 * assert.equal(row?.framesPerS, 10_000_000);
 * assert.equal(row?.bytesPerS, 1_000_000_000);
 * ```
 *
 * @param json What `deno bench --json` printed.
 * @returns One row per benchmark.
 */
export function parseCodecBenchJson(json: string): CodecThroughput[] {
  const report = JSON.parse(json) as BenchJson;
  const rows: CodecThroughput[] = [];
  for (const bench of report.benches) {
    const match = SUFFIX.exec(bench.name);
    const avg = bench.results[0]?.ok?.avg;
    if (match === null || avg === undefined || avg <= 0) continue;
    const perSecond = 1e9 / avg;
    rows.push({
      group: bench.group ?? "",
      name: bench.name.slice(0, match.index),
      nanoseconds: avg,
      framesPerS: Number(match[1]) * perSecond,
      bytesPerS: Number(match[2]) * perSecond,
      baseline: bench.baseline === true,
      speedup: undefined,
    });
  }
  for (const row of rows) {
    const base = rows.find((other) => other.baseline && other.group === row.group);
    if (base !== undefined) row.speedup = base.nanoseconds / row.nanoseconds;
  }
  return rows;
}

/**
 * Renders codec throughput as a Markdown table.
 *
 * @param rows The benchmarks.
 * @returns The table, one line per row, without a final line break.
 */
export function renderCodecTable(rows: readonly CodecThroughput[]): string {
  return markdownTable(
    ["codec benchmark", "time/iter", "frames/s", "bytes/s", "vs baseline"],
    rows.map((row) => [
      row.name,
      row.nanoseconds >= 1000
        ? `${(row.nanoseconds / 1000).toFixed(1)} µs`
        : `${row.nanoseconds.toFixed(1)} ns`,
      formatRate(row.framesPerS),
      formatBytesRate(row.bytesPerS),
      row.baseline ? "baseline" : row.speedup === undefined ? "" : `${row.speedup.toFixed(2)}x`,
    ]),
  );
}

/**
 * Runs `deno bench --json bench/codec_bench.ts` in a child process.
 *
 * Requires `--allow-run` and `--allow-read`.
 *
 * @returns One row per benchmark.
 * @throws {Error} When `deno bench` fails.
 */
export async function runCodecBenchmarks(): Promise<CodecThroughput[]> {
  const file = new URL("./codec_bench.ts", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "--json", decodeURIComponent(file.pathname)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`Cannot run the codec benchmarks: deno bench failed: ${stderr}`);
  }
  return parseCodecBenchJson(new TextDecoder().decode(output.stdout));
}

if (import.meta.main) {
  console.log(renderCodecTable(await runCodecBenchmarks()));
}
