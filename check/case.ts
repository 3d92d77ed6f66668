/**
 * What a case of the kit is: a numbered rule of the protocol, the sentence that
 * states it, and a check that either passes or throws a {@linkcode CaseFailure}
 * saying what it expected and what it saw.
 *
 * @module
 */

/**
 * Which rules a case checks: the protocol's own (always run), wirechat's
 * extensions (`--extensions`), or what a server or client should do beyond the
 * protocol's must (`--strict`).
 */
export type CaseKind = "protocol" | "extension" | "strict";

/** One case, for a server or for a client. */
export interface CheckCase<Context> {
  /** Its number: the section of the protocol it checks and its place there, `2.3/1`. */
  readonly id: string;
  /** What it checks, in one line. */
  readonly title: string;
  /** The sentence of PROTOCOL.md it tests, quoted. */
  readonly rule: string;
  /** Which rules it belongs to. */
  readonly kind: CaseKind;
  /** The most milliseconds it may take before it counts as failed (10 s by default). */
  readonly timeoutMs?: number;
  /** Runs the check; throws a {@linkcode CaseFailure} when the rule is broken. */
  run(context: Context): Promise<void>;
}

/** A rule broken: what the case expected, and what it saw instead. */
export class CaseFailure extends Error {
  /** What the rule asks for, in this case. */
  readonly expected: string;
  /** What happened. */
  readonly actual: string;

  /**
   * @param expected What the rule asks for, in this case.
   * @param actual What happened.
   */
  constructor(expected: string, actual: string) {
    super(`Expected: ${expected}; actual: ${actual}`);
    this.name = "CaseFailure";
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Fails a case.
 *
 * @example
 * ```ts
 * import { CaseFailure, fail } from "./case.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => fail("an echo", "nothing"), CaseFailure);
 * ```
 *
 * @param expected What the rule asks for.
 * @param actual What happened.
 * @throws {CaseFailure} Always.
 */
export function fail(expected: string, actual: string): never {
  throw new CaseFailure(expected, actual);
}

/** The sections of PROTOCOL.md by number, as the kit numbers them. */
export const SECTIONS: Readonly<Record<string, string>> = {
  "1": "Data types",
  "2.1": "Conversation: login",
  "2.2": "Conversation: sending",
  "2.3": "Conversation: receiving",
  "2.4": "Conversation: order",
  "2.5": "Conversation: leaving",
  "3.1": "Limits",
  "3.2": "Bad input: UTF-8",
  "3.3": "Bad input: one connection never disturbs the others",
  "4": "Displaying messages",
  "5.1": "Extension: history",
  "5.2": "Extension: the server's voice",
  "5.3": "Extension: why",
  "5.5": "Extension: user names",
};

/**
 * The section of a case's number: `2.3` for `2.3/1`.
 *
 * @param id A case's number.
 * @returns Its section.
 */
export function sectionOf(id: string): string {
  return id.split("/")[0]!;
}
