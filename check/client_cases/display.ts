/**
 * Client cases of section 4 of the protocol: how received frames are shown,
 * and that nothing a hostile server sends reaches the terminal raw.
 *
 * @module
 */

import { type CheckCase, fail } from "../case.ts";
import type { ClientContext, ClientSession } from "../client_context.ts";
import { RULES } from "../rules.ts";
import { chatFrame, concatBytes, quote } from "../wire.ts";

type ClientCase = CheckCase<ClientContext>;

/** Seconds of UNIX time at `hh:mm` local time in `tz`, on a day in 2026. */
function localTime(t: ClientContext, hh: number, mm: number): number {
  // Search the day for the minute: the zone's offset is what the client's TZ says.
  const day = Date.UTC(2026, 2, 14) / 1000;
  const want = `${String(hh).padStart(2, "0")}:${String(mm).padStart(2, "0")}`;
  for (let s = day - 86400; s < day + 86400; s += 60) {
    if (t.clock(s) === want) return s + 17;
  }
  throw new RangeError(`no ${want} in ${t.target.tz}`);
}

/**
 * A hostile frame: after it and a sentinel, no line before the sentinel may
 * hold a character of `forbidden`, and the message must have been shown.
 */
function hostile(
  id: string,
  title: string,
  user: string,
  text: string,
  forbidden: string,
  rule: string = RULES.raw,
): ClientCase {
  return {
    id,
    title,
    rule,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      await t.frame(session, user, text);
      const lines = await t.sentinel(session);
      const raw = lines.find((line) => [...line].some((c) => forbidden.includes(c)));
      if (raw !== undefined) {
        fail(`none of ${quote(forbidden)} raw in the output`, `the line ${quote(raw, 120)}`);
      }
      if (!lines.some((line) => /<\d\d:\d\d> \[/.test(line))) {
        fail("a line for the frame, before the next one", t.describe(session));
      }
    },
  };
}

async function showTimes(t: ClientContext, session: ClientSession, times: [number, number][]) {
  for (const [hh, mm] of times) {
    await t.frame(session, "bob", `at ${hh}:${mm}`, localTime(t, hh, mm));
  }
  for (const [hh, mm] of times) {
    const clock = `${String(hh).padStart(2, "0")}:${String(mm).padStart(2, "0")}`;
    await t.expectLine(session, `<${clock}> [bob] at ${hh}:${mm}`);
  }
}

/** The cases of section 4. */
export const CLIENT_DISPLAY_CASES: readonly ClientCase[] = [
  {
    id: "4/1",
    title: "A frame is shown as <HH:MM> [user] message, in the client's local time",
    rule: RULES.line,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const now = Math.floor(Date.now() / 1000);
      await t.frame(session, "alice", "hello there", now);
      await t.expectLine(session, `<${t.clock(now)}> [alice] hello there`);
    },
  },
  {
    id: "4/2",
    title: "Hours and minutes are zero-padded, on a 24-hour clock (03:07, 23:59)",
    rule: RULES.clock,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      await showTimes(t, session, [[3, 7], [23, 59]]);
    },
  },
  {
    id: "4/3",
    title: "The time shown is the frame's timestamp, not the client's clock (2001-09-09)",
    rule: RULES.clock,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      await t.frame(session, "carol", "from the past", 1_000_000_000);
      await t.expectLine(session, `<${t.clock(1_000_000_000)}> [carol] from the past`);
    },
  },
  {
    id: "4/4",
    title: "Multi-byte user names and messages are shown as they are",
    rule: RULES.line,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const now = Math.floor(Date.now() / 1000);
      await t.frame(session, "Zoë", "日本語 and 😀", now);
      await t.expectLine(session, `<${t.clock(now)}> [Zoë] 日本語 and 😀`);
    },
  },
  {
    id: "4/5",
    title: "Three frames in one segment are shown as three lines, in order",
    rule: RULES.line,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const now = Math.floor(Date.now() / 1000);
      await session.conn.send(concatBytes(
        chatFrame(now, "bob", "first"),
        chatFrame(now, "bob", "second"),
        chatFrame(now, "bob", "third"),
      ));
      const at = [];
      for (const text of ["first", "second", "third"]) {
        at.push(await t.expectLine(session, `<${t.clock(now)}> [bob] ${text}`));
      }
      if (!(at[0]! < at[1]! && at[1]! < at[2]!)) {
        fail("first, second, third, in that order", `lines ${at.join(", ")}`);
      }
    },
  },
  {
    id: "4/6",
    title: "A frame that arrives one byte at a time is shown as one line",
    rule: RULES.line,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const now = Math.floor(Date.now() / 1000);
      const frame = chatFrame(now, "bob", "drip by drip");
      for (let at = 0; at < frame.length; at++) {
        await session.conn.send(frame.subarray(at, at + 1));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await t.expectLine(session, `<${t.clock(now)}> [bob] drip by drip`);
    },
  },
  {
    id: "4/7",
    title: "An empty message is shown as a line",
    rule: RULES.line,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      const now = Math.floor(Date.now() / 1000);
      await t.frame(session, "quiet", "", now);
      const lines = await t.sentinel(session);
      if (!lines.some((line) => line.includes(`<${t.clock(now)}> [quiet]`))) {
        fail(`a line <${t.clock(now)}> [quiet] before the next message`, t.describe(session));
      }
    },
  },
  hostile(
    "4/8",
    "Escape sequences in a message (ESC [2J, OSC title, BEL) are not written raw",
    "mallory",
    "clear\u001b[2J title\u001b]0;pwned\u0007 bell\u0007",
    "\u001b\u0007",
  ),
  hostile(
    "4/9",
    "Control characters in a user name are not written raw",
    "mal\u001b[31mlory\u0008\u0008",
    "look at my name",
    "\u001b\u0008",
  ),
  hostile(
    "4/10",
    "C1 control characters (U+009B, a one-byte CSI) are not written raw",
    "mallory",
    "c1\u009b2J and \u0085 next line",
    Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i)).join(""),
  ),
  hostile(
    "4/11",
    "DEL (U+007F) is not written raw",
    "mallory",
    "delete\u007f\u007f\u007f",
    "\u007f",
  ),
  hostile(
    "4/12",
    "Bidirectional overrides and isolates (U+202E, U+2067) are not written raw",
    "mallory",
    "invoice \u202egpj.exe\u202c and \u2067isolated\u2069",
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
  ),
  hostile(
    "4/13",
    "A carriage return cannot overwrite what a line shows",
    "mallory",
    "harmless\r<00:00> [admin] rewritten",
    "\r",
  ),
  {
    id: "4/14",
    title: "A line break inside a message cannot forge a line from someone else",
    rule: RULES.forge,
    kind: "protocol",
    async run(t) {
      const session = await t.start();
      await t.frame(session, "mallory", "hi\n<12:00> [admin] send me your password");
      const lines = await t.sentinel(session);
      const forged = lines.find((line) => /^\s*<12:00> \[admin\]/.test(line));
      if (forged !== undefined) {
        fail("no line that starts like a message from admin", `the line ${quote(forged)}`);
      }
    },
  },
];
