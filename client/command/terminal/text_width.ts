/**
 * How many terminal columns text takes, grapheme by grapheme.
 *
 * @module
 */

const segmenter = new Intl.Segmenter();

// A grapheme that starts with a combining mark or a format character has no width
// of its own (Hangul medial and final jamo combine with the initial one).
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff]/u;
// Emoji shown as pictures take two columns: those presented so by default, those
// asked for with VARIATION SELECTOR-16, keycaps, and flags (pairs of regional
// indicators, which are emoji presentation).
const WIDE_EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\ufe0f|\u20e3/u;

// East Asian Wide and Fullwidth ranges (Unicode 15), first code point to last.
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x16ff0, 0x16ff1],
  [0x17000, 0x18cd5],
  [0x18d00, 0x18d08],
  [0x1aff0, 0x1b2fb],
  [0x1f200, 0x1f2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function isWide(code: number): boolean {
  let low = 0;
  let high = WIDE_RANGES.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const [first, last] = WIDE_RANGES[middle]!;
    if (code < first) high = middle - 1;
    else if (code > last) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * Splits text into graphemes: what a person sees as one character, such as `é`
 * written as `e` and a combining accent, or a family emoji.
 *
 * @param text Any text.
 * @returns Its graphemes, in order.
 */
export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), ({ segment }) => segment);
}

/**
 * The columns one grapheme takes in a terminal: 0, 1 or 2.
 *
 * @param grapheme One grapheme, without control characters.
 * @returns Its width.
 */
export function graphemeWidth(grapheme: string): number {
  const code = grapheme.codePointAt(0);
  if (code === undefined) return 0;
  if (code < 0x300 && grapheme.length === 1) return 1; // the common case, at once
  if (ZERO_WIDTH.test(grapheme)) return 0;
  return isWide(code) || WIDE_EMOJI.test(grapheme) ? 2 : 1;
}

/**
 * The columns text takes in a terminal.
 *
 * @param text Text without control characters.
 * @returns Its width.
 */
export function textWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text)) width += graphemeWidth(segment);
  return width;
}
