/**
 * Client cases of section 2 of the protocol: what the client sends (its login,
 * one message per line of input) and how it leaves.
 *
 * @module
 */

import { type CheckCase, fail } from "../case.ts";
import type { ClientContext } from "../client_context.ts";
import { RULES } from "../rules.ts";
import { chatFrame, hex, quote } from "../wire.ts";

type ClientCase = CheckCase<ClientContext>;

/** Fails unless `got` is `want`, message by message. */
function sameMessages(got: readonly string[], want: readonly string[]): void {
  const at = want.findIndex((text, i) => got[i] !== text);
  if (at >= 0 || got.length !== want.length) {
    fail(
      `${want.length} messages: ${want.map((m) => quote(m)).join(", ")}`,
      `${got.length}: ${got.map((m) => quote(m)).join(", ")}`,
    );
  }
}

/** The cases of section 2 for clients. */
export const CLIENT_SENDING_CASES: readonly ClientCase[] = [
  {
    id: "2.1/1",
    title: "The client's first string is its user name, with a big-endian size",
    rule: RULES.clientLogin,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const login = session.conn.strings[0]!;
      if (login.length !== new TextEncoder().encode(session.name).length) {
        fail(`a login of ${session.name.length} bytes`, `${login.length} bytes: ${hex(login)}`);
      }
    },
  },
  {
    id: "2.2/1",
    title: "A line of input is sent as one message, without its line ending",
    rule: RULES.stdin,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      await session.client.input("hello, world\n");
      const got = await t.expectMessages(session, 1, 'one message, "hello, world"');
      sameMessages(got, ["hello, world"]);
    },
  },
  {
    id: "2.2/2",
    title: "Three lines of input in one write are sent as three messages, in order",
    rule: RULES.stdin,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      await session.client.input("one\ntwo\nthree\n");
      await t.expectMessages(session, 3, "three messages");
      await session.conn.until(() => false, t.quiet);
      sameMessages(session.conn.strings.slice(1).map((b) => new TextDecoder().decode(b)), [
        "one",
        "two",
        "three",
      ]);
    },
  },
  {
    id: "2.2/3",
    title: "A line of multi-byte UTF-8 is sent as UTF-8, its size in bytes",
    rule: RULES.string,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const text = "Zoë says 日本語 😀";
      await session.client.input(`${text}\n`);
      const got = await t.expectMessages(session, 1, `one message, ${quote(text)}`);
      sameMessages(got, [text]);
    },
  },
  {
    id: "2.2/4",
    title: "A line of 300 bytes is sent whole (size bytes 00 00 01 2c)",
    rule: RULES.string,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const text = "L".repeat(300);
      await session.client.input(`${text}\n`);
      const got = await t.expectMessages(session, 1, "one message of 300 bytes");
      sameMessages(got, [text]);
    },
  },
  {
    id: "2.2/5",
    title: "At the end of input, every line read before it is sent",
    rule: RULES.stdin,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
      await session.client.input(`${lines.join("\n")}\n`);
      await session.client.endInput();
      const got = await t.expectMessages(session, lines.length, "all 20 lines, as messages");
      sameMessages(got, lines);
    },
  },
  {
    id: "2.2/6",
    title: "A last line without a line ending is sent at the end of input",
    rule: RULES.stdin,
    kind: "strict",
    async run(t) {
      const session = await t.start();
      await session.client.input("first\nno line ending");
      await session.client.endInput();
      const got = await t.expectMessages(session, 2, '"first", then "no line ending"');
      sameMessages(got, ["first", "no line ending"]);
    },
  },
  {
    id: "2.2/7",
    title: "A server that never reads: 16 MB of input later, the client still shows what arrives",
    rule: RULES.line,
    kind: "strict",
    timeoutMs: 30_000,
    async run(t) {
      const session = await t.start();
      session.conn.pause();
      const line = `${"r".repeat(Math.min(t.target.maxMessageSize, 3000) - 1)}\n`;
      const block = line.repeat(Math.ceil(1_000_000 / line.length));
      const feeding = (async () => {
        for (let i = 0; i < 16 && session.client.status === undefined; i++) {
          await session.client.input(block);
        }
      })();
      // Until the client has taken all the input, or stopped taking it: then its
      // writes are backed up.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        feeding,
        new Promise((resolve) => timer = setTimeout(resolve, 2000)),
      ]);
      clearTimeout(timer);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const now = Math.floor(Date.now() / 1000);
      for (const text of ["are you there", "can you hear me"]) {
        await t.frame(session, "bob", text, now);
        await t.expectLine(session, `<${t.clock(now)}> [bob] ${text}`);
      }
      await session.client.stop();
      await feeding;
    },
  },
  {
    id: "2.5/1",
    title: "Frames that arrive right before the server closes are all shown",
    rule: RULES.line,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const now = Math.floor(Date.now() / 1000);
      for (const text of ["last words 1", "last words 2", "last words 3"]) {
        await t.frame(session, "bob", text, now);
      }
      await session.conn.close();
      for (const text of ["last words 1", "last words 2", "last words 3"]) {
        await t.expectLine(session, `<${t.clock(now)}> [bob] ${text}`);
      }
    },
  },
  {
    id: "2.5/2",
    title: "A frame cut short by the server's close is not shown",
    rule: RULES.line,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const now = Math.floor(Date.now() / 1000);
      await t.frame(session, "bob", "whole", now);
      const cut = chatFrame(now, "bob", "PARTIAL frame, never finished");
      await session.conn.send(cut.subarray(0, 8 + 4 + 3 + 4 + 7));
      await t.expectLine(session, `<${t.clock(now)}> [bob] whole`);
      await session.conn.close();
      await session.client.until(() => false, t.quiet);
      const shown = session.client.lines.find((line) => line.includes("PARTIAL"));
      if (shown !== undefined) {
        fail("no line for the frame cut short", `the line ${quote(shown)}`);
      }
    },
  },
  {
    id: "2.5/3",
    title: "The client ends when the server closes the connection",
    rule: RULES.serverCloses,
    kind: "strict",
    async run(t) {
      const session = await t.start();
      await session.conn.close();
      if (!await session.client.until(() => session.client.status !== undefined, t.timeout)) {
        fail(`the client exits within ${t.timeout} ms of the close`, t.describe(session));
      }
    },
  },
  {
    id: "2.5/4",
    title: "At the end of input the client leaves: it closes its connection",
    rule: RULES.leaving,
    kind: "strict",
    async run(t) {
      const session = await t.start();
      await session.client.endInput();
      if (!await session.conn.until(() => session.conn.ended, t.timeout)) {
        fail(`the client closes its connection within ${t.timeout} ms`, t.describe(session));
      }
    },
  },
];
