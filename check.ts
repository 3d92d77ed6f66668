#!/usr/bin/env -S deno run --allow-net --allow-run --allow-write
/**
 * wirechat check: a conformance and load kit for anyone's implementation of the
 * wirechat protocol, in the spirit of h2spec and the Autobahn testsuite.
 *
 * It runs numbered cases, each quoting the sentence of the protocol it tests,
 * against a running server of any implementation, or against a client it starts
 * (with a scripted server of its own); and it runs the load scenarios of
 * `deno task bench` against any server. See `docs/check.md`.
 *
 * It needs `--allow-net`; `--allow-run` to start a client; `--allow-write` for
 * `--json` and `--junit`:
 *
 * ```sh
 * # from a clone
 * deno task check server 127.0.0.1:9000
 * ./check.ts client -- python3 client.py --host {host} --port {port} {name}
 *
 * # installed as a command
 * deno install -g -N --allow-run --allow-write -n wirechat-check jsr:@wirechat/wirechat/check
 * wirechat-check --help
 * ```
 *
 * As a library, {@linkcode checkServer} runs the server cases and returns the
 * results.
 *
 * @example Checking wirechat's own server
 * ```ts
 * import { checkServer } from "@wirechat/wirechat/check";
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const results = await checkServer({
 *   hostname: "127.0.0.1",
 *   port: server.addr.port,
 *   only: ["2.3/1", "3.1/2"],
 * });
 * assert.deepEqual(results.map((r) => r.status), ["passed", "passed"]);
 * ```
 *
 * @module
 */

import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "./protocol/limits.ts";
import { CLIENT_CASES } from "./check/client_cases.ts";
import { ClientContext, DEFAULT_TZ } from "./check/client_context.ts";
import type { CaseKind } from "./check/case.ts";
import { type CaseResult, runCases } from "./check/runner.ts";
import { SERVER_CASES } from "./check/server_cases.ts";
import { ServerContext } from "./check/server_context.ts";

export type { CaseKind } from "./check/case.ts";
export { type CaseResult, type Tally, tally } from "./check/runner.ts";
export { formatResult, formatSummary } from "./check/report_text.ts";
export { jsonReport } from "./check/report_json.ts";
export { junitReport } from "./check/report_junit.ts";
export { type BenchOptions, type BenchRun, formatBenchRun, runBench } from "./check/bench.ts";
export type {
  LatencySummary,
  LoadOptions,
  LoadResult,
  PerClientRates,
  StopReason,
} from "./check/load/load.ts";
export type { Scenario, ScenarioKey } from "./check/load/scenarios.ts";
export { DEFAULT_TZ } from "./check/client_context.ts";

/** A case as `--list` shows it. */
export interface CaseInfo {
  /** Its number: the section of PROTOCOL.md and its place there, such as `2.3/1`. */
  readonly id: string;
  /** What it checks. */
  readonly title: string;
  /** The sentence of the protocol it tests. */
  readonly rule: string;
  /** The protocol's own rule, one of wirechat's extensions, or a should (`strict`). */
  readonly kind: CaseKind;
}

/**
 * The server cases, in the order they run.
 *
 * @example
 * ```ts
 * import { serverCases } from "@wirechat/wirechat/check";
 * import assert from "node:assert/strict";
 *
 * assert.ok(serverCases().filter((c) => c.kind === "protocol").length >= 40);
 * ```
 *
 * @returns Their numbers, titles, rules and kinds.
 */
export function serverCases(): CaseInfo[] {
  return SERVER_CASES.map(({ id, title, rule, kind }) => ({ id, title, rule, kind }));
}

/**
 * The client cases, in the order they run.
 *
 * @returns Their numbers, titles, rules and kinds.
 */
export function clientCases(): CaseInfo[] {
  return CLIENT_CASES.map(({ id, title, rule, kind }) => ({ id, title, rule, kind }));
}

/** What {@linkcode checkServer} and {@linkcode checkClient} run. */
export interface CheckOptions {
  /**
   * The `max-username-size` agreed with the implementation.
   *
   * @default {25}
   */
  maxUsernameSize?: number;
  /**
   * The `max-message-size` agreed with the implementation.
   *
   * @default {3000}
   */
  maxMessageSize?: number;
  /**
   * Milliseconds to wait for what must happen.
   *
   * @default {2000}
   */
  timeoutMs?: number;
  /**
   * Also run the cases of wirechat's extensions.
   *
   * @default {false}
   */
  extensions?: boolean;
  /**
   * Also run the cases of what an implementation should do.
   *
   * @default {false}
   */
  strict?: boolean;
  /** Run only the cases with these numbers. */
  only?: readonly string[];
  /** Receives each result as soon as it is known. */
  onResult?: (result: CaseResult) => void;
}

/** What {@linkcode checkServer} checks. */
export interface CheckServerOptions extends CheckOptions {
  /** The server's host. */
  hostname: string;
  /** The server's port. */
  port: number;
}

/** What {@linkcode checkClient} checks. */
export interface CheckClientOptions extends CheckOptions {
  /** The client's program and arguments, with `{host}`, `{port}` and `{name}` placeholders. */
  command: readonly string[];
  /**
   * The time zone the client runs in (its `TZ`).
   *
   * @default {"Asia/Kathmandu"}
   */
  tz?: string;
  /**
   * Milliseconds the client may take to start and connect.
   *
   * @default {10000}
   */
  startTimeoutMs?: number;
}

function common(options: CheckOptions) {
  return {
    ...(options.only === undefined ? {} : { only: new Set(options.only) }),
    extensions: options.extensions ?? false,
    strict: options.strict ?? false,
    ...(options.onResult === undefined ? {} : { onResult: options.onResult }),
  };
}

/**
 * Runs the server cases against a running server.
 *
 * Requires `--allow-net`.
 *
 * @param options The server and what to run.
 * @returns One result per case selected.
 * @throws {RangeError} When `only` names no case.
 */
export function checkServer(options: CheckServerOptions): Promise<CaseResult[]> {
  const target = {
    hostname: options.hostname,
    port: options.port,
    maxUsernameSize: options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE,
    maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    timeoutMs: options.timeoutMs ?? 2000,
  };
  return runCases({
    cases: SERVER_CASES,
    context: () => new ServerContext(target),
    ...common(options),
  });
}

/**
 * Runs the client cases: starts the client once per case against a scripted
 * server of the kit's own.
 *
 * Requires `--allow-net` and `--allow-run`.
 *
 * @param options The client and what to run.
 * @returns One result per case selected.
 * @throws {RangeError} When `only` names no case.
 */
export function checkClient(options: CheckClientOptions): Promise<CaseResult[]> {
  const target = {
    command: options.command,
    tz: options.tz ?? DEFAULT_TZ,
    timeoutMs: options.timeoutMs ?? 2000,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    maxUsernameSize: options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE,
    maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
  };
  return runCases({
    cases: CLIENT_CASES,
    context: () => new ClientContext(target),
    ...common(options),
  });
}

if (import.meta.main) {
  const { main } = await import("./check/cli.ts");
  Deno.exit(await main(Deno.args));
}
