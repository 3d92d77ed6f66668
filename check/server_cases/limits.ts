/**
 * Server cases of section 3.1 of the protocol: the two size limits.
 *
 * @module
 */

import type { CheckCase } from "../case.ts";
import { RULES } from "../rules.ts";
import type { ServerContext } from "../server_context.ts";
import { quote, sizeBytes } from "../wire.ts";

type ServerCase = CheckCase<ServerContext>;

/** A text of `bytes` UTF-8 bytes or a little more, made of `char`. */
function repeatTo(char: string, bytes: number): string {
  const width = new TextEncoder().encode(char).length;
  return char.repeat(Math.ceil(bytes / width));
}

/** The cases of section 3.1. */
export const LIMIT_CASES: readonly ServerCase[] = [
  {
    id: "3.1/1",
    title: "A user name one byte over max-username-size closes the connection",
    rule: RULES.oversize,
    kind: "protocol",
    async run(t) {
      const name = t.name("big").padEnd(t.target.maxUsernameSize + 1, "g");
      const a = await t.login(name);
      await t.expectClosed(a, `a login of ${t.target.maxUsernameSize + 1} bytes`);
    },
  },
  {
    id: "3.1/2",
    title: "A message one byte over max-message-size closes the connection and is not relayed",
    rule: RULES.oversize,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("oa"), t.name("ob"));
      const text = t.text("too long").padEnd(t.target.maxMessageSize + 1, "o");
      await t.say(a!, text);
      await t.expectClosed(a!, `a message of ${t.target.maxMessageSize + 1} bytes`);
      await t.expectNothing(b!, `nothing from ${quote(a!.label)}`, (f) => f.user === a!.label);
    },
  },
  {
    id: "3.1/3",
    title: "The size of an oversized message alone, without its payload, closes the connection",
    rule: RULES.sizeAlone,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("sa"));
      await a!.send(sizeBytes(t.target.maxMessageSize + 1));
      await t.expectClosed(
        a!,
        `the 4 size bytes of a ${t.target.maxMessageSize + 1}-byte message, and nothing more`,
      );
    },
  },
  {
    id: "3.1/4",
    title: "A message size of 4,294,967,295 (ff ff ff ff) alone closes the connection",
    rule: RULES.sizeAlone,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("sf"));
      await a!.send(sizeBytes(0xffff_ffff));
      await t.expectClosed(a!, "the size bytes ff ff ff ff, and nothing more");
    },
  },
  {
    id: "3.1/5",
    title: "The size of an oversized login alone, without its payload, closes the connection",
    rule: RULES.sizeAlone,
    kind: "protocol",
    async run(t) {
      const a = await t.connect("a connection sending an oversized login size");
      await a.send(sizeBytes(t.target.maxUsernameSize + 1));
      await t.expectClosed(
        a,
        `the 4 size bytes of a ${t.target.maxUsernameSize + 1}-byte login, and nothing more`,
      );
    },
  },
  {
    id: "3.1/6",
    title: "The login limit counts bytes, not characters: 2-byte characters over it close",
    rule: RULES.limits,
    kind: "protocol",
    async run(t) {
      const name = repeatTo("é", t.target.maxUsernameSize + 1);
      const a = await t.login(name);
      await t.expectClosed(
        a,
        `a login of ${name.length} characters, ${new TextEncoder().encode(name).length} bytes`,
      );
    },
  },
  {
    id: "3.1/7",
    title: "The message limit counts bytes, not characters: 3-byte characters over it close",
    rule: RULES.limits,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("cb"));
      const text = repeatTo("€", t.target.maxMessageSize + 1);
      await t.say(a!, text);
      await t.expectClosed(
        a!,
        `a message of ${text.length} characters, ${new TextEncoder().encode(text).length} bytes`,
      );
    },
  },
];
