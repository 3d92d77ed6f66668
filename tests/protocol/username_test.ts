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
