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
 *
 * @example Telling the reasons apart
 * ```ts
 * import { ProtocolError, type ProtocolErrorCode, ServerDecoder } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * function failure(bytes: number[]): ProtocolErrorCode | undefined {
 *   try {
 *     const decoder = new ServerDecoder({ login() {}, message() {} });
 *     decoder.push(new Uint8Array(bytes));
 *     decoder.end();
 *     return undefined;
 *   } catch (error) {
 *     if (error instanceof ProtocolError) return error.code;
 *     throw error;
 *   }
 * }
 * assert.equal(failure([0, 0, 0, 3, 0x62, 0x6f, 0x62]), undefined); // "bob"
 * assert.equal(failure([0, 0, 0, 3, 0x62, 0x6f]), "TRUNCATED");
 * assert.equal(failure([0, 0, 0, 1, 0xff]), "INVALID_UTF8");
 * assert.equal(failure([0, 0, 0, 0]), "INVALID_USERNAME");
 * assert.equal(failure([0, 0, 1, 0]), "SIZE_LIMIT");
 * ```
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
