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

// Characters that render invisibly or reorder text: format characters (Cf: zero-width
// spaces and joiners, bidirectional marks and overrides, U+FEFF, soft hyphens, tags)
// and the line and paragraph separators (Zl, Zp).
const INVISIBLE_CHARACTER = /[\p{Cf}\p{Zl}\p{Zp}]/u;

// The one exception: a zero-width joiner between two pictographs (the first perhaps
// with a skin tone or an emoji presentation selector) joins them into one emoji, as
// in 👨‍👩‍👧 or 👩🏽‍💻; it is visible as that emoji.
const EMOJI_JOINER =
  /(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})/gu;

/** The name the server speaks under; nobody may log in with it. */
const SERVER_NAME = "*";

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

function invalid(reason: string): ProtocolError {
  return new ProtocolError("INVALID_USERNAME", `Invalid user name: ${reason}`);
}

/**
 * Checks a user name as the server does at login. A name is refused when it:
 *
 * - is empty, or more than `maxSize` bytes of UTF-8;
 * - contains a control character (Unicode category Cc);
 * - contains a character that renders invisibly or reorders text: a format character
 *   (category Cf, e.g. U+200B, U+200E, U+202E, U+2066, U+FEFF, U+00AD) or a line or
 *   paragraph separator (U+2028, U+2029). The zero-width joiner U+200D is allowed
 *   only between two pictographs, where it joins an emoji sequence such as 👨‍👩‍👧;
 * - begins or ends with whitespace (Unicode `\s`); spaces inside are fine;
 * - is exactly `*`, the name the server speaks under.
 *
 * Such names only serve to spoof other users or garble terminals.
 *
 * @example Refusing a user name before connecting
 * ```ts
 * import { ProtocolError, validateUsername } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * validateUsername("bob");
 * validateUsername("Анна Б.");
 * assert.throws(() => validateUsername("bob\n"), ProtocolError);
 * assert.throws(() => validateUsername("bob\u200b"), /U\+200B/);
 * assert.throws(() => validateUsername("bob "), /ends with whitespace/);
 * assert.throws(() => validateUsername("*"), /reserved for the server/);
 * assert.throws(() => validateUsername("b".repeat(26)), /exceeds the limit of 25/);
 * ```
 *
 * @param username The user name to check.
 * @param maxSize The limit on its size in UTF-8 bytes.
 * @throws {ProtocolError} `INVALID_USERNAME` when it is empty, holds a control or
 * invisible character, begins or ends with whitespace or is `*`; `SIZE_LIMIT` when it
 * is too long.
 */
export function validateUsername(
  username: string,
  maxSize: number = DEFAULT_MAX_USERNAME_SIZE,
): void {
  if (username.length === 0) throw invalid("it is empty");
  const size = utf8ByteLength(username);
  if (size > maxSize) {
    throw new ProtocolError(
      "SIZE_LIMIT",
      `Invalid user name: its size ${size} exceeds the limit of ${maxSize} bytes`,
    );
  }
  if (username === SERVER_NAME) throw invalid(`"*" is reserved for the server`);
  const control = CONTROL_CHARACTER.exec(username);
  if (control !== null) {
    throw invalid(`it contains the control character ${codePoint(control[0])}`);
  }
  const invisible = INVISIBLE_CHARACTER.exec(username.replace(EMOJI_JOINER, ""));
  if (invisible !== null) {
    throw invalid(
      `it contains ${codePoint(invisible[0])}, which renders invisibly or reorders text`,
    );
  }
  if (/^\s/u.test(username)) {
    throw invalid(`it begins with whitespace (${codePoint(username)})`);
  }
  if (/\s$/u.test(username)) {
    throw invalid(`it ends with whitespace (${codePoint(username.at(-1)!)})`);
  }
}
