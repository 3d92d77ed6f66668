import assert from "node:assert/strict";
import { isWellFormedUtf8 } from "../../mod.ts";
import { Random, testSeed } from "../support/random.ts";

const strict = new TextDecoder("utf-8", { fatal: true });

function reference(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const CASES: [string, number[], boolean][] = [
  ["empty", [], true],
  ["ASCII", [0x61, 0x62, 0x00, 0x7f], true],
  ["2-byte", [0xc2, 0x80, 0xdf, 0xbf], true],
  ["3-byte", [0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf], true],
  ["4-byte", [0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf], true],
  ["lone continuation", [0x80], false],
  ["overlong 2-byte (C0)", [0xc0, 0xaf], false],
  ["overlong 2-byte (C1)", [0xc1, 0xbf], false],
  ["overlong 3-byte", [0xe0, 0x9f, 0xbf], false],
  ["overlong 4-byte", [0xf0, 0x8f, 0xbf, 0xbf], false],
  ["surrogate D800", [0xed, 0xa0, 0x80], false],
  ["surrogate DFFF", [0xed, 0xbf, 0xbf], false],
  ["last before surrogates", [0xed, 0x9f, 0xbf], true],
  ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], false],
  ["F5 lead", [0xf5, 0x80, 0x80, 0x80], false],
  ["FF", [0xff], false],
  ["truncated 2-byte", [0xc3], false],
  ["truncated 3-byte", [0xe2, 0x82], false],
  ["truncated 4-byte", [0xf0, 0x9f, 0x98], false],
  ["bad second byte", [0xe2, 0x28, 0xa1], false],
  ["bad third byte", [0xe2, 0x82, 0x28], false],
  ["bad fourth byte", [0xf0, 0x9f, 0x98, 0x28], false],
  ["byte order mark", [0xef, 0xbb, 0xbf, 0x61], true],
];

Deno.test("isWellFormedUtf8 judges the edge cases of UTF-8 as TextDecoder does", () => {
  for (const [name, bytes, valid] of CASES) {
    const array = new Uint8Array(bytes);
    assert.equal(reference(array), valid, `reference: ${name}`);
    assert.equal(isWellFormedUtf8(array), valid, name);
    // The same sequence after a run of ASCII, to cross the 4-byte fast path.
    const padded = new Uint8Array([0x61, 0x62, 0x63, 0x64, 0x65, ...bytes]);
    assert.equal(isWellFormedUtf8(padded), valid, `after ASCII: ${name}`);
  }
});

Deno.test("isWellFormedUtf8 agrees with TextDecoder on random byte sequences", () => {
  const random = new Random(testSeed());
  // Bytes drawn mostly from the interesting ranges, so that most sequences are near-valid.
  const pool = [
    0x00,
    0x41,
    0x7f,
    0x80,
    0x8f,
    0x90,
    0x9f,
    0xa0,
    0xbf,
    0xc0,
    0xc2,
    0xdf,
    0xe0,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf5,
    0xff,
  ];
  for (let round = 0; round < 50_000; round++) {
    const bytes = new Uint8Array(random.int(10));
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = random.int(3) === 0 ? random.int(256) : random.pick(pool);
    }
    assert.equal(isWellFormedUtf8(bytes), reference(bytes), `seed ${random.seed}: [${bytes}]`);
  }
});

Deno.test("isWellFormedUtf8 accepts every encoded code point class", () => {
  const text = "a\u007f\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}";
  assert.equal(isWellFormedUtf8(new TextEncoder().encode(text)), true);
});
