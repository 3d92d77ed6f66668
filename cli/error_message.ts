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
