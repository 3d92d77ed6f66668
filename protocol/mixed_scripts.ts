/**
 * Which mixes of scripts a user name may hold: those of the "moderately
 * restrictive" profile of Unicode's UTS #39 (section 5.2), read from the
 * characters' Script_Extensions as the JavaScript engine knows them.
 *
 * @module
 */

// Every script of Unicode 16 but Common and Inherited, by its ISO 15924 code.
const SCRIPTS = (
  "Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Bhks Bopo Brah Brai Bugi Buhd " +
  "Cakm Cans Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym " +
  "Ethi Gara Geor Glag Gong Gonm Goth Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira " +
  "Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj Kits Knda Krai Kthi Lana Laoo " +
  "Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero Mlym " +
  "Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya " +
  "Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur " +
  "Sgnw Shaw Shrd Sidd Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu " +
  "Taml Tang Tavt Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Toto Tutg Ugar Vaii Vith Wara " +
  "Wcho Xpeo Xsux Yezi Yiii Zanb"
).split(" ").filter(known);

// The scripts recommended for identifiers (UAX #31, table 5), Latin aside.
const RECOMMENDED = (
  "Arab Armn Beng Bopo Cyrl Deva Ethi Geor Grek Gujr Guru Hang Hani Hebr Hira Kana Khmr Knda " +
  "Laoo Mlym Mymr Orya Sinh Taml Telu Thaa Thai Tibt"
).split(" ");

// The writing systems that mix scripts by nature, as UTS #39 augments them.
const JAPANESE = ["Hani", "Hira", "Kana"];
const KOREAN = ["Hani", "Hang"];
const CHINESE = ["Hani", "Bopo"];

/**
 * The sets of scripts a name may be written in: any one script (Japanese, Korean
 * and Chinese with Bopomofo counting as one); Latin with Japanese, Korean or
 * Chinese with Bopomofo; or Latin with any one other recommended script but
 * Cyrillic and Greek, whose letters pass for Latin ones.
 */
const ALLOWED: readonly (readonly string[])[] = [
  ...SCRIPTS.map((script) => [script]),
  JAPANESE,
  KOREAN,
  CHINESE,
  ...[JAPANESE, KOREAN, CHINESE].map((set) => ["Latn", ...set]),
  ...RECOMMENDED.filter((script) => script !== "Cyrl" && script !== "Grek").map((script) => [
    "Latn",
    script,
  ]),
];

// A set of scripts, and the pattern of a text written in them alone (made on first use).
interface ScriptSet {
  readonly scripts: readonly string[];
  pattern?: RegExp;
}

// Each script, and the allowed sets that hold it.
const SETS_OF = new Map<string, ScriptSet[]>();
for (const scripts of ALLOWED) {
  const set: ScriptSet = { scripts };
  for (const script of scripts) {
    const sets = SETS_OF.get(script) ?? [];
    sets.push(set);
    SETS_OF.set(script, sets);
  }
}
const SINGLE = new Map(SCRIPTS.map((script) => [script, SETS_OF.get(script)![0]!]));

// Characters of any script: Common and Inherited ones (digits, punctuation,
// symbols, most combining marks) whose Script_Extensions name no script.
const ANY_SCRIPT = /[\p{scx=Zyyy}\p{scx=Zinh}]/gu;
const LATIN_ONLY = /^\p{scx=Latn}*$/u;

function known(script: string): boolean {
  try {
    new RegExp(`\\p{scx=${script}}`, "u");
    return true;
  } catch {
    return false; // an engine with an older Unicode
  }
}

function covers(set: ScriptSet, text: string): boolean {
  if (set.pattern === undefined) {
    const classes = set.scripts.map((script) => `\\p{scx=${script}}`).join("");
    set.pattern = new RegExp(`^[${classes}]*$`, "u");
  }
  return set.pattern.test(text);
}

// The scripts of recently seen characters: finding them tries every script.
const scriptsSeen = new Map<number, readonly string[]>();
const SCRIPTS_SEEN_LIMIT = 4096;

function scriptsOf(codePoint: number): readonly string[] {
  let scripts = scriptsSeen.get(codePoint);
  if (scripts === undefined) {
    const char = String.fromCodePoint(codePoint);
    scripts = SCRIPTS.filter((script) => covers(SINGLE.get(script)!, char));
    if (scriptsSeen.size >= SCRIPTS_SEEN_LIMIT) scriptsSeen.clear();
    scriptsSeen.set(codePoint, scripts);
  }
  return scripts;
}

/**
 * The scripts of a user name when it mixes them in a way UTS #39's moderately
 * restrictive profile forbids, such as `аlice` with a Cyrillic а: Cyrillic and
 * Greek with Latin, or any two scripts but Latin with one other recommended
 * script (and Han with Hiragana, Katakana, Hangul or Bopomofo, as Japanese,
 * Korean and Chinese are written). Digits, punctuation, symbols and combining
 * marks belong to any script.
 *
 * @example Allowed and forbidden mixes
 * ```ts
 * import { forbiddenScriptMix } from "./mixed_scripts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(forbiddenScriptMix("alice"), undefined);
 * assert.equal(forbiddenScriptMix("Анна Б."), undefined);
 * assert.equal(forbiddenScriptMix("東京のalice"), undefined);
 * assert.deepEqual(forbiddenScriptMix("\u0430lice"), ["Cyrl", "Latn"]);
 * ```
 *
 * @param name A user name.
 * @returns The scripts it mixes (ISO 15924 codes, sorted; `Zzzz` for characters of
 * no known script), or `undefined` when the mix is allowed.
 */
export function forbiddenScriptMix(name: string): string[] | undefined {
  const scripted = name.replace(ANY_SCRIPT, "");
  if (scripted === "" || LATIN_ONLY.test(scripted)) return undefined;
  // Every allowed set holds a script of the first character: only those are tried.
  const own = scriptsOf(scripted.codePointAt(0)!);
  for (const script of own) {
    if (SETS_OF.get(script)!.some((set) => covers(set, scripted))) return undefined;
  }
  const found = new Set<string>();
  for (const char of scripted) {
    found.add(scriptsOf(char.codePointAt(0)!)[0] ?? "Zzzz");
  }
  return [...found].sort();
}
