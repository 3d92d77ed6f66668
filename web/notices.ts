/**
 * What the page reads in the server's voice (`*`): answers to `/who`, join and
 * leave notices, and the presence summary. Pure functions, no DOM.
 *
 * Two forms are understood for names: bare (`3 here: alice, bob, carol`,
 * `alice joined`) and quoted as JSON string literals
 * (`3 here: "alice", "bob", "carol"`, `"alice" joined`). The quoted form is
 * exact for any name; the bare one cannot tell a `, ` inside a name from the
 * separator, so it is read as well as it can be.
 *
 * @module
 */

/** A notice from `*`, as the page understands it. */
export type Notice =
  | { readonly kind: "who"; readonly count: number; readonly names: readonly string[] }
  | { readonly kind: "joined"; readonly name: string }
  | { readonly kind: "left"; readonly name: string }
  | { readonly kind: "summary" }
  | { readonly kind: "other" };

const WHO = /^(\d+) here:(?: (.*))?$/s;
const QUOTED = /^"(?:[^"\\]|\\.)*"/s;
const SUMMARY = /^\d+ joined, \d+ left in the last second$/;

/**
 * Reads one text from the server's voice.
 *
 * @example
 * ```ts
 * import { readNotice } from "./notices.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(readNotice('2 here: "al, ice", "bob"'), {
 *   kind: "who",
 *   count: 2,
 *   names: ["al, ice", "bob"],
 * });
 * assert.deepEqual(readNotice("bob left (timeout)"), { kind: "left", name: "bob" });
 * ```
 *
 * @param text The text of a frame from `*`.
 * @returns What it says, or `{ kind: "other" }`.
 */
export function readNotice(text: string): Notice {
  if (SUMMARY.test(text)) return { kind: "summary" };
  const who = WHO.exec(text);
  if (who !== null) {
    const count = Number(who[1]);
    const names = readNames(who[2] ?? "");
    if (names !== undefined && Number.isSafeInteger(count)) return { kind: "who", count, names };
    return { kind: "other" };
  }
  const named = readLeadingName(text);
  if (named === undefined) return { kind: "other" };
  const { name, rest } = named;
  if (name === "") return { kind: "other" };
  if (rest === " joined") return { kind: "joined", name };
  if (rest === " left" || /^ left \([^()]*\)$/.test(rest)) return { kind: "left", name };
  return { kind: "other" };
}

// The list after `here: `: JSON string literals separated by ", " when it starts
// with a quote, else bare names separated by ", ".
function readNames(list: string): string[] | undefined {
  if (list === "") return [];
  if (!list.startsWith('"')) return list.split(", ");
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${list}]`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === "string")) {
    return undefined;
  }
  return parsed as string[];
}

// A notice's subject: a quoted name, or the bare text before the last " joined"
// or " left".
function readLeadingName(text: string): { name: string; rest: string } | undefined {
  const quoted = QUOTED.exec(text);
  if (quoted !== null) {
    try {
      const name: unknown = JSON.parse(quoted[0]);
      if (typeof name === "string") return { name, rest: text.slice(quoted[0].length) };
    } catch {
      // Not a JSON string: read it as a bare name.
    }
  }
  if (text.endsWith(" joined")) return { name: text.slice(0, -7), rest: " joined" };
  const left = /^(.+) left( \([^()]*\))?$/s.exec(text);
  if (left === null) return undefined;
  return { name: left[1]!, rest: ` left${left[2] ?? ""}` };
}
