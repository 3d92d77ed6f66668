/**
 * The error every decoder of the protocol throws.
 *
 * @module
 */

/**
 * What went wrong, machine-readable:
 *
 * - `SIZE_LIMIT`: a string's `size` field exceeds its limit (decided from the 4 size
 *   bytes alone, before any payload is read);
 * - `INVALID_UTF8`: a string's bytes are not well-formed UTF-8;
 * - `TRUNCATED`: the stream ended inside a frame;
 * - `INVALID_USERNAME`: a login user name is empty or holds control characters;
 * - `TIMESTAMP_RANGE`: a timestamp exceeds 2^53 − 1.
 */
export type ProtocolErrorCode =
  | "SIZE_LIMIT"
  | "INVALID_UTF8"
  | "TRUNCATED"
  | "INVALID_USERNAME"
  | "TIMESTAMP_RANGE";

/**
 * A peer broke the protocol. The `code` says how; the message says it to a person.
 *
 * @example Telling a protocol error from other failures
 * ```ts
 * import { ProtocolError } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const error = new ProtocolError(
 *   "SIZE_LIMIT",
 *   "Cannot decode frame: message size 4096 exceeds the limit of 3000",
 * );
 * assert.ok(error instanceof ProtocolError);
 * assert.equal(error.code, "SIZE_LIMIT");
 * ```
 */
export class ProtocolError extends Error {
  /** What went wrong, machine-readable. */
  readonly code: ProtocolErrorCode;

  /**
   * Creates a protocol error.
   *
   * @param code What went wrong.
   * @param message What went wrong, for a person.
   */
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}
