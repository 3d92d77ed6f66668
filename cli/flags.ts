/**
 * The command-line flags of both programs, `wirechat-server` and
 * `wirechat-client`: one parser, one {@linkcode UsageError}, one wording of
 * problems (`invalid value for --port: "abc" (expected an integer from 0 to
 * 65535)`), which each program prints after its name.
 *
 * @module
 */

import { parseArgs } from "node:util";
import denoConfig from "../deno.json" with { type: "json" };

/** The version of the package, from `deno.json`. */
export const VERSION: string = denoConfig.version;

/**
 * The line that `--version` prints: the program's name and the version.
 *
 * @example The server's version line
 * ```ts
 * import { VERSION, versionLine } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(versionLine("wirechat-server"), `wirechat-server ${VERSION}`);
 * ```
 *
 * @param program The installed command's name.
 * @returns The line, without a line ending.
 */
export function versionLine(program: string): string {
  return `${program} ${VERSION}`;
}

/** A misuse of the command line: the message says what is wrong, in one line. */
export class UsageError extends Error {
  /** @param message What is wrong, lower case first, without a final period. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One flag a program accepts. */
export interface FlagSpec {
  /** `string` takes a value (`--port 9000`, `--port=9000`); `boolean` takes none. */
  readonly type: "string" | "boolean";
  /** A one-letter alias, without its `-`. */
  readonly short?: string;
  /** Whether the flag may be repeated, each value kept. */
  readonly multiple?: boolean;
}

/** The values of parsed flags: `true` for a boolean flag given, a string or strings otherwise. */
export type FlagValues<F extends Readonly<Record<string, FlagSpec>>> = {
  -readonly [K in keyof F]?: F[K] extends { readonly type: "boolean" } ? true
    : F[K] extends { readonly multiple: true } ? string[]
    : string;
};

/** What {@linkcode parseFlags} found. */
export interface ParsedFlags<F extends Readonly<Record<string, FlagSpec>>> {
  /** The flags given. */
  readonly values: FlagValues<F>;
  /** The other arguments, in order. */
  readonly positionals: string[];
}

/**
 * Parses command-line arguments against the flags a program accepts.
 *
 * A leading `--` followed by one of the flags is skipped: `deno task start --
 * --port 9001` passes it through to the program, where it means nothing.
 * Otherwise `--` ends the flags, as usual: what follows it is positional
 * (`-- -bob`).
 *
 * @example Flags, a value with `=`, and a positional
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * const flags = { port: { type: "string" }, tls: { type: "boolean" } } as const;
 * const { values, positionals } = parseFlags(["--", "--port=9001", "--tls", "bob"], flags);
 * assert.deepEqual(values, { port: "9001", tls: true });
 * assert.deepEqual(positionals, ["bob"]);
 * ```
 *
 * @param args The arguments, without the program's name.
 * @param flags The flags accepted, by long name.
 * @returns The values and the positional arguments.
 * @throws {UsageError} For an unknown flag, a flag without its value (or whose
 * value looks like a flag: write `--room=-x`), or a boolean flag with a value.
 */
export function parseFlags<F extends Readonly<Record<string, FlagSpec>>>(
  args: readonly string[],
  flags: F,
): ParsedFlags<F> {
  const { tokens } = parseArgs({
    args: args[0] === "--" && isFlag(args[1], flags) ? args.slice(1) : [...args],
    options: flags as Record<string, FlagSpec>,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Record<string, string | string[] | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(flags, token.name) ? flags[token.name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === "boolean") {
      if (token.value !== undefined) {
        throw new UsageError(`option ${token.rawName} takes no value`);
      }
      values[token.name] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined) throw new UsageError(`option ${token.rawName} needs a value`);
    // `--port --host x`: a flag where the value should be (`-1` is a value).
    if (!token.inlineValue && /^-[A-Za-z-]/.test(value)) {
      throw new UsageError(
        `option ${token.rawName} needs a value (write ${token.rawName}=${value} for a value that starts with "-")`,
      );
    }
    if (spec.multiple) {
      const list = values[token.name];
      values[token.name] = Array.isArray(list) ? [...list, value] : [value];
    } else {
      values[token.name] = value;
    }
  }
  return { values: values as FlagValues<F>, positionals };
}

// Whether `arg` is one of `flags`: `--name`, `--name=value` or `-x`.
function isFlag(arg: string | undefined, flags: Readonly<Record<string, FlagSpec>>): boolean {
  const long = /^--([^=]+)/.exec(arg ?? "")?.[1];
  if (long !== undefined) return Object.hasOwn(flags, long);
  const short = /^-(\w)$/.exec(arg ?? "")?.[1];
  return short !== undefined && Object.values(flags).some((spec) => spec.short === short);
}

/**
 * Checks a flag's value as a whole number in a range.
 *
 * @example A port
 * ```ts
 * import { integerValue } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(integerValue("port", "9001", 0, 65535), 9001);
 * assert.throws(
 *   () => integerValue("port", "abc", 0, 65535),
 *   { message: 'invalid value for --port: "abc" (expected an integer from 0 to 65535)' },
 * );
 * ```
 *
 * @param flag The flag's long name, without `--`.
 * @param value The value given.
 * @param min The smallest value accepted.
 * @param max The largest value accepted.
 * @returns The number.
 * @throws {UsageError} When the value is not a whole number from `min` to `max`.
 */
export function integerValue(flag: string, value: string, min: number, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new UsageError(
      `invalid value for --${flag}: "${value}" (expected an integer from ${min} to ${max})`,
    );
  }
  return number;
}

/**
 * Checks a flag's value as a number of seconds, fractions allowed.
 *
 * @example A wait
 * ```ts
 * import { secondsValue } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(secondsValue("wait", "0.5", 0, 3600), 0.5);
 * assert.throws(() => secondsValue("wait", "-1", 0, 3600));
 * ```
 *
 * @param flag The flag's long name, without `--`.
 * @param value The value given.
 * @param min The fewest seconds accepted.
 * @param max The most seconds accepted.
 * @returns The seconds.
 * @throws {UsageError} When the value is not a number of seconds from `min` to `max`.
 */
export function secondsValue(flag: string, value: string, min: number, max: number): number {
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= min && seconds <= max)) {
    throw new UsageError(
      `invalid value for --${flag}: "${value}" (expected seconds from ${min} to ${max})`,
    );
  }
  return seconds;
}

/**
 * Checks that a flag's value is not empty.
 *
 * @example An empty host
 * ```ts
 * import { nonEmptyValue } from "./flags.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => nonEmptyValue("host", ""), { message: "invalid value for --host: it is empty" });
 * ```
 *
 * @param flag The flag's long name, without `--`.
 * @param value The value given.
 * @returns The value.
 * @throws {UsageError} When the value is empty.
 */
export function nonEmptyValue(flag: string, value: string): string {
  if (value === "") throw new UsageError(`invalid value for --${flag}: it is empty`);
  return value;
}
