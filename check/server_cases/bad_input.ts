/**
 * Server cases of sections 3.2 and 3.3 of the protocol: bytes that are not
 * UTF-8, and one connection's trouble never reaching the others.
 *
 * @module
 */

import { type CheckCase, fail } from "../case.ts";
import { delay } from "../peer.ts";
import { RULES } from "../rules.ts";
import { describe, type ServerContext } from "../server_context.ts";
import { concatBytes, hex, quote, stringFrame, utf8 } from "../wire.ts";

type ServerCase = CheckCase<ServerContext>;

/** A message case: `bad` inside a message closes the connection and is not relayed. */
function badMessage(id: string, what: string, bad: readonly number[]): ServerCase {
  return {
    id,
    title: `A message with ${what} (${hex(new Uint8Array(bad))}) closes the connection`,
    rule: RULES.utf8,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("ua"), t.name("ub"));
      const bytes = concatBytes(utf8("bad: "), new Uint8Array(bad), utf8(" end"));
      await t.say(a!, bytes);
      await t.expectClosed(a!, `a message with ${what}`);
      await t.expectNothing(b!, `nothing from ${quote(a!.label)}`, (f) => f.user === a!.label);
    },
  };
}

/** The cases of sections 3.2 and 3.3. */
export const BAD_INPUT_CASES: readonly ServerCase[] = [
  badMessage("3.2/1", "a byte that never occurs in UTF-8", [0xff]),
  badMessage("3.2/2", "an overlong encoding of '/'", [0xc0, 0xaf]),
  badMessage("3.2/3", "an overlong encoding of NUL (modified UTF-8)", [0xc0, 0x80]),
  badMessage("3.2/4", "an encoded UTF-16 surrogate (U+D800)", [0xed, 0xa0, 0x80]),
  badMessage("3.2/5", "a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]),
  badMessage("3.2/6", "a lone continuation byte", [0x80]),
  {
    id: "3.2/7",
    title: "A message that ends inside a multi-byte sequence (e2 82) closes the connection",
    rule: RULES.utf8,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("ta"), t.name("tb"));
      await t.say(a!, concatBytes(utf8("price: "), new Uint8Array([0xe2, 0x82])));
      await t.expectClosed(a!, "a message whose last character is cut (e2 82, of €)");
      await t.expectNothing(b!, `nothing from ${quote(a!.label)}`, (f) => f.user === a!.label);
    },
  },
  {
    id: "3.2/8",
    title: "A user name that is not UTF-8 (ff) closes the connection",
    rule: RULES.utf8,
    kind: "protocol",
    async run(t) {
      const a = await t.login(concatBytes(utf8(t.name("n")), new Uint8Array([0xff])));
      await t.expectClosed(a, "a login with the byte ff");
    },
  },
  {
    id: "3.3/1",
    title: "A connection closed for an oversized message does not disturb the others",
    rule: RULES.others,
    kind: "protocol",
    async run(t) {
      const [a, b, c] = await t.join(t.name("ia"), t.name("ib"), t.name("ic"));
      await t.say(c!, "x".repeat(t.target.maxMessageSize + 1));
      await t.expectClosed(c!, "an oversized message");
      for (const text of [t.text("we are fine"), t.text("still fine")]) {
        await t.say(a!, text);
        await t.expectFrame(a!, a!.label, text);
        await t.expectFrame(b!, a!.label, text);
      }
    },
  },
  {
    id: "3.3/2",
    title: "A client that connects and never logs in keeps nobody out",
    rule: RULES.others,
    kind: "protocol",
    async run(t) {
      await t.connect("a connection that never logs in");
      await delay(50);
      const [a, b] = await t.join(t.name("ja"), t.name("jb"));
      const text = t.text("we got in");
      await t.say(b!, text);
      await t.expectFrame(a!, b!.label, text);
    },
  },
  {
    id: "3.3/3",
    title: "A client stuck in the middle of its login keeps nobody out",
    rule: RULES.others,
    kind: "protocol",
    async run(t) {
      const stuck = await t.connect("a connection stuck mid-login");
      await stuck.send(stringFrame(t.name("ks")).subarray(0, 5));
      await delay(50);
      const [a, b] = await t.join(t.name("ka"), t.name("kb"));
      const text = t.text("we got in too");
      await t.say(b!, text);
      await t.expectFrame(a!, b!.label, text);
    },
  },
  {
    id: "3.3/4",
    title:
      "Control characters, line breaks and bidi overrides in a message are relayed as they are",
    rule: RULES.asTheyAre,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("ya"), t.name("yb"));
      const text = t.text("nul\u0000 esc\u001b[31m cr\r lf\n tab\t del\u007f c1\u009b rlo\u202e");
      await t.say(a!, text);
      await t.expectFrame(b!, a!.label, text);
    },
  },
  {
    id: "3.3/5",
    title: "A client that never reads delays nobody: 24 MB later the others have everything",
    rule: RULES.slow,
    kind: "strict",
    timeoutMs: 60_000,
    async run(t) {
      const sleeper = await Deno.connect({ hostname: t.target.hostname, port: t.target.port });
      try {
        await sleeper.write(stringFrame(t.name("zz")));
        const [a, b] = await t.join(t.name("za"), t.name("zb"));
        const size = Math.min(t.target.maxMessageSize, 3000);
        const count = Math.ceil(24e6 / size);
        const body = "z".repeat(size - 16);
        const last = `${body}${String(count - 1).padStart(16, "0")}`;
        let sent = 0;
        t.background((async () => {
          for (; sent < count; sent++) {
            if (!await a!.send(stringFrame(`${body}${String(sent).padStart(16, "0")}`))) break;
          }
        })());
        const arrived = await b!.until(() => {
          if (b!.frames.some((frame) => frame.text === last)) return true;
          if (b!.frames.length > 1000) b!.clear();
          if (a!.frames.length > 1000) a!.clear();
          return false;
        }, t.timeout * 10);
        if (!arrived) {
          fail(
            `${quote(b!.label)} receives all ${count} messages of ${size} bytes while ${
              quote(t.name("zz"))
            } reads nothing`,
            `the last had not arrived after ${t.timeout * 10} ms (${sent} sent; ${describe(b!)})`,
          );
        }
      } finally {
        sleeper.close();
      }
    },
  },
  {
    id: "3.3/6",
    title: "A sender of 1,500 messages back to back is paced, never dropped",
    rule: RULES.paced,
    kind: "strict",
    timeoutMs: 60_000,
    async run(t) {
      const [a, b] = await t.join(t.name("pa"), t.name("pb"));
      const texts = Array.from({ length: 1500 }, (_, i) => t.text(`p${i}`));
      const sending = t.background((async () => {
        for (const text of texts) await t.say(a!, text);
      })());
      let count = 0;
      let lastCount = -1;
      while (count < texts.length) {
        await b!.until(() => b!.frames.length > count, t.timeout * 2);
        count = b!.frames.length;
        if (count === lastCount) break;
        lastCount = count;
      }
      if (count >= texts.length) await sending;
      const got = b!.frames.map((frame) => frame.text);
      const missing = texts.findIndex((text, i) => got[i] !== text);
      if (missing >= 0) {
        fail(
          `${quote(b!.label)} receives all ${texts.length} messages, in order, however slowly`,
          `message ${missing + 1} is ${
            got[missing] === undefined ? "missing" : quote(got[missing]!)
          } (${got.length} arrived; ${describe(a!)})`,
        );
      }
    },
  },
];
