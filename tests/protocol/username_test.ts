import assert from "node:assert/strict";
import { ProtocolError, validateUsername } from "../../mod.ts";

function refused(username: string, message: RegExp): void {
  assert.throws(
    () => validateUsername(username, 100),
    (error: unknown) => {
      assert.ok(error instanceof ProtocolError, String(error));
      assert.equal(error.code, "INVALID_USERNAME", JSON.stringify(username));
      assert.match(error.message, message, JSON.stringify(username));
      return true;
    },
  );
}

Deno.test("validateUsername accepts ordinary names", () => {
  for (
    const name of [
      "bob",
      "Bob Smith",
      "a  b", // inner spaces
      "Анна", // Cyrillic
      "李小龍",
      "José",
      "ae\u0301", // a combining accent (Mn), visible on its letter
      "🙂",
      "👨‍👩‍👧", // ZWJ between pictographs
      "👩🏽‍💻", // a skin tone, then a ZWJ
      "🏳️‍🌈", // U+FE0F, then a ZWJ
      "x*", // a star inside a longer name
      "**",
    ]
  ) validateUsername(name, 100);
});

Deno.test("validateUsername refuses format characters (Cf), naming the code point", () => {
  const cases: [string, string][] = [
    ["bob\u200b", "U+200B"], // zero-width space
    ["b\u200cob", "U+200C"], // zero-width non-joiner
    ["\u200eadmin", "U+200E"], // left-to-right mark
    ["admin\u200f", "U+200F"], // right-to-left mark
    ["\u202eadmin", "U+202E"], // right-to-left override
    ["a\u202ab", "U+202A"],
    ["a\u202db", "U+202D"],
    ["a\u2060b", "U+2060"], // word joiner
    ["a\u2064b", "U+2064"], // invisible plus
    ["\u2066bob\u2069", "U+2066"], // isolates
    ["a\u2069b", "U+2069"],
    ["\ufeffbob", "U+FEFF"], // byte order mark
    ["bo\u00adb", "U+00AD"], // soft hyphen
    ["a\u061cb", "U+061C"], // Arabic letter mark
    ["flag\u{e0067}", "U+E0067"], // a tag character
  ];
  for (const [name, code] of cases) {
    refused(name, new RegExp(`it contains ${code.replace("+", "\\+")}, which renders invisibly`));
  }
});

Deno.test("validateUsername refuses line and paragraph separators", () => {
  refused("bob\u2028alice", /U\+2028/);
  refused("bob\u2029alice", /U\+2029/);
});

Deno.test("validateUsername allows a zero-width joiner only between pictographs", () => {
  refused("bob\u200d", /U\+200D/);
  refused("b\u200dob", /U\+200D/);
  refused("🙂\u200db", /U\+200D/);
  refused("b\u200d🙂", /U\+200D/);
  refused("🙂\u200d", /U\+200D/);
  refused("🙂\u200d\u200d🙂", /U\+200D/);
});

Deno.test("validateUsername refuses lookalikes of another user's name", () => {
  // Each shows as "alice" (or nearly) in a terminal.
  for (const name of ["alice\u200b", "al\u00adice", "\u2066alice\u2069", "\ufeffalice"]) {
    refused(name, /renders invisibly or reorders text/);
  }
  refused("alice ", /ends with whitespace \(U\+0020\)/);
  refused(" alice", /begins with whitespace \(U\+0020\)/);
  // "ecila" written backwards by an override shows as "alice".
  refused("\u202eecila", /U\+202E/);
});

Deno.test("validateUsername refuses whitespace at either end", () => {
  refused(" bob", /begins with whitespace \(U\+0020\)/);
  refused("bob ", /ends with whitespace \(U\+0020\)/);
  refused("\u00a0bob", /begins with whitespace \(U\+00A0\)/); // no-break space
  refused("bob\u3000", /ends with whitespace \(U\+3000\)/); // ideographic space
  refused("bob\u2003", /ends with whitespace \(U\+2003\)/); // em space
  refused(" ", /begins with whitespace/);
  // Tabs and line feeds are control characters, named as such.
  refused("bob\t", /control character U\+0009/);
});

Deno.test("validateUsername reserves * for the server", () => {
  refused("*", /^Invalid user name: "\*" is reserved for the server$/);
});

Deno.test("validateUsername still refuses empty names, controls and long names", () => {
  refused("", /it is empty/);
  refused("bob\u0007", /control character U\+0007/);
  refused("bob\u009b", /control character U\+009B/);
  assert.throws(() => validateUsername("b".repeat(26)), /SIZE_LIMIT|exceeds the limit of 25/);
});

// Issue 19: each of these was accepted while alice was logged in, and each prints as
// `alice` (or as the server's `*`) in a terminal.
Deno.test("validateUsername refuses every default-ignorable code point, naming it", () => {
  const cases: [string, string][] = [
    ["alice\u034f", "U+034F"], // combining grapheme joiner
    ["alice\ufe0f", "U+FE0F"], // emoji presentation selector after a letter
    ["alice\ufe00", "U+FE00"], // variation selector 1
    ["alice\u180b", "U+180B"], // Mongolian free variation selector
    ["al\u3164ice", "U+3164"], // Hangul filler
    ["\u115falice", "U+115F"], // Hangul choseong filler
    ["alice\u1160", "U+1160"], // Hangul jungseong filler
    ["alice\uffa0", "U+FFA0"], // halfwidth Hangul filler
    ["alice\u17b4", "U+17B4"], // Khmer vowel inherent aq
    ["alice\u{e0100}", "U+E0100"], // variation selector 17
    ["alice\u{1d173}", "U+1D173"], // musical symbol begin beam
  ];
  for (const [name, code] of cases) {
    refused(name, new RegExp(`it contains ${code.replace("+", "\\+")}, which renders invisibly`));
  }
});

Deno.test("validateUsername refuses the blank Braille pattern U+2800", () => {
  refused("ali\u2800ce", /it contains U\+2800, which renders invisibly/);
  refused("alice\u2800", /U\+2800/);
  validateUsername("\u2801\u2803", 100); // other Braille patterns show dots
});

Deno.test("validateUsername allows U+FE0F only right after a pictograph", () => {
  validateUsername("\u2764\ufe0f", 100); // ❤️
  validateUsername("bob \u2764\ufe0f", 100);
  refused("\u2764\ufe0f\ufe0f", /U\+FE0F/);
  refused("b\ufe0fob", /U\+FE0F/);
  refused("1\ufe0f\u20e3", /U\+FE0F/); // a keycap's selector after a digit
});

Deno.test("validateUsername refuses a name that shows nothing", () => {
  for (const name of ["\u0301", "\u0301\u0302", "\u{e000}", "\u20f0"]) {
    refused(name, /it shows nothing: no letter, number, punctuation or symbol/);
  }
});

Deno.test("validateUsername refuses every lookalike of the server's *", () => {
  const stars = [
    "\uff0a", // ＊ fullwidth: NFKC makes it *
    "\ufe61", // ﹡ small asterisk: NFKC
    "\u2217", // ∗ asterisk operator: the confusables data
    "\u066d", // ٭ Arabic five pointed star: the confusables data
    "\u204e", // ⁎ low asterisk: the confusables data
    "\u2731", // ✱ heavy asterisk: the explicit list
    "\u2733", // ✳ eight spoked asterisk
    "\u274b", // ❋
    "\u{1f7b6}", // 🞶 medium six spoked asterisk
    "*\u0301", // with a combining mark on top
    "\u2217\u0323",
  ];
  for (const name of stars) {
    refused(name, /looks like "\*", which is reserved for the server$/);
  }
  // A star inside a longer name is not the server's name.
  for (const name of ["x\u2217", "\u2731\u2731", "\u2731 bob"]) validateUsername(name, 100);
});

Deno.test("validateUsername refuses names that mix scripts a reader takes for each other", () => {
  refused("\u0430lice", /mixes scripts that pass for each other: Cyrl, Latn$/); // Cyrillic а
  refused("\u03b1lice", /mixes scripts that pass for each other: Grek, Latn$/); // Greek α
  refused("p\u0430ypal", /Cyrl, Latn/);
  refused("\u0410\u03b2", /Cyrl, Grek/); // two scripts, neither Latin
  refused("a\u{e000}", /Latn, Zzzz/); // a private-use character has no script
  refused("1\u{e000}", /it holds characters of no known script/);
});

Deno.test("validateUsername allows one script, and the mixes UTS #39 allows", () => {
  for (
    const name of [
      "Анна Б.", // Cyrillic with Common punctuation
      "Ελένη", // Greek
      "\uff41\uff4c\uff49\uff43\uff45", // fullwidth Latin: one script (one name with alice)
      "\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}", // mathematical bold: Common
      "田中さん", // Han with Hiragana: Japanese
      "東京のalice", // Latin with Japanese
      "김철수 kim", // Latin with Korean
      "ㄅㄆ中文 zh", // Latin, Han and Bopomofo
      "Ravi रवि", // Latin with Devanagari
      "دانا dana", // Latin with Arabic
      "José", // a combining accent belongs to Latin too
      "bob 42 :-)",
      "\u30fc\u30ab", // a first character of two scripts (Hiragana and Katakana), then Katakana
      "\u0640\u0710\u0712", // the tatweel (Arabic, Syriac and more), then Syriac
    ]
  ) validateUsername(name, 100);
});
