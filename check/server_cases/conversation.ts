/**
 * Server cases of section 2 of the protocol: the conversation (login, sending,
 * receiving, order, leaving).
 *
 * @module
 */

import { type CheckCase, fail } from "../case.ts";
import { delay, type Peer } from "../peer.ts";
import { RULES } from "../rules.ts";
import { describe, type ServerContext } from "../server_context.ts";
import { concatBytes, quote, stringFrame } from "../wire.ts";

type ServerCase = CheckCase<ServerContext>;

/** Fails unless `peer` received exactly `expected` (user, text) pairs, in order, among `from`. */
async function expectSequence(
  t: ServerContext,
  peer: Peer,
  expected: readonly (readonly [string, string])[],
  from: ReadonlySet<string>,
  timeoutMs = t.timeout,
): Promise<void> {
  const mine = () => peer.frames.filter((frame) => from.has(frame.user));
  await peer.until(() => mine().length >= expected.length, timeoutMs);
  const got = mine().map((frame) => [frame.user, frame.text] as const);
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i]!;
    const have = got[i];
    if (have === undefined || have[0] !== want[0] || have[1] !== want[1]) {
      fail(
        `${quote(peer.label)} receives ${expected.length} messages in order; message ${i + 1} is ${
          quote(want[1])
        } from ${quote(want[0])}`,
        have === undefined
          ? `only ${got.length} arrived within ${timeoutMs} ms (${describe(peer)})`
          : `message ${i + 1} is ${quote(have[1])} from ${quote(have[0])}`,
      );
    }
  }
}

/** The cases of section 2. */
export const CONVERSATION_CASES: readonly ServerCase[] = [
  {
    id: "2.1/1",
    title: "After its login, a client's message is relayed under its user name",
    rule: RULES.login,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("LogIn"));
      const text = t.text("hello");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
    },
  },
  {
    id: "2.1/2",
    title: "A login that arrives one byte at a time is read whole",
    rule: RULES.login,
    kind: "protocol",
    async run(t) {
      const name = t.name("lb");
      const a = await t.connect(name);
      await a.trickle(stringFrame(name), 1, 10);
      await t.sync([a]);
    },
  },
  {
    id: "2.1/3",
    title: "A login and a first message in one segment are both read",
    rule: RULES.login,
    kind: "protocol",
    async run(t) {
      const [watcher] = await t.join(t.name("lw"));
      const name = t.name("ls");
      const text = t.text("first words");
      const b = await t.connect(name);
      await b.send(concatBytes(stringFrame(name), stringFrame(text)));
      await t.expectFrame(watcher!, name, text);
      await t.expectFrame(b, name, text);
    },
  },
  {
    id: "2.1/4",
    title: "A connection that has not sent its user name receives nothing",
    rule: RULES.unlogged,
    kind: "protocol",
    async run(t) {
      const silent = await t.connect("a connection that has not logged in");
      const [a] = await t.join(t.name("lu"));
      const text = t.text("not for the silent one");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
      await t.expectNothing(silent, "nothing");
    },
  },
  {
    id: "2.1/5",
    title: "A connection that has sent only part of its user name receives nothing",
    rule: RULES.unlogged,
    kind: "protocol",
    async run(t) {
      const half = await t.connect("a connection halfway through its login");
      await half.send(stringFrame(t.name("lh")).subarray(0, 6));
      const [a] = await t.join(t.name("lp"));
      const text = t.text("not for the half-logged one");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
      await t.expectNothing(half, "nothing");
    },
  },
  {
    id: "2.1/6",
    title: "A user name of exactly max-username-size bytes is accepted",
    rule: RULES.limits,
    kind: "protocol",
    async run(t) {
      const name = t.name("lm").padEnd(t.target.maxUsernameSize, "m");
      const [a] = await t.join(name);
      const text = t.text("longest name");
      await t.say(a!, text);
      await t.expectFrame(a!, name, text);
    },
  },
  {
    id: "2.2/1",
    title: "A message split in two segments, at every point, is relayed whole, once",
    rule: RULES.message,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("sp"));
      const sent: [string, string][] = [];
      const probe = stringFrame(t.text("split"));
      for (let at = 1; at < probe.length; at++) {
        const text = t.text(`split ${at}`);
        const frame = stringFrame(text);
        await a!.send(frame.subarray(0, at));
        await delay(15);
        await a!.send(frame.subarray(at));
        sent.push([a!.label, text]);
      }
      await expectSequence(t, a!, sent, new Set([a!.label]));
    },
  },
  {
    id: "2.2/2",
    title: "Fifty messages in one segment are all relayed, in order",
    rule: RULES.message,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("ms"));
      const texts = Array.from({ length: 50 }, (_, i) => t.text(`batch ${i}`));
      await a!.send(concatBytes(...texts.map((text) => stringFrame(text))));
      await expectSequence(t, a!, texts.map((text) => [a!.label, text]), new Set([a!.label]));
    },
  },
  {
    id: "2.2/3",
    title: "A message that arrives one byte at a time is relayed whole",
    rule: RULES.message,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("mt"));
      const text = t.text("slowly");
      await a!.trickle(stringFrame(text), 1, 5);
      await t.expectFrame(a!, a!.label, text);
    },
  },
  {
    id: "2.2/4",
    title: "A message of exactly max-message-size bytes is relayed",
    rule: RULES.limits,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("ml"));
      const text = t.text("longest").padEnd(t.target.maxMessageSize, "l");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
    },
  },
  {
    id: "2.2/5",
    title: "A size that arrives 300 ms before its payload is waited for",
    rule: RULES.whole,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("mw"));
      const text = t.text("late payload");
      const frame = stringFrame(text);
      await a!.send(frame.subarray(0, 4));
      await delay(300);
      await a!.send(frame.subarray(4));
      await t.expectFrame(a!, a!.label, text);
    },
  },
  {
    id: "2.3/1",
    title: "The sender receives its own message",
    rule: RULES.receiving,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("ec"), t.name("ed"));
      const text = t.text("echo");
      await t.say(b!, text);
      await t.expectFrame(a!, b!.label, text);
      await t.expectFrame(b!, b!.label, text);
    },
  },
  {
    id: "2.3/2",
    title: "Every other logged-in client receives the message",
    rule: RULES.receiving,
    kind: "protocol",
    async run(t) {
      const [a, b, c] = await t.join(t.name("ra"), t.name("rb"), t.name("rc"));
      const text = t.text("to all");
      await t.say(b!, text);
      await t.expectFrame(a!, b!.label, text);
      await t.expectFrame(c!, b!.label, text);
    },
  },
  {
    id: "2.3/3",
    title: "The frame carries the sender's user name, whoever receives it",
    rule: RULES.receiving,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("na"), t.name("nb"));
      const first = t.text("from a");
      const second = t.text("from b");
      await t.say(a!, first);
      await t.expectFrame(b!, a!.label, first);
      await t.say(b!, second);
      await t.expectFrame(a!, b!.label, second);
    },
  },
  {
    id: "2.3/4",
    title: "With 100 clients logged in, each receives the message",
    rule: RULES.receiving,
    kind: "protocol",
    timeoutMs: 30_000,
    async run(t) {
      const names = Array.from({ length: 100 }, (_, i) => t.name(`c${i}x`));
      const peers = await t.join(...names);
      const text = t.text("to a hundred");
      await t.say(peers[37]!, text);
      await Promise.all(peers.map((peer) => t.expectFrame(peer, names[37]!, text)));
    },
  },
  {
    id: "2.4/1",
    title: "One sender's 100 messages, sent back to back, arrive in order",
    rule: RULES.senderOrder,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("oa"), t.name("ob"));
      const texts = Array.from({ length: 100 }, (_, i) => t.text(`n${i}`));
      for (const text of texts) await t.say(a!, text);
      await expectSequence(t, b!, texts.map((text) => [a!.label, text]), new Set([a!.label]));
    },
  },
  {
    id: "2.4/2",
    title: "Three senders at once: four receivers see one and the same order",
    rule: RULES.order,
    kind: "protocol",
    async run(t) {
      const peers = await t.join(t.name("qa"), t.name("qb"), t.name("qc"), t.name("qd"));
      const senders = peers.slice(0, 3);
      const all = new Set(senders.map((peer) => peer.label));
      await Promise.all(senders.map(async (peer) => {
        for (let i = 0; i < 30; i++) {
          await t.say(peer, t.text(`${peer.label} ${i}`));
          if (i % 5 === 4) await delay(1);
        }
      }));
      const mine = (peer: Peer) => peer.frames.filter((frame) => all.has(frame.user));
      await Promise.all(peers.map((peer) => peer.until(() => mine(peer).length >= 90, t.timeout)));
      const orders: string[][] = [];
      for (const peer of peers) {
        if (mine(peer).length < 90) {
          fail(`${quote(peer.label)} receives all 90 messages`, describe(peer));
        }
        orders.push(mine(peer).map((frame) => frame.text));
      }
      for (let p = 1; p < peers.length; p++) {
        const at = orders[p]!.findIndex((text, i) => text !== orders[0]![i]);
        if (at >= 0) {
          fail(
            `${quote(peers[p]!.label)} receives the messages in the order ${
              quote(peers[0]!.label)
            } does`,
            `message ${at + 1} is ${quote(orders[p]![at]!)} for ${quote(peers[p]!.label)}, ${
              quote(orders[0]![at]!)
            } for ${quote(peers[0]!.label)}`,
          );
        }
      }
    },
  },
  {
    id: "2.5/1",
    title: "After a client closes its connection, the others go on chatting",
    rule: RULES.leaving,
    kind: "protocol",
    async run(t) {
      const [a, b, c] = await t.join(t.name("va"), t.name("vb"), t.name("vc"));
      await c!.close();
      await delay(100);
      for (const text of [t.text("still here"), t.text("and here")]) {
        await t.say(a!, text);
        await t.expectFrame(b!, a!.label, text);
        await t.expectFrame(a!, a!.label, text);
      }
    },
  },
  {
    id: "2.5/2",
    title: "A client that leaves in the middle of a message: nothing of it is relayed",
    rule: RULES.leaving,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("wa"), t.name("wb"));
      const cut = t.text("cut short, never whole");
      await b!.send(stringFrame(cut).subarray(0, 12));
      await delay(50);
      await b!.close();
      const text = t.text("after the cut");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
      await t.expectNothing(
        a!,
        `nothing from ${quote(b!.label)}`,
        (frame) => frame.user === b!.label,
      );
    },
  },
  {
    id: "2.5/3",
    title: "A client that leaves in the middle of its login disturbs nobody",
    rule: RULES.leaving,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("xa"));
      const gone = await t.connect("a client leaving mid-login");
      await gone.send(stringFrame(t.name("xg")).subarray(0, 2));
      await delay(50);
      await gone.close();
      await delay(50);
      const text = t.text("nobody disturbed");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
    },
  },
];
