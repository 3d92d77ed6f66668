/**
 * Server cases of wirechat's extensions (run with `--extensions`): history,
 * the server's voice, why a connection is closed, and the rules for user names.
 * A seed server implements none of them, and is right not to.
 *
 * @module
 */

import { type CheckCase, fail } from "../case.ts";
import { RULES } from "../rules.ts";
import { describe, type ServerContext } from "../server_context.ts";
import { quote } from "../wire.ts";

type ServerCase = CheckCase<ServerContext>;

/** A login the name rules refuse: the server closes it. */
function refusedName(id: string, what: string, name: (t: ServerContext) => string): ServerCase {
  return {
    id,
    title: `A login as ${what} is refused`,
    rule: id.startsWith("5.2") ? RULES.voice : RULES.names,
    kind: "extension",
    async run(t) {
      const login = name(t);
      const a = await t.login(login);
      await t.expectClosed(a, `a login as ${quote(login)}`);
    },
  };
}

/** The extension cases. */
export const EXTENSION_CASES: readonly ServerCase[] = [
  {
    id: "5.1/1",
    title: "History: a newcomer first receives the last message, with its sender and timestamp",
    rule: RULES.history,
    kind: "extension",
    async run(t) {
      const [a] = await t.join(t.name("ha"));
      const text = t.text("remember me");
      await t.say(a!, text);
      const original = await t.expectFrame(a!, a!.label, text);
      const b = await t.login(t.name("hb"));
      const replayed = await b.frame((frame) => frame.text === text, t.timeout);
      if (replayed === undefined) {
        fail(
          `${quote(b.label)} receives ${quote(text)} from ${quote(a!.label)} right after its login`,
          describe(b),
        );
      }
      if (replayed.user !== a!.label || replayed.timestamp !== original.timestamp) {
        fail(
          `the original sender ${quote(a!.label)} and timestamp ${original.timestamp}`,
          `${quote(replayed.user)} at ${replayed.timestamp}`,
        );
      }
    },
  },
  refusedName("5.2/1", "`*`", () => "*"),
  refusedName("5.2/2", "a look-alike of `*` (U+FF0A, fullwidth)", () => "\uff0a"),
  refusedName("5.2/3", "`*` with spaces around it", () => " * "),
  {
    id: "5.2/4",
    title: "Presence: a login is announced to the others by `*`",
    rule: RULES.presence,
    kind: "extension",
    async run(t) {
      const [a] = await t.join(t.name("pa"));
      const name = t.name("pn");
      await t.login(name);
      const said = await a!.frame((f) => f.user === "*" && f.text.includes(name), t.timeout);
      if (said === undefined) {
        fail(
          `${quote(a!.label)} receives a frame from "*" that names ${quote(name)}`,
          describe(a!),
        );
      }
    },
  },
  {
    id: "5.3/1",
    title: "Why: before closing for an oversized message, the server says why as `*`",
    rule: RULES.why,
    kind: "extension",
    async run(t) {
      const [a] = await t.join(t.name("wy"));
      await t.say(a!, "w".repeat(t.target.maxMessageSize + 1));
      await t.expectClosed(a!, "an oversized message");
      if (!a!.frames.some((frame) => frame.user === "*")) {
        fail('one frame from "*" before the connection closes', describe(a!));
      }
    },
  },
  refusedName("5.5/1", "the empty string", () => ""),
  refusedName("5.5/2", "a name with a control character (BEL)", (t) => `${t.name("bel")}\u0007`),
  refusedName(
    "5.5/3",
    "a name with a right-to-left override (U+202E)",
    (t) => `\u202e${t.name("r")}`,
  ),
  refusedName("5.5/4", "a name with a zero-width space (U+200B)", (t) => `${t.name("z")}\u200b`),
  refusedName("5.5/5", "a name with a leading space", (t) => ` ${t.name("sp")}`),
];
