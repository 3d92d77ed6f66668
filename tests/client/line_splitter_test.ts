import assert from "node:assert/strict";
import { type InputLine, LineSplitter } from "../../client/command/line_splitter.ts";
import { concat, splitAt } from "../support/chunks.ts";

const encoder = new TextEncoder();

function split(input: string | Uint8Array, limit = 3000, cuts: number[] = []): InputLine[] {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  const splitter = new LineSplitter(limit);
  return [...splitAt(bytes, cuts).flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
}

const texts = (lines: InputLine[]) => lines.map(({ text }) => text);

Deno.test("LineSplitter cuts at \\n and \\r\\n and keeps everything else", () => {
  assert.deepEqual(texts(split("a\nb\r\n\n  spaced\t \r\nlone\rcr\n")), [
    "a",
    "b",
    "",
    "  spaced\t ",
    "lone\rcr",
  ]);
});

Deno.test("LineSplitter gives the last line without a line ending", () => {
  assert.deepEqual(texts(split("a\nlast")), ["a", "last"]);
  assert.deepEqual(texts(split("a\n")), ["a"]);
  assert.deepEqual(texts(split("")), []);
  assert.deepEqual(texts(split("\n")), [""]);
});

Deno.test("LineSplitter gives the same lines for every split point", () => {
  const input = encoder.encode("héllo\r\nмир 👋\n\nend\r\n");
  for (let cut = 0; cut <= input.length; cut++) {
    assert.deepEqual(
      texts(split(input, 3000, [cut])),
      ["héllo", "мир 👋", "", "end"],
      `cut ${cut}`,
    );
  }
});

Deno.test("LineSplitter counts sizes in UTF-8 bytes", () => {
  assert.deepEqual(split("ab\nж😀\n"), [{ text: "ab", size: 2 }, { text: "ж😀", size: 6 }]);
});

Deno.test("LineSplitter refuses a line over the limit and keeps the next", () => {
  assert.deepEqual(split("1234\n12345\n123\n", 4), [
    { text: "1234", size: 4 },
    { text: undefined, size: 5 },
    { text: "123", size: 3 },
  ]);
  // The \r of a \r\n does not count.
  assert.deepEqual(split("1234\r\n", 4), [{ text: "1234", size: 4 }]);
  // Multi-byte: "жж" is 4 bytes, "жжж" 6.
  assert.deepEqual(texts(split("жж\nжжж\n", 4)), ["жж", undefined]);
});

Deno.test("LineSplitter replaces bytes that are not UTF-8 and counts the result", () => {
  const bytes = concat([encoder.encode("a"), new Uint8Array([0xff]), encoder.encode("b\n")]);
  assert.deepEqual(split(bytes), [{ text: "a\ufffdb", size: 5 }]);
  assert.deepEqual(split(bytes, 4), [{ text: undefined, size: 5 }]);
});

Deno.test("LineSplitter keeps a byte order mark", () => {
  assert.deepEqual(texts(split("\ufeffbom\n")), ["\ufeffbom"]);
});

Deno.test("LineSplitter does not hold a huge line in memory", () => {
  const splitter = new LineSplitter(10);
  const chunk = new Uint8Array(1 << 20).fill(0x61);
  for (let i = 0; i < 64; i++) assert.deepEqual(splitter.push(chunk), []);
  assert.deepEqual(splitter.push(encoder.encode("\nok\n")), [
    { text: undefined, size: 64 << 20 },
    { text: "ok", size: 2 },
  ]);
});
