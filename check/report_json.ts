/**
 * The kit's report as JSON, for scripts and CI: what was checked, the counts,
 * and every case's result.
 *
 * @module
 */

import { type CaseResult, tally } from "./runner.ts";

/**
 * The JSON report.
 *
 * @example
 * ```ts
 * import { jsonReport } from "./report_json.ts";
 * import assert from "node:assert/strict";
 *
 * const report = JSON.parse(jsonReport("server 127.0.0.1:9000", []));
 * assert.equal(report.failed, 0);
 * ```
 *
 * @param target What was checked, such as `server 127.0.0.1:9000`.
 * @param results Every result.
 * @returns The report, indented, ending with a line break.
 */
export function jsonReport(target: string, results: readonly CaseResult[]): string {
  return `${JSON.stringify({ target, ...tally(results), cases: results }, null, 2)}\n`;
}
