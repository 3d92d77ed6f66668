/**
 * The text of whatever was thrown, for a log line or a one-line error.
 *
 * @module
 */

/**
 * The message of an error, or the thrown value as text.
 *
 * @param error Whatever was thrown or rejected with.
 * @returns `error.message` for an `Error`, else `String(error)`.
 *
 * @example
 * ```ts
 * import { errorMessage } from "./error_message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(errorMessage(new RangeError("Port out of range")), "Port out of range");
 * assert.equal(errorMessage("plain text"), "plain text");
 * ```
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The message of an error on one line: runs of white space (line breaks among
 * them) become one space, and an empty message reads `unknown error`.
 *
 * @param error Whatever was thrown or rejected with.
 * @returns One line for a log.
 *
 * @example
 * ```ts
 * import { oneLineMessage } from "./error_message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(oneLineMessage(new Error("timeout\n  at connect")), "timeout at connect");
 * assert.equal(oneLineMessage(new Error("")), "unknown error");
 * ```
 */
export function oneLineMessage(error: unknown): string {
  return errorMessage(error).replace(/\s+/g, " ").trim() || "unknown error";
}
