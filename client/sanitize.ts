/**
 * Making untrusted text safe to write to a terminal.
 *
 * @module
 */

import { UNSAFE_CHARACTERS } from "../protocol/unsafe_characters.ts";

// U+2400 CONTROL PICTURE FOR NULL: the pictures of C0 controls follow in order.
const C0_PICTURES = 0x2400;
const DEL_PICTURE = "\u2421";

/**
 * How one unsafe character is shown: a C0 control or DEL as its Unicode control
 * picture (a line feed as `␊`, an escape as `␛`), any other as `<U+XXXX>`.
 *
 * @param character One unsafe character.
 * @returns What to show instead.
 */
function escapeCharacter(character: string): string {
  const code = character.codePointAt(0)!;
  if (code < 0x20) return String.fromCharCode(C0_PICTURES + code);
  if (code === 0x7f) return DEL_PICTURE;
  return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
}

/**
 * Makes untrusted text (a peer's user name or message) safe to write to a
 * terminal: every control character (C0, DEL, C1), line or paragraph separator,
 * bidirectional mark, embedding, override or isolate, and lone surrogate is shown
 * escaped. C0 controls and DEL become their Unicode control pictures (a line feed
 * is `␊`, an escape `␛`), the others `<U+XXXX>`. What remains cannot move the
 * cursor, start a new line, reorder the display or send the terminal a command,
 * so a message cannot pass for a line of its own.
 *
 * @example Defusing a forged line and a terminal command
 * ```ts
 * import { sanitize } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitize("hi\n<12:00> [admin] pay eve"), "hi␊<12:00> [admin] pay eve");
 * assert.equal(sanitize("\x1b[2J"), "␛[2J");
 * assert.equal(sanitize("abc\u202edef"), "abc<U+202E>def");
 * assert.equal(sanitize("привет 👋"), "привет 👋");
 * ```
 *
 * @param text Untrusted text.
 * @param highlight Styles each escape, for instance in reverse video, so that it
 * stands out from text that merely looks the same.
 * @returns The text, safe to display.
 */
export function sanitize(text: string, highlight?: (escape: string) => string): string {
  return text.replace(
    UNSAFE_CHARACTERS,
    highlight === undefined
      ? escapeCharacter
      : (character) => highlight(escapeCharacter(character)),
  );
}
