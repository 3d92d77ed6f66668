import assert from "node:assert/strict";
import { graphemes, graphemeWidth, textWidth } from "../../client/command/terminal/text_width.ts";

Deno.test("graphemeWidth: narrow, wide, zero-width and emoji graphemes", () => {
  const widths: [string, number][] = [
    ["a", 1],
    ["é", 1],
    ["e\u0301", 1],
    ["ж", 1],
    ["中", 2],
    ["한", 2],
    ["ｱ", 1], // halfwidth katakana
    ["Ａ", 2], // fullwidth Latin
    ["😀", 2],
    ["👋🏽", 2],
    ["👨‍👩‍👧", 2],
    ["🇫🇷", 2],
    ["❤️", 2],
    ["#️⃣", 2],
    ["\u0301", 0],
    ["\u200b", 0],
  ];
  for (const [grapheme, width] of widths) {
    assert.equal(graphemeWidth(grapheme), width, JSON.stringify(grapheme));
  }
});

Deno.test("textWidth adds up graphemes; graphemes keeps clusters whole", () => {
  assert.equal(textWidth("ab中e\u0301👋🏽"), 7);
  assert.deepEqual(graphemes("ae\u0301👋🏽"), ["a", "e\u0301", "👋🏽"]);
});
