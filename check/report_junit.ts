/**
 * The kit's report as JUnit XML, which CI services show as test results: one
 * test suite per section, one test case per case.
 *
 * @module
 */

import { sectionOf, SECTIONS } from "./case.ts";
import { type CaseResult, tally } from "./runner.ts";

/**
 * Escapes text for XML attributes and content.
 *
 * @param text The text.
 * @returns The text with `&`, `<`, `>`, `"` escaped and characters XML forbids replaced.
 */
function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "\ufffd");
}

/**
 * The JUnit XML report.
 *
 * @example
 * ```ts
 * import { junitReport } from "./report_junit.ts";
 * import assert from "node:assert/strict";
 *
 * const report = junitReport("server", [{
 *   id: "1/1", title: "t", rule: "r", kind: "protocol", status: "failed",
 *   expected: "a", actual: "b", durationMs: 5,
 * }]);
 * assert.match(report, /<failure message="Expected: a; actual: b">/);
 * ```
 *
 * @param target What was checked, such as `server 127.0.0.1:9000`.
 * @param results Every result.
 * @returns The XML document.
 */
export function junitReport(target: string, results: readonly CaseResult[]): string {
  const sections = [...new Set(results.map((r) => sectionOf(r.id)))];
  const total = tally(results);
  const seconds = (results: readonly CaseResult[]) =>
    (results.reduce((sum, r) => sum + r.durationMs, 0) / 1000).toFixed(3);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${
      xml(`wirechat-check ${target}`)
    }" tests="${results.length}" failures="${total.failed}" skipped="${total.skipped}" time="${
      seconds(results)
    }">`,
  ];
  for (const section of sections) {
    const cases = results.filter((r) => sectionOf(r.id) === section);
    const counts = tally(cases);
    const name = `${section} ${SECTIONS[section] ?? ""}`.trim();
    lines.push(
      `  <testsuite name="${
        xml(name)
      }" tests="${cases.length}" failures="${counts.failed}" skipped="${counts.skipped}" time="${
        seconds(cases)
      }">`,
    );
    for (const r of cases) {
      const open = `    <testcase classname="${xml(name)}" name="${
        xml(`${r.id} ${r.title}`)
      }" time="${(r.durationMs / 1000).toFixed(3)}"`;
      if (r.status === "passed") {
        lines.push(`${open}/>`);
      } else if (r.status === "skipped") {
        lines.push(
          `${open}>`,
          `      <skipped message="${xml(r.reason ?? "")}"/>`,
          `    </testcase>`,
        );
      } else {
        lines.push(
          `${open}>`,
          `      <failure message="${xml(`Expected: ${r.expected}; actual: ${r.actual}`)}">${
            xml(`${r.rule}\nExpected: ${r.expected}\nActual: ${r.actual}`)
          }</failure>`,
          `    </testcase>`,
        );
      }
    }
    lines.push(`  </testsuite>`);
  }
  lines.push(`</testsuites>`, "");
  return lines.join("\n");
}
