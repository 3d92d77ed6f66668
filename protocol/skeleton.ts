/**
 * When two user names are one: the confusable skeleton of Unicode's UTS #39, over
 * the confusables data in `confusables.ts`.
 *
 * @module
 */

import { CONFUSABLES } from "./confusables.ts";

// The table, read on first use: code point → prototype.
let prototypes: Map<number, string> | undefined;

function table(): Map<number, string> {
  if (prototypes !== undefined) return prototypes;
  prototypes = new Map();
  for (const entry of CONFUSABLES.split(/\s+/)) {
    if (entry === "") continue;
    const [source, prototype] = entry.split("=") as [string, string];
    prototypes.set(
      parseInt(source, 16),
      String.fromCodePoint(...prototype.split(".").map((point) => parseInt(point, 16))),
    );
  }
  return prototypes;
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The UTS #39 skeleton of a text: its NFD form without default-ignorable code
 * points, each character replaced by its prototype from Unicode's confusables
 * data, in NFD again. Two texts that can be mistaken for each other have the same
 * skeleton; the skeleton itself is not meant to be read.
 *
 * @example Lookalikes share a skeleton
 * ```ts
 * import { skeleton } from "./skeleton.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(skeleton("\u0430lice"), "alice"); // a Cyrillic а
 * assert.equal(skeleton("aIice"), "alice"); // a capital I
 * assert.equal(skeleton("rn"), skeleton("m"));
 * ```
 *
 * @param text Any text.
 * @returns Its skeleton.
 */
export function skeleton(text: string): string {
  const map = table();
  let result = "";
  for (const char of text.normalize("NFD").replace(DEFAULT_IGNORABLE, "")) {
    result += map.get(char.codePointAt(0)!) ?? char;
  }
  return result.normalize("NFD");
}

/**
 * The keys under which a user name is one with others: two names are the same
 * name when they share a key. A name has two keys (one when both agree): the
 * skeleton of its NFD form, and the skeleton of its NFKC case-folded form. Neither
 * suffices alone: the skeleton of `ALICE` is `ALlCE` (a capital I looks like a
 * small L), while case folding alone turns `aIice` into `aiice`. So `alice`,
 * `Alice`, `ALICE`, `aIice`, `аlice` (a Cyrillic а), `ａｌｉｃｅ` and `𝐚𝐥𝐢𝐜𝐞` are one
 * name.
 *
 * @example One name, many spellings
 * ```ts
 * import { nameKeys, sameName } from "./skeleton.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(nameKeys("alice"), ["alice"]);
 * assert.deepEqual(nameKeys("ALICE"), ["ALlCE", "alice"]);
 * assert.ok(sameName("\uff41\uff4c\uff49\uff43\uff45", "Alice"));
 * assert.ok(!sameName("alice", "alicia"));
 * ```
 *
 * @param name A user name.
 * @returns Its keys: one, or two when they differ.
 */
export function nameKeys(name: string): readonly string[] {
  const raw = skeleton(name);
  const folded = skeleton(name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC"));
  return raw === folded ? [raw] : [raw, folded];
}

/**
 * Whether two user names are one name: they share a {@linkcode nameKeys} key.
 *
 * @param a A user name.
 * @param b Another.
 * @returns `true` when either can pass for the other.
 */
export function sameName(a: string, b: string): boolean {
  const keys = nameKeys(a);
  return nameKeys(b).some((key) => keys.includes(key));
}
