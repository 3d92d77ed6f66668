/**
 * The kit's report for people: a line per case, grouped by section; for a
 * failure, the quoted rule, `Expected:` and `Actual:`; then the counts.
 *
 * @module
 */

import { sectionOf, SECTIONS } from "./case.ts";
import { type CaseResult, tally } from "./runner.ts";

/**
 * The lines of one result, with its section's heading when it starts a section.
 *
 * @example A failure
 * ```ts
 * import { formatResult } from "./report_text.ts";
 * import assert from "node:assert/strict";
 *
 * const text = formatResult({
 *   id: "2.3/1", title: "The sender receives its own message", rule: "the sender included",
 *   kind: "protocol", status: "failed", expected: "an echo", actual: "nothing", durationMs: 3,
 * }, undefined);
 * assert.match(text, /Expected: an echo\n\s+Actual: {3}nothing/);
 * ```
 *
 * @param result The result.
 * @param previous The result printed before it, if any.
 * @returns The text, ending with a line break.
 */
export function formatResult(result: CaseResult, previous: CaseResult | undefined): string {
  const lines: string[] = [];
  const section = sectionOf(result.id);
  if (previous === undefined || sectionOf(previous.id) !== section) {
    if (previous !== undefined) lines.push("");
    lines.push(`${section} ${SECTIONS[section] ?? ""}`.trimEnd());
  }
  const tag = result.kind === "protocol" ? "" : ` [${result.kind}]`;
  if (result.status === "passed") {
    lines.push(`  ✔ ${result.id} ${result.title}${tag}`);
  } else if (result.status === "skipped") {
    lines.push(`  - ${result.id} ${result.title}${tag} (skipped: ${result.reason})`);
  } else {
    lines.push(`  ✘ ${result.id} ${result.title}${tag}`);
    lines.push(`      > ${result.rule}`);
    lines.push(`      Expected: ${result.expected}`);
    lines.push(`      Actual:   ${result.actual}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The last line: `N passed, N failed, N skipped`.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./report_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatSummary([]), "0 passed, 0 failed, 0 skipped");
 * ```
 *
 * @param results Every result.
 * @returns The line, without a line break.
 */
export function formatSummary(results: readonly CaseResult[]): string {
  const { passed, failed, skipped } = tally(results);
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}
