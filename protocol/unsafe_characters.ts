/**
 * The one policy on which characters of untrusted text (a peer's user name or
 * message) must never be written out as they are, shared by the server's log and
 * the client's display; each escapes them in its own way.
 *
 * @module
 */

/**
 * Every character that could move the cursor, start a line, reorder what is
 * displayed or send a terminal a command: C0 controls (line breaks and the escape
 * among them), DEL, C1 controls, the line and paragraph separators (U+2028,
 * U+2029), the bidirectional marks, embeddings, overrides and isolates, and lone
 * surrogates. Global and Unicode-aware: meant for `String.prototype.replace`,
 * whose callback receives one character at a time.
 *
 * @example Escaping each unsafe character
 * ```ts
 * import { UNSAFE_CHARACTERS } from "./unsafe_characters.ts";
 * import assert from "node:assert/strict";
 *
 * const shown = "a\nb\u2028c\u202ed 👋".replace(UNSAFE_CHARACTERS, (c) => `<${c.codePointAt(0)}>`);
 * assert.equal(shown, "a<10>b<8232>c<8238>d 👋");
 * ```
 */
export const UNSAFE_CHARACTERS: RegExp =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;
