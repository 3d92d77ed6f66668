import assert from "node:assert/strict";
import { nameKeys, sameName, skeleton } from "../../protocol/skeleton.ts";
import { CONFUSABLES_UNICODE_VERSION } from "../../protocol/confusables.ts";
import { renderConfusables } from "../../scripts/build_confusables.ts";

Deno.test("protocol/confusables.ts is what `deno task build:confusables` makes of the pinned package", async () => {
  const current = await Deno.readTextFile(
    new URL("../../protocol/confusables.ts", import.meta.url),
  );
  assert.ok(
    current === renderConfusables(),
    "protocol/confusables.ts is out of date: run `deno task build:confusables` and commit it",
  );
  assert.equal(CONFUSABLES_UNICODE_VERSION, "13.0.0");
});

Deno.test("renderConfusables refuses data it cannot represent", () => {
  assert.throws(() => renderConfusables({ ab: "c" }), /Cannot map "ab": not one character/);
  assert.throws(() => renderConfusables({ a: "" }), /Cannot map "a": empty prototype/);
});

Deno.test("skeleton maps lookalikes to one prototype, in NFD, without default-ignorables", () => {
  assert.equal(skeleton("\u0430lice"), "alice"); // Cyrillic а
  assert.equal(skeleton("\uff41\uff4c\uff49\uff43\uff45"), "alice"); // fullwidth
  assert.equal(skeleton("\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}"), "alice"); // bold
  assert.equal(skeleton("aIice"), "alice"); // capital I
  assert.equal(skeleton("a1ice"), "alice"); // digit one
  assert.equal(skeleton("rn"), "rn");
  assert.equal(skeleton("m"), "rn"); // m can pass for r and n
  assert.equal(skeleton("\u2217"), "*");
  assert.equal(skeleton("alice\u034f\u200b"), "alice");
  assert.equal(skeleton("jos\u00e9"), "jose\u0301"); // NFD
  // ö is in the table (as ة), but the skeleton reads NFD: o and a diaeresis.
  assert.equal(skeleton("\u00f6"), "o\u0308");
});

Deno.test("nameKeys: the issue's lookalikes of alice are one name with her", () => {
  const impostors = [
    "Alice",
    "ALICE",
    "aIice",
    "a1ice",
    "\u0430lice", // Cyrillic а
    "\uff41\uff4c\uff49\uff43\uff45", // ａｌｉｃｅ
    "\uff21\uff2c\uff29\uff23\uff25", // ＡＬＩＣＥ
    "\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}", // 𝐚𝐥𝐢𝐜𝐞
    "\u{1d5ba}\u{1d5c5}\u{1d5c2}\u{1d5bc}\u{1d5be}", // 𝖺𝗅𝗂𝖼𝖾 (sans-serif)
    "alice\u034f", // refused at login anyway, but one name all the same
  ];
  for (const name of impostors) assert.ok(sameName(name, "alice"), JSON.stringify(name));
  assert.ok(sameName("Stra\u00dfe", "STRASSE"));
  assert.ok(sameName("Jose\u0301", "jos\u00e9"));
  for (const other of ["alicia", "alic", "bob", "al ice", "alice2"]) {
    assert.ok(!sameName(other, "alice"), other);
  }
});

Deno.test("nameKeys: neither skeleton alone suffices", () => {
  // The raw skeleton keeps case: ALICE is ALlCE, not alice.
  assert.deepEqual(nameKeys("ALICE"), ["ALlCE", "alice"]);
  // Case folding turns the capital I of aIice into i; its raw skeleton is alice.
  assert.deepEqual(nameKeys("aIice"), ["alice", "aiice"]);
  assert.deepEqual(nameKeys("alice"), ["alice"]);
});
