/**
 * Server cases of section 1 of the protocol: the data types on the wire.
 *
 * @module
 */

import { type CheckCase, fail } from "../case.ts";
import { RULES } from "../rules.ts";
import { describe, type ServerContext } from "../server_context.ts";
import { concatBytes, stringFrame } from "../wire.ts";

type ServerCase = CheckCase<ServerContext>;

/** How far the server's clock may be from the kit's, in seconds. */
const CLOCK_SLACK_S = 30;

/** The cases of section 1. */
export const DATA_TYPE_CASES: readonly ServerCase[] = [
  {
    id: "1/1",
    title: "The timestamp is a big-endian count of whole seconds, near the kit's clock",
    rule: RULES.timestamp,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("ts"));
      const before = Math.floor(Date.now() / 1000);
      const text = t.text("what time is it");
      await t.say(a!, text);
      const frame = await t.expectFrame(a!, a!.label, text);
      const after = Math.ceil(Date.now() / 1000);
      const seconds = frame.timestamp;
      if (seconds < BigInt(before - CLOCK_SLACK_S) || seconds > BigInt(after + CLOCK_SLACK_S)) {
        const hint = seconds > BigInt(after) * 900n && seconds < BigInt(after) * 1100n
          ? " (milliseconds?)"
          : seconds > 2n ** 40n
          ? " (little-endian?)"
          : "";
        fail(
          `a timestamp within ${CLOCK_SLACK_S} s of ${before} (the kit's clock, seconds of UNIX time)`,
          `${seconds}${hint}`,
        );
      }
    },
  },
  {
    id: "1/2",
    title: "Sizes are big-endian: a message of 300 bytes (size bytes 00 00 01 2c) is relayed",
    rule: RULES.string,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("be"));
      const text = t.text("x").padEnd(300, "x");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
    },
  },
  {
    id: "1/3",
    title: "A size uses all four bytes: messages of 255, 256 and 2,000 bytes are relayed",
    rule: RULES.string,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("sz"));
      for (const size of [255, 256, Math.min(2000, t.target.maxMessageSize)]) {
        const text = t.text("y").padEnd(size, "y");
        await t.say(a!, text);
        await t.expectFrame(a!, a!.label, text);
      }
    },
  },
  {
    id: "1/4",
    title: "Multi-byte UTF-8 in a message is relayed byte for byte (2, 3 and 4-byte sequences)",
    rule: RULES.string,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("mb"));
      const text = t.text("é ж € 語 😀 𝄞");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
    },
  },
  {
    id: "1/5",
    title: "A multi-byte UTF-8 user name is relayed byte for byte",
    rule: RULES.string,
    kind: "protocol",
    async run(t) {
      // One script only: servers may refuse names that mix scripts (UTS #39), and this
      // case is about bytes, not about names.
      const [a] = await t.join(t.name("Zoë"));
      const text = t.text("hello");
      await t.say(a!, text);
      await t.expectFrame(a!, a!.label, text);
    },
  },
  {
    id: "1/6",
    title: "An empty message (size 0) is relayed as an empty string",
    rule: RULES.string,
    kind: "protocol",
    async run(t) {
      const [a, b] = await t.join(t.name("ea"), t.name("eb"));
      await t.say(a!, "");
      const after = t.text("after the empty one");
      await t.say(a!, after);
      await t.expectFrame(b!, a!.label, after);
      const texts = b!.frames.map((frame) => frame.text);
      if (texts[0] !== "" || texts[1] !== after) {
        fail(
          `${b!.label} receives an empty message from ${a!.label}, then ${JSON.stringify(after)}`,
          `it received ${JSON.stringify(texts)}`,
        );
      }
    },
  },
  {
    id: "1/7",
    title: "The server sends nothing of its own: no greeting after a login, nothing when idle",
    rule: RULES.nothingElse,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("ng"));
      const bytes = a!.bytesReceived;
      const b = await t.login(t.name("nh"));
      await t.expectNothing(a!, "nothing while nobody sends");
      await t.expectNothing(b, "nothing while nobody sends");
      if (a!.bytesReceived !== bytes || b.bytesReceived !== 0) {
        fail(
          "no bytes while nobody sends",
          `${a!.bytesReceived - bytes} bytes to ${a!.label}, ${b.bytesReceived} to ${b.label}`,
        );
      }
    },
  },
  {
    id: "1/8",
    title: "Frames follow each other with nothing between them",
    rule: RULES.nothingElse,
    kind: "protocol",
    async run(t) {
      const [a] = await t.join(t.name("nb"));
      const texts = [t.text("one"), t.text("two"), t.text("three")];
      await a!.send(concatBytes(...texts.map((text) => stringFrame(text))));
      await t.expectFrame(a!, a!.label, texts[2]!);
      const got = a!.frames.map((frame) => frame.text);
      if (got.join("\n") !== texts.join("\n") || a!.pendingBytes !== 0) {
        fail(
          `exactly three frames: ${JSON.stringify(texts)}`,
          `${JSON.stringify(got)}; ${describe(a!)}`,
        );
      }
    },
  },
];
