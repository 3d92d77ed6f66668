/**
 * The command `wirechat-check`: parses its arguments, runs the server cases,
 * the client cases or the load scenarios, prints the report and returns the
 * exit status.
 *
 * @module
 */

import { errorMessage } from "../cli/error_message.ts";
import { formatHostPort } from "../cli/host_port.ts";
import {
  integerValue,
  nonEmptyValue,
  parseFlags,
  secondsValue,
  UsageError,
  versionLine,
} from "../cli/flags.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../protocol/limits.ts";
import { formatBenchRun, runBench, SCENARIO_KEYS } from "./bench.ts";
import type { CheckCase } from "./case.ts";
import { CLIENT_CASES } from "./client_cases.ts";
import { ClientContext, DEFAULT_TZ } from "./client_context.ts";
import type { ScenarioKey } from "./load/scenarios.ts";
import { jsonReport } from "./report_json.ts";
import { junitReport } from "./report_junit.ts";
import { formatResult, formatSummary } from "./report_text.ts";
import { type CaseResult, type Disposable, runCases, selectCases, tally } from "./runner.ts";
import { SERVER_CASES } from "./server_cases.ts";
import { ServerContext } from "./server_context.ts";

const PROGRAM = "wirechat-check";

const USAGE = `Checks any implementation of the wirechat protocol: a server, a client, or a
server's speed.

INSTALL:
  deno install -g -N --allow-run --allow-write -c deno.json -n wirechat-check ./check.ts

USAGE:
  wirechat-check server HOST:PORT [options]
  wirechat-check client [options] -- COMMAND [ARGS...]
  wirechat-check bench HOST:PORT [--scenario NAME,...] [--quick] [--json FILE]
  wirechat-check server --list | client --list

  client starts COMMAND against a server of the kit's own; in its arguments {host},
  {port} and {name} become the address to connect to and the user name to log in as:
    wirechat-check client -- python3 client.py --host {host} --port {port} {name}

OPTIONS (server and client):
  --max-username-size N   the limit agreed with the implementation, in bytes (${DEFAULT_MAX_USERNAME_SIZE})
  --max-message-size N    the limit agreed with the implementation, in bytes (${DEFAULT_MAX_MESSAGE_SIZE})
  --extensions            also run the cases of wirechat's extensions (history, the
                          server's voice *, why, user name rules)
  --strict                also run the cases of what an implementation SHOULD do
  --only ID,...           run only these cases (even extension or strict ones)
  --list                  list the cases and exit
  --json FILE             also write the results as JSON
  --junit FILE            also write the results as JUnit XML
  --timeout SECONDS       how long to wait for what must happen (2)
  --tz ZONE               client: the TZ the client runs in (${DEFAULT_TZ})
  --start-timeout SECONDS client: how long it may take to start and connect (10)

OPTIONS (bench):
  --scenario NAME,...     ${SCENARIO_KEYS.join(", ")} (all)
  --quick                 5x fewer messages, 1,000 idle clients: quick, and noisy
  --json FILE             also write the measurements as JSON

  -h, --help              print this help
  --version               print the version

EXIT STATUS: 0 when every case run passed (bench: every run clean), 1 when one
failed, 2 when the server cannot be reached or the arguments are wrong.`;

const FLAGS = {
  "max-username-size": { type: "string" },
  "max-message-size": { type: "string" },
  extensions: { type: "boolean" },
  strict: { type: "boolean" },
  only: { type: "string" },
  list: { type: "boolean" },
  json: { type: "string" },
  junit: { type: "string" },
  timeout: { type: "string" },
  tz: { type: "string" },
  "start-timeout": { type: "string" },
  scenario: { type: "string" },
  quick: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** Where to write things; the tests give their own. */
export interface Output {
  /** Writes to standard output. */
  readonly out: (text: string) => void;
  /** Writes to standard error. */
  readonly err: (text: string) => void;
}

const encoder = new TextEncoder();

/** Writes all of `text`; a reader that went away (`| head`) is not an error. */
function writeAll(stream: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = encoder.encode(text);
  try {
    for (let at = 0; at < bytes.length;) at += stream.writeSync(bytes.subarray(at));
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

const STANDARD: Output = {
  out: (text) => writeAll(Deno.stdout, text),
  err: (text) => writeAll(Deno.stderr, text),
};

/**
 * Parses `HOST:PORT` (`[::1]:9000` for IPv6).
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseHostPort("127.0.0.1:9000"), { hostname: "127.0.0.1", port: 9000 });
 * assert.deepEqual(parseHostPort("[::1]:9001"), { hostname: "::1", port: 9001 });
 * ```
 *
 * @param text The address.
 * @returns The host and the port.
 * @throws {UsageError} When it is not `HOST:PORT`.
 */
export function parseHostPort(text: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(text);
  if (match === null) throw new UsageError(`expected HOST:PORT, got "${text}"`);
  return {
    hostname: match[1] ?? match[2]!,
    port: integerValue("port", match[3]!, 1, 65535),
  };
}

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @param output Where to print (standard output and error by default).
 * @returns The exit status: 0 all passed, 1 a case failed, 2 unreachable or misused.
 */
export async function main(args: readonly string[], output: Output = STANDARD): Promise<number> {
  const separator = args.indexOf("--");
  const own = separator < 0 ? args : args.slice(0, separator);
  const command = separator < 0 ? [] : args.slice(separator + 1);
  let parsed;
  try {
    parsed = parseFlags(own, FLAGS);
  } catch (error) {
    return misuse(output, errorMessage(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    output.out(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    output.out(`${versionLine(PROGRAM)}\n`);
    return 0;
  }
  const [mode, ...rest] = positionals;
  try {
    if (mode === "server") return await server(rest, values, output);
    if (mode === "client") return await client(rest, command, values, output);
    if (mode === "bench") return await bench(rest, values, output);
    throw new UsageError(
      mode === undefined ? "say what to check: server, client or bench" : `unknown mode "${mode}"`,
    );
  } catch (error) {
    if (error instanceof UsageError || error instanceof RangeError) {
      return misuse(output, errorMessage(error));
    }
    throw error;
  }
}

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>["values"];

function misuse(output: Output, problem: string): number {
  output.err(`${PROGRAM}: ${problem}\n\nRun ${PROGRAM} --help for the usage.\n`);
  return 2;
}

function limits(values: Values) {
  const size = (flag: "max-username-size" | "max-message-size", fallback: number) =>
    values[flag] === undefined ? fallback : integerValue(flag, values[flag], 1, 16 * 1024 * 1024);
  return {
    maxUsernameSize: size("max-username-size", DEFAULT_MAX_USERNAME_SIZE),
    maxMessageSize: size("max-message-size", DEFAULT_MAX_MESSAGE_SIZE),
    timeoutMs: secondsValue("timeout", values.timeout ?? "2", 0.1, 600) * 1000,
  };
}

function only(values: Values): Set<string> | undefined {
  if (values.only === undefined) return undefined;
  return new Set(values.only.split(",").map((id) => id.trim()).filter((id) => id !== ""));
}

function onlyCheckFlags(values: Values, mode: string): void {
  for (const flag of ["scenario", "quick"] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is for bench, not ${mode}`);
  }
}

function listCases<C>(cases: readonly CheckCase<C>[], output: Output): number {
  for (const item of cases) {
    const kind = item.kind === "protocol" ? "" : ` [${item.kind}]`;
    output.out(`${item.id.padEnd(7)} ${item.title}${kind}\n`);
  }
  return 0;
}

async function server(rest: string[], values: Values, output: Output): Promise<number> {
  onlyCheckFlags(values, "server");
  if (values.tz !== undefined || values["start-timeout"] !== undefined) {
    throw new UsageError("--tz and --start-timeout are for client");
  }
  if (values.list) return listCases(selectCases(SERVER_CASES, only(values)), output);
  if (rest.length !== 1) throw new UsageError("server needs one HOST:PORT");
  const { hostname, port } = parseHostPort(rest[0]!);
  const target = { hostname, port, ...limits(values) };
  const wanted = only(values);
  selectCases(SERVER_CASES, wanted);
  const address = formatHostPort(hostname, port);
  if (!await reachable(hostname, port, output)) return 2;
  const name = `server ${address}`;
  output.out(
    `${
      versionLine(PROGRAM)
    }: ${name} (max-username-size ${target.maxUsernameSize}, max-message-size ${target.maxMessageSize})\n\n`,
  );
  return await report(name, SERVER_CASES, () => new ServerContext(target), values, output);
}

async function client(
  rest: string[],
  command: string[],
  values: Values,
  output: Output,
): Promise<number> {
  onlyCheckFlags(values, "client");
  if (values.list) return listCases(selectCases(CLIENT_CASES, only(values)), output);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}" before --`);
  if (command.length === 0) throw new UsageError("client needs -- COMMAND [ARGS...]");
  const tz = nonEmptyValue("tz", values.tz ?? DEFAULT_TZ);
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
  } catch {
    throw new UsageError(`invalid value for --tz: "${tz}" is not a time zone`);
  }
  const found = findProgram(command[0]!);
  if (found !== undefined) {
    output.err(`${PROGRAM}: cannot run ${command[0]}: ${found}\n`);
    return 2;
  }
  const target = {
    command,
    tz,
    startTimeoutMs: secondsValue("start-timeout", values["start-timeout"] ?? "10", 0.1, 600) *
      1000,
    ...limits(values),
  };
  selectCases(CLIENT_CASES, only(values));
  const name = `client ${command.join(" ")}`;
  output.out(`${versionLine(PROGRAM)}: ${name} (TZ=${tz})\n\n`);
  return await report(name, CLIENT_CASES, () => new ClientContext(target), values, output);
}

/** Why `program` cannot be run, or undefined when it can be found. */
function findProgram(program: string): string | undefined {
  const candidates = program.includes("/")
    ? [program]
    : (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "").map((d) => `${d}/${program}`);
  for (const candidate of candidates) {
    try {
      if (Deno.statSync(candidate).isFile) return undefined;
    } catch {
      // Not there.
    }
  }
  return program.includes("/") ? "no such file" : "not found on PATH";
}

async function report<C extends Disposable>(
  name: string,
  cases: readonly CheckCase<C>[],
  context: () => C,
  values: Values,
  output: Output,
): Promise<number> {
  let previous: CaseResult | undefined;
  const results = await runCases({
    cases,
    ...(values.only === undefined ? {} : { only: only(values)! }),
    extensions: values.extensions === true,
    strict: values.strict === true,
    context,
    onResult(result) {
      output.out(formatResult(result, previous));
      previous = result;
    },
  });
  output.out(`\n${formatSummary(results)}\n`);
  if (values.json !== undefined) await Deno.writeTextFile(values.json, jsonReport(name, results));
  if (values.junit !== undefined) {
    await Deno.writeTextFile(values.junit, junitReport(name, results));
  }
  return tally(results).failed > 0 ? 1 : 0;
}

async function bench(rest: string[], values: Values, output: Output): Promise<number> {
  for (const flag of ["extensions", "strict", "only", "list", "junit", "tz"] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is not for bench`);
  }
  if (rest.length !== 1) throw new UsageError("bench needs one HOST:PORT");
  const { hostname, port } = parseHostPort(rest[0]!);
  const scenarios = values.scenario?.split(",").map((key) => {
    if (!SCENARIO_KEYS.includes(key as ScenarioKey)) {
      throw new UsageError(
        `invalid value for --scenario: "${key}" (expected ${SCENARIO_KEYS.join(", ")})`,
      );
    }
    return key as ScenarioKey;
  });
  const address = formatHostPort(hostname, port);
  if (!await reachable(hostname, port, output)) return 2;
  output.out(`${versionLine(PROGRAM)}: bench ${address}${values.quick ? " (quick)" : ""}\n\n`);
  const controller = new AbortController();
  const abort = () => controller.abort();
  Deno.addSignalListener("SIGINT", abort);
  try {
    const runs = await runBench({
      hostname,
      port,
      ...(scenarios === undefined ? {} : { scenarios }),
      quick: values.quick === true,
      signal: controller.signal,
      onProgress: (line) => output.err(`bench: ${line}\n`),
      onStatus: (line) => output.err(`bench: ${line}\n`),
      onRun: (run) => output.out(`${formatBenchRun(run)}\n`),
    });
    if (values.json !== undefined) {
      await Deno.writeTextFile(
        values.json,
        `${
          JSON.stringify(
            {
              target: `bench ${address}`,
              runs: runs.map((r) => ({ scenario: r.scenario.name, ...r.result })),
            },
            null,
            2,
          )
        }\n`,
      );
    }
    return runs.every((run) => run.result.ok) ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", abort);
  }
}

// Whether a connection to the target opens; says why not on standard error.
async function reachable(hostname: string, port: number, output: Output): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return true;
  } catch (error) {
    output.err(
      `${PROGRAM}: cannot reach ${formatHostPort(hostname, port)}: ${errorMessage(error)}\n`,
    );
    return false;
  }
}
