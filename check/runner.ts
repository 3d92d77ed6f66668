/**
 * Runs cases one after the other, each with a fresh context and a time limit,
 * and says for each whether it passed, failed or was skipped.
 *
 * @module
 */

import { CaseFailure, type CaseKind, type CheckCase } from "./case.ts";

/** The outcome of one case. */
export interface CaseResult {
  /** The case's number. */
  readonly id: string;
  /** What it checks. */
  readonly title: string;
  /** The sentence it tests. */
  readonly rule: string;
  /** Which rules it belongs to. */
  readonly kind: CaseKind;
  /** What happened. */
  readonly status: "passed" | "failed" | "skipped";
  /** For a failure: what the rule asks for. */
  readonly expected?: string;
  /** For a failure: what happened instead. */
  readonly actual?: string;
  /** For a skipped case: why. */
  readonly reason?: string;
  /** Milliseconds it took. */
  readonly durationMs: number;
}

/** A context a case runs in, closed when the case ends. */
export interface Disposable {
  /** Releases what the case opened. */
  dispose(): Promise<void>;
}

/** What to run and how. */
export interface RunOptions<Context extends Disposable> {
  /** The cases, in order. */
  readonly cases: readonly CheckCase<Context>[];
  /** Run only these numbers (all when undefined). */
  readonly only?: ReadonlySet<string>;
  /** Run the extension cases. */
  readonly extensions: boolean;
  /** Run the strict cases. */
  readonly strict: boolean;
  /** Makes a fresh context for a case. */
  readonly context: () => Context;
  /** Receives each result as soon as it is known. */
  readonly onResult?: (result: CaseResult) => void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The cases that `only` selects.
 *
 * @param cases Every case.
 * @param only The numbers asked for, or undefined for all.
 * @returns The cases selected, in order.
 * @throws {RangeError} When a number asked for is no case's.
 */
export function selectCases<C>(
  cases: readonly CheckCase<C>[],
  only: ReadonlySet<string> | undefined,
): CheckCase<C>[] {
  if (only === undefined) return [...cases];
  const known = new Set(cases.map((c) => c.id));
  const unknown = [...only].filter((id) => !known.has(id));
  if (unknown.length > 0) throw new RangeError(`no case numbered ${unknown.join(", ")}`);
  return cases.filter((c) => only.has(c.id));
}

/**
 * Runs the cases in order.
 *
 * @param options What to run.
 * @returns One result per case selected.
 */
export async function runCases<Context extends Disposable>(
  options: RunOptions<Context>,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const item of selectCases(options.cases, options.only)) {
    const result = await runOne(item, options);
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function runOne<Context extends Disposable>(
  item: CheckCase<Context>,
  options: RunOptions<Context>,
): Promise<CaseResult> {
  const base = { id: item.id, title: item.title, rule: item.rule, kind: item.kind };
  const explicit = options.only?.has(item.id) ?? false;
  if (item.kind === "extension" && !options.extensions && !explicit) {
    return {
      ...base,
      status: "skipped",
      reason: "an extension: run with --extensions",
      durationMs: 0,
    };
  }
  if (item.kind === "strict" && !options.strict && !explicit) {
    return { ...base, status: "skipped", reason: "a SHOULD: run with --strict", durationMs: 0 };
  }
  const start = performance.now();
  const context = options.context();
  const limit = item.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CaseFailure(`the case ends within ${limit} ms`, "it was still waiting; stopped"),
        ),
      limit,
    );
  });
  try {
    await Promise.race([item.run(context), timeout]);
    return { ...base, status: "passed", durationMs: performance.now() - start };
  } catch (error) {
    const failure = error instanceof CaseFailure ? error : new CaseFailure(
      "the case runs to its end",
      `it stopped on an error: ${error instanceof Error ? error.message : String(error)}`,
    );
    return {
      ...base,
      status: "failed",
      expected: failure.expected,
      actual: failure.actual,
      durationMs: performance.now() - start,
    };
  } finally {
    clearTimeout(timer);
    await context.dispose();
  }
}

/** How many passed, failed and were skipped. */
export interface Tally {
  /** Cases that passed. */
  readonly passed: number;
  /** Cases that failed. */
  readonly failed: number;
  /** Cases not run. */
  readonly skipped: number;
}

/**
 * Counts results.
 *
 * @param results The results.
 * @returns The counts.
 */
export function tally(results: readonly CaseResult[]): Tally {
  const count = (status: CaseResult["status"]) => results.filter((r) => r.status === status).length;
  return { passed: count("passed"), failed: count("failed"), skipped: count("skipped") };
}
