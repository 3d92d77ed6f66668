// deno-lint-ignore-file no-control-regex -- these tests are about control characters
import assert from "node:assert/strict";
import { formatMessage } from "../../client/format.ts";
import { sanitize } from "../../client/sanitize.ts";
import { Random, testSeed } from "../support/random.ts";
import { VirtualTerminal } from "../support/virtual_terminal.ts";

const hex = (code: number) => code.toString(16).toUpperCase().padStart(4, "0");
const range = (first: number, last: number) =>
  Array.from({ length: last - first + 1 }, (_, i) => first + i);

// What a terminal could act on, rather than show: what must never come out.
const ACTIONABLE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

Deno.test("sanitize shows every C0 control as its control picture", () => {
  for (const code of range(0x00, 0x1f)) {
    assert.equal(
      sanitize(`a${String.fromCharCode(code)}b`),
      `a${String.fromCharCode(0x2400 + code)}b`,
    );
  }
  assert.equal(sanitize("line\nbreak\r\ttab\x1b[31m"), "line␊break␍␉tab␛[31m");
});

Deno.test("sanitize shows DEL as its control picture", () => {
  assert.equal(sanitize("a\x7fb"), "a␡b");
});

Deno.test("sanitize escapes every C1 control", () => {
  for (const code of range(0x80, 0x9f)) {
    assert.equal(sanitize(`a${String.fromCharCode(code)}b`), `a<U+${hex(code)}>b`);
  }
  // CSI and NEL, the C1 forms of an escape sequence and of a line break.
  assert.equal(sanitize("\x9b2J\x85"), "<U+009B>2J<U+0085>");
});

Deno.test("sanitize escapes bidirectional overrides, embeddings, isolates and marks", () => {
  const bidi = [...range(0x202a, 0x202e), ...range(0x2066, 0x2069), 0x200e, 0x200f, 0x061c];
  for (const code of bidi) {
    assert.equal(sanitize(`a${String.fromCharCode(code)}b`), `a<U+${hex(code)}>b`);
  }
  // The classic: a file name that reads "exe.txt" backwards.
  assert.equal(sanitize("invoice\u202etxt.exe"), "invoice<U+202E>txt.exe");
});

Deno.test("sanitize escapes the line and paragraph separators", () => {
  assert.equal(sanitize("a\u2028b\u2029c"), "a<U+2028>b<U+2029>c");
});

Deno.test("sanitize escapes lone surrogates and keeps pairs", () => {
  assert.equal(sanitize("a\ud800b\udc00c"), "a<U+D800>b<U+DC00>c");
  assert.equal(sanitize("\ud83d\ude00"), "😀");
});

Deno.test("sanitize keeps ordinary text of every script as it is", () => {
  const texts = [
    'plain ASCII: <12:00> [bob] ~!@#$%^&*()_+{}|:"?',
    "Кириллица, Ελληνικά, עברית, العربية, हिन्दी, 中文, 日本語, 한국어",
    "e\u0301 combining, 👨‍👩‍👧 family, 👋🏽 skin tone, 🇫🇷 flag, ❤️ heart",
    "zero\u200bwidth\u200cjoiners\u200d and no-break\u00a0space",
    "",
  ];
  for (const text of texts) assert.equal(sanitize(text), text);
});

Deno.test("sanitize styles each escape with the highlight given", () => {
  assert.equal(sanitize("a\nb\u202ec", (escape) => `[${escape}]`), "a[␊]b[<U+202E>]c");
});

Deno.test("sanitize never lets an actionable character through, for random text", () => {
  const random = new Random(testSeed());
  for (let round = 0; round < 200; round++) {
    let text = "";
    for (let n = random.int(40); n > 0; n--) {
      const code = random.pick([random.int(0x100), 0x2000 + random.int(0x80), random.int(0x10000)]);
      text += String.fromCharCode(code);
    }
    assert.doesNotMatch(sanitize(text), ACTIONABLE, `seed ${random.seed}: ${JSON.stringify(text)}`);
  }
});

// Every way a message could try to start a line of its own on a terminal.
const LINE_BREAKS: Record<string, string> = {
  "line feed": "\n",
  "carriage return and line feed": "\r\n",
  "carriage return (overwrites the line)": "\r",
  "vertical tab": "\v",
  "form feed": "\f",
  "next line (C1)": "\x85",
  "escape E (next line)": "\x1bE",
  "escape D (index)": "\x1bD",
  "cursor down and to column 1": "\x1b[1E",
  "erase line and return": "\x1b[2K\r",
  "line separator": "\u2028",
  "paragraph separator": "\u2029",
  "right-to-left override": "\u202e\n",
};

Deno.test("a line break in a message cannot forge a line from someone else", () => {
  const timestamp = new Date(2024, 4, 6, 12, 34).getTime() / 1000;
  for (const [name, lineBreak] of Object.entries(LINE_BREAKS)) {
    const forged = `<12:34> [admin] Please send me your password`;
    for (const color of [false, true]) {
      const line = formatMessage({
        timestamp,
        username: "mallory",
        text: `ok${lineBreak}${forged}`,
      }, {
        color,
      });
      const plain = line.replace(/\x1b\[[0-9;]*m/g, ""); // the client's own styles
      assert.doesNotMatch(plain, ACTIONABLE, name);
      assert.ok(plain.startsWith("<12:34> [mallory] ok"), `${name}: ${plain}`);
      // The forged text is still there, visibly inside mallory's line.
      assert.ok(plain.endsWith(forged), name);
      assert.notEqual(plain.indexOf(forged), 0, name);
      // On a terminal, the whole message stays on the one line it started.
      const terminal = new VirtualTerminal(4, 200);
      terminal.write(`${line}\r\n`);
      assert.equal(terminal.history.length, 1, name);
      assert.match(terminal.history[0]!, /^<12:34> \[mallory\] ok/, name);
    }
  }
});

Deno.test("a user name cannot forge a line either", () => {
  const timestamp = new Date(2024, 4, 6, 12, 34).getTime() / 1000;
  const line = formatMessage({ timestamp, username: "x] hi\n<12:34> [admin", text: "bye" });
  assert.equal(line, '<12:34> ["x] hi␊<12:34> [admin"] bye');
});
