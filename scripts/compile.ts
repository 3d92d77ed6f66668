#!/usr/bin/env -S deno run --allow-read --allow-write --allow-run
/**
 * Builds wirechat's standalone binaries with `deno compile`: the server, the
 * client and the conformance kit, each with exactly the permissions and flags
 * that `deno task start`, `deno task client` and `deno task check` give it, and
 * nothing more.
 *
 * ```sh
 * deno task compile        # this machine: dist/wirechat-server, dist/wirechat-client, dist/wirechat-check
 * deno task compile:all    # every target: dist/wirechat-server-aarch64-apple-darwin, ...
 * deno run --allow-read --allow-write --allow-run scripts/compile.ts \
 *   --target x86_64-pc-windows-msvc --out-dir build
 * ```
 *
 * Binaries for another system than this one carry the target in their name,
 * with `.exe` for Windows. `deno compile` builds on a runtime, `denort`, that it
 * downloads once per target and Deno version into Deno's cache
 * (`$DENO_DIR/dl/release/v<version>/denort-<target>.zip`); offline, point
 * `DENORT_BIN` to a `denort` binary for the target.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { errorMessage } from "../cli/error_message.ts";

/** Every target `deno compile --target` accepts. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
  "aarch64-pc-windows-msvc",
] as const;

/** A target of `deno compile`. */
export type Target = typeof TARGETS[number];

/** One program to compile: its name, its entry point and what `deno run` gives it. */
export interface Program {
  /** The binary's name, without a target or an extension. */
  readonly name: string;
  /** The entry point, relative to the project's root. */
  readonly entry: string;
  /** Permissions and runtime flags, as `deno run` takes them. */
  readonly flags: readonly string[];
}

/** The three programs. Their flags are those of their shebangs and of `deno task`. */
export const PROGRAMS: readonly Program[] = [
  {
    name: "wirechat-server",
    entry: "server.ts",
    flags: ["--allow-net", "--v8-flags=--max-semi-space-size=1"],
  },
  { name: "wirechat-client", entry: "client.ts", flags: ["--allow-net"] },
  {
    name: "wirechat-check",
    entry: "check.ts",
    flags: ["--allow-net", "--allow-run", "--allow-write"],
  },
];

const ROOT = new URL("../", import.meta.url);

/**
 * Where a binary goes: `<outDir>/<name>` for this machine,
 * `<outDir>/<name>-<target>` for a target, with `.exe` for Windows.
 *
 * @param program The program.
 * @param outDir The output folder.
 * @param target The target, or undefined for this machine.
 * @returns The path of the binary.
 */
export function outputPath(program: Program, outDir: string, target?: Target): string {
  const windows = target === undefined ? Deno.build.os === "windows" : target.includes("windows");
  const suffix = target === undefined ? "" : `-${target}`;
  return `${outDir}/${program.name}${suffix}${windows ? ".exe" : ""}`;
}

/**
 * The arguments of `deno` that compile a program.
 *
 * @param program The program.
 * @param output Where the binary goes.
 * @param target The target, or undefined for this machine.
 * @returns The arguments, starting with `compile`.
 */
export function compileArgs(program: Program, output: string, target?: Target): string[] {
  // No --include: deno.json (for --version) and the command's modules, loaded with
  // import(), are static specifiers, which deno compile embeds on its own.
  return [
    "compile",
    "--quiet",
    ...program.flags,
    ...(target === undefined ? [] : ["--target", target]),
    "--output",
    output,
    new URL(program.entry, ROOT).href,
  ];
}

/** `deno compile` failed: the message says why, in one line, without Deno's backtrace. */
export class CompileError extends Error {
  /** @param message What failed, and the way out when there is one. */
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}

/**
 * What `deno compile` printed on failure, in one line: the runtime it could not
 * get (offline: "set DENORT_BIN"), or its first error line and the root cause.
 *
 * @param stderr What `deno compile` wrote to standard error.
 * @returns One line, without colours.
 */
export function describeCompileFailure(stderr: string): string {
  // deno-lint-ignore no-control-regex
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("Stack backtrace:")[0]!;
  const lines = text.split("\n").map((line) => line.trim());
  const first = lines.find((line) => line.startsWith("error: "))?.slice(7) ??
    lines.find((line) => line !== "") ?? "no error message";
  const causes = lines.filter((line) => /^\d+: /.test(line)).map((line) =>
    line.replace(/^\d+: /, "")
  );
  const root = causes.at(-1);
  if (causes.some((cause) => /denort|dl\.deno\.land|base binary/i.test(cause))) {
    const what = causes.find((cause) => /Could not find denort/.test(cause)) ??
      `cannot get its runtime, denort${root === undefined ? "" : ` (${root})`}`;
    return `deno compile failed: ${what}; offline, set DENORT_BIN to a denort binary for the ` +
      "target (see --help)";
  }
  return `deno compile failed: ${first}${root === undefined ? "" : ` (${root})`}`;
}

/**
 * Compiles one program with the `deno` that runs this script.
 *
 * @param program The program.
 * @param outDir The output folder; created if missing.
 * @param target The target, or undefined for this machine.
 * @returns The path of the binary.
 * @throws {CompileError} When `deno compile` fails, with its reason in one line.
 */
export async function compile(program: Program, outDir: string, target?: Target): Promise<string> {
  await Deno.mkdir(outDir, { recursive: true });
  const output = outputPath(program, outDir, target);
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(program, output, target),
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (!success) throw new CompileError(describeCompileFailure(new TextDecoder().decode(stderr)));
  return output;
}

const HELP = `Builds wirechat's standalone binaries with deno compile.

USAGE:
  deno task compile [options]
  deno run --allow-read --allow-write --allow-run scripts/compile.ts [options]

OPTIONS:
  --target <target>  Build for this target (repeatable); without it, for this machine:
                     ${TARGETS.join("\n                     ")}
  --all              Build for every target
  --out-dir <dir>    Where the binaries go (default: dist)
  -h, --help         Print this help and exit

ENVIRONMENT:
  DENORT_BIN         A denort binary for the target: deno compile builds on it
                     instead of downloading its runtime (the way to build offline;
                     once online, the download is cached for next time)

On a failure, the one line that says why, exit status 1; an output folder made for
this run is removed again.`;

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        target: { type: "string", multiple: true },
        all: { type: "boolean" },
        "out-dir": { type: "string", default: "dist" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`compile: ${errorMessage(error)}\n\n${HELP}`);
    return 1;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const unknown = values.target?.find((target) => !(TARGETS as readonly string[]).includes(target));
  if (unknown !== undefined) {
    console.error(`compile: unknown target "${unknown}" (expected one of ${TARGETS.join(", ")})`);
    return 1;
  }
  const targets: (Target | undefined)[] = values.all
    ? [...TARGETS]
    : (values.target as Target[] | undefined) ?? [undefined];
  const outDir = values["out-dir"];
  const madeOutDir = !(await exists(outDir));
  for (const target of targets) {
    for (const program of PROGRAMS) {
      let output;
      try {
        output = await compile(program, outDir, target);
      } catch (error) {
        if (!(error instanceof CompileError)) throw error;
        const what = `${program.name} for ${target ?? "this machine"}`;
        console.error(`compile: cannot build ${what}: ${error.message}`);
        // Not an empty dist/ left behind; a folder with binaries in it stays.
        if (madeOutDir) await Deno.remove(outDir).catch(() => {});
        return 1;
      }
      console.log(`built ${output}`);
    }
  }
  return 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
