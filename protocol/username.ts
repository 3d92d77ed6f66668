/**
 * The rules a user name must follow to log in.
 *
 * @module
 */

import { ASTERISK_LOOKALIKES } from "./confusables.ts";
import { ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_USERNAME_SIZE } from "./limits.ts";
import { forbiddenScriptMix } from "./mixed_scripts.ts";
import { utf8ByteLength } from "./utf8.ts";

// Unicode category Cc: C0 controls, DEL and C1 controls.
// deno-lint-ignore no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

// Characters that render invisibly or reorder text: format characters (Cf: zero-width
// spaces and joiners, bidirectional marks and overrides, U+FEFF, soft hyphens, tags),
// the line and paragraph separators (Zl, Zp), every default-ignorable code point
// (U+034F, variation selectors, Hangul fillers), and the blank Braille pattern
// U+2800, which is none of these but shows nothing.
const INVISIBLE_CHARACTER = /[\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;

// The exceptions, visible as part of an emoji: a zero-width joiner between two
// pictographs (the first perhaps with a skin tone or an emoji presentation
// selector) joins them into one emoji, as in 👨‍👩‍👧 or 👩🏽‍💻; the emoji presentation
// selector U+FE0F right after a pictograph, as in ❤️, shows it as an emoji.
const EMOJI_JOINER =
  /(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})/gu;
const EMOJI_PRESENTATION = /(?<=\p{Extended_Pictographic})\uFE0F/gu;

// Printable ASCII without a space at either end: such a name breaks no rule but the
// one against "*", and skips the costlier checks.
const PLAIN_ASCII = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

// A character that shows something: a letter, number, punctuation or symbol.
const VISIBLE_CHARACTER = /[\p{L}\p{N}\p{P}\p{S}]/u;

// Asterisks that the confusables data does not map to "*" but that pass for it in a
// terminal: the dingbat, Slavonic and geometric asterisks and the flower mark.
const MORE_ASTERISKS = "\u2055\u2722\u2723\u2724\u2725\u2731\u2732\u2733\u273a\u273b\u273c" +
  "\u273d\u2743\u2749\u274a\u274b\ua673\u{1f7af}\u{1f7b0}\u{1f7b1}\u{1f7b2}\u{1f7b3}" +
  "\u{1f7b4}\u{1f7b5}\u{1f7b6}\u{1f7b7}\u{1f7b8}\u{1f7b9}\u{1f7ba}\u{1f7bb}\u{1f7bc}" +
  "\u{1f7bd}\u{1f7be}\u{1f7bf}";

/** The name the server speaks under; nobody may log in with it. */
const SERVER_NAME = "*";

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

// One character, perhaps with combining marks: the only names that can pass for "*".
const ONE_CHARACTER = /^\P{M}\p{M}*$/u;

// Whether a name passes for "*": one character after NFKC, without combining marks,
// whose confusable skeleton is "*", or one of the asterisks the data misses.
function looksLikeServer(username: string): boolean {
  if (!ONE_CHARACTER.test(username)) return false;
  const chars = [...username.replace(/\p{M}/gu, "").normalize("NFKC")];
  if (chars.length !== 1) return false;
  const char = chars[0]!;
  return char === SERVER_NAME || ASTERISK_LOOKALIKES.includes(char) ||
    MORE_ASTERISKS.includes(char);
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
 *   (category Cf, e.g. U+200B, U+200E, U+202E, U+2066, U+FEFF, U+00AD), a line or
 *   paragraph separator (U+2028, U+2029), any default-ignorable code point (e.g.
 *   U+034F, the variation selectors U+FE00 to U+FE0F and U+180B, the Hangul fillers
 *   U+115F and U+3164) or the blank Braille pattern U+2800. The zero-width joiner
 *   U+200D is allowed only between two pictographs, where it joins an emoji sequence
 *   such as 👨‍👩‍👧, and the emoji presentation selector U+FE0F only right after a
 *   pictograph, as in ❤️;
 * - begins or ends with whitespace (Unicode `\s`); spaces inside are fine;
 * - shows nothing: no letter, number, punctuation or symbol (categories L, N, P, S);
 * - is `*`, the name the server speaks under, or looks like it: one character that
 *   NFKC or Unicode's confusables data turn into `*` (`＊`, `∗`, `٭`), perhaps with
 *   combining marks, or another asterisk such as `✱`;
 * - mixes scripts in a way the "moderately restrictive" profile of UTS #39 forbids,
 *   such as a Cyrillic а among Latin letters (see `forbiddenScriptMix`).
 *
 * Such names only serve to spoof other users or garble terminals. Names that pass
 * may still look alike (`alice`, `Alice`, `ａｌｉｃｅ`): a server that keeps names
 * unique compares their confusable skeletons.
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
 * assert.throws(() => validateUsername("\uff0a"), /looks like "\*"/);
 * assert.throws(() => validateUsername("alice\u034f"), /U\+034F/);
 * assert.throws(() => validateUsername("\u0430lice"), /mixes scripts .*: Cyrl, Latn/);
 * assert.throws(() => validateUsername("b".repeat(26)), /exceeds the limit of 25/);
 * ```
 *
 * @param username The user name to check.
 * @param maxSize The limit on its size in UTF-8 bytes.
 * @throws {ProtocolError} `INVALID_USERNAME` when it is empty, holds a control or
 * invisible character, begins or ends with whitespace, shows nothing, looks like `*`
 * or mixes scripts; `SIZE_LIMIT` when it is too long.
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
  if (PLAIN_ASCII.test(username)) return;
  const control = CONTROL_CHARACTER.exec(username);
  if (control !== null) {
    throw invalid(`it contains the control character ${codePoint(control[0])}`);
  }
  const invisible = INVISIBLE_CHARACTER.test(username)
    ? INVISIBLE_CHARACTER.exec(username.replace(EMOJI_JOINER, "").replace(EMOJI_PRESENTATION, ""))
    : null;
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
  if (!VISIBLE_CHARACTER.test(username)) {
    throw invalid("it shows nothing: no letter, number, punctuation or symbol");
  }
  if (looksLikeServer(username)) {
    throw invalid(`"${username}" looks like "*", which is reserved for the server`);
  }
  const scripts = forbiddenScriptMix(username);
  if (scripts !== undefined) {
    throw invalid(
      scripts.length < 2
        ? "it holds characters of no known script"
        : `it mixes scripts that pass for each other: ${scripts.join(", ")}`,
    );
  }
}
