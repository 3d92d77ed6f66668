/**
 * The rules a user name must follow to log in.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_USERNAME_SIZE } from "./limits.ts";
import { utf8ByteLength } from "./utf8.ts";

// Unicode category Cc: C0 controls, DEL and C1 controls.
// deno-lint-ignore no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a user name as the server does at login: not empty, no control character
 * (Unicode category Cc), at most `maxSize` bytes of UTF-8. Such names are refused
 * because they only serve to spoof other users or garble terminals.
 *
 * @example Refusing a user name before connecting
 * ```ts
 * import { ProtocolError, validateUsername } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * validateUsername("bob");
 * assert.throws(() => validateUsername("bob\n"), ProtocolError);
 * assert.throws(() => validateUsername("b".repeat(26)), /exceeds the limit of 25/);
 * ```
 *
 * @param username The user name to check.
 * @param maxSize The limit on its size in UTF-8 bytes.
 * @throws {ProtocolError} `INVALID_USERNAME` when it is empty or holds a control
 * character, `SIZE_LIMIT` when it is too long.
 */
export function validateUsername(
  username: string,
  maxSize: number = DEFAULT_MAX_USERNAME_SIZE,
): void {
  if (username.length === 0) {
    throw new ProtocolError("INVALID_USERNAME", "Invalid user name: it is empty");
  }
  const size = utf8ByteLength(username);
  if (size > maxSize) {
    throw new ProtocolError(
      "SIZE_LIMIT",
      `Invalid user name: its size ${size} exceeds the limit of ${maxSize} bytes`,
    );
  }
  const control = CONTROL_CHARACTER.exec(username);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new ProtocolError(
      "INVALID_USERNAME",
      `Invalid user name: it contains the control character U+${code}`,
    );
  }
}
