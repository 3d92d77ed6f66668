import assert from "node:assert/strict";
import {
  type ChatMessage,
  ClientDecoder,
  ClientDecoderStream,
  encodeChatMessage,
  ProtocolError,
} from "../../mod.ts";
import { byteByByte, concat, randomSplit, splitAt } from "../support/chunks.ts";
import { Random, testSeed } from "../support/random.ts";

function decodeSync(chunks: Iterable<Uint8Array>, options = {}): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const core = new ClientDecoder((message) => messages.push(message), options);
  for (const chunk of chunks) core.push(chunk);
  core.end();
  return messages;
}

function expectProtocolError(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  };
}

const MESSAGES: ChatMessage[] = [
  { timestamp: 1_700_000_000, username: "alice", text: "hello" },
  { timestamp: 0, username: "bob", text: "" },
  { timestamp: 2 ** 32, username: "Вася", text: "привет, мир" },
  { timestamp: Number.MAX_SAFE_INTEGER, username: "🙂", text: "emoji 👋🏽 and \u0000 bytes" },
];
const ENCODED = MESSAGES.map(encodeChatMessage);
const WIRE = concat(ENCODED);
const BOUNDARIES = ENCODED.map((_, i) => concat(ENCODED.slice(0, i + 1)).length);

/** A string of random code points from several scripts, lone surrogates excluded. */
function randomText(random: Random, maxLength: number): string {
  const ranges = [[0x20, 0x7e], [0x400, 0x4ff], [0x4e00, 0x9fff], [0x1f300, 0x1faff], [0, 0x1f]];
  let text = "";
  for (let n = random.int(maxLength + 1); n > 0; n--) {
    const [low, high] = random.pick(ranges);
    text += String.fromCodePoint(low! + random.int(high! - low! + 1));
  }
  return text;
}

Deno.test("ClientDecoder decodes chat messages from one chunk", () => {
  assert.deepEqual(decodeSync([WIRE]), MESSAGES);
});

Deno.test("ClientDecoder gives the same messages for every split point", () => {
  for (let cut = 0; cut <= WIRE.length; cut++) {
    assert.deepEqual(decodeSync(splitAt(WIRE, [cut])), MESSAGES, `cut at ${cut}`);
  }
});

Deno.test("ClientDecoder gives the same messages for every pair of split points", () => {
  const wire = WIRE.subarray(0, BOUNDARIES[1]);
  for (let a = 0; a <= wire.length; a++) {
    for (let b = a; b <= wire.length; b++) {
      assert.deepEqual(decodeSync(splitAt(wire, [a, b])), MESSAGES.slice(0, 2), `cuts ${a}, ${b}`);
    }
  }
});

Deno.test("ClientDecoder decodes 1-byte chunks", () => {
  assert.deepEqual(decodeSync(byteByByte(WIRE)), MESSAGES);
});

Deno.test("ClientDecoder round-trips random messages in random splits", () => {
  const random = new Random(testSeed());
  for (let round = 0; round < 100; round++) {
    const messages = Array.from({ length: 1 + random.int(20) }, () => ({
      timestamp: random.int(2 ** 40),
      username: randomText(random, 8),
      text: randomText(random, 200),
    }));
    const wire = concat(messages.map(encodeChatMessage));
    const chunks = randomSplit(wire, random, 1 + random.int(300));
    assert.deepEqual(decodeSync(chunks), messages, `seed ${random.seed}`);
  }
});

Deno.test("ClientDecoderStream decodes the same messages as the core", async () => {
  for (let cut = 0; cut <= WIRE.length; cut += 5) {
    const messages = await Array.fromAsync(
      ReadableStream.from(splitAt(WIRE, [cut])).pipeThrough(new ClientDecoderStream()),
    );
    assert.deepEqual(messages, MESSAGES, `cut at ${cut}`);
  }
});

Deno.test("ClientDecoder rejects a timestamp above 2^53 - 1 after its 8 bytes", () => {
  const frame = encodeChatMessage({ timestamp: 0, username: "a", text: "b" });
  frame.set([0x00, 0x20, 0, 0, 0, 0, 0, 0], 0); // 2^53
  const core = new ClientDecoder(() => {});
  core.push(frame.subarray(0, 7));
  assert.throws(() => core.push(frame.subarray(7, 8)), expectProtocolError("TIMESTAMP_RANGE"));
});

Deno.test("ClientDecoder accepts strings of exactly the limit", () => {
  const message = { timestamp: 5, username: "abcd", text: "wxyz" };
  assert.deepEqual(decodeSync([encodeChatMessage(message)], { maxStringSize: 4 }), [message]);
});

Deno.test("ClientDecoder rejects a user name over the limit after its 4 size bytes", () => {
  const frame = encodeChatMessage({ timestamp: 5, username: "abcde", text: "x" });
  const core = new ClientDecoder(() => {}, { maxStringSize: 4 });
  core.push(frame.subarray(0, 11));
  assert.throws(() => core.push(frame.subarray(11, 12)), expectProtocolError("SIZE_LIMIT"));
});

Deno.test("ClientDecoder rejects a text over the limit after its 4 size bytes", () => {
  const frame = encodeChatMessage({ timestamp: 5, username: "ab", text: "abcde" });
  const core = new ClientDecoder(() => {}, { maxStringSize: 4 });
  core.push(frame.subarray(0, 17));
  assert.throws(() => core.push(frame.subarray(17, 18)), expectProtocolError("SIZE_LIMIT"));
});

Deno.test("ClientDecoder rejects a 4 GiB string by default without buffering it", () => {
  const header = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
  assert.throws(() => decodeSync([header]), expectProtocolError("SIZE_LIMIT"));
});

Deno.test("ClientDecoder rejects strings that are not UTF-8", () => {
  const badName = concat([
    new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0xff]),
    new Uint8Array([0, 0, 0, 0]),
  ]);
  assert.throws(() => decodeSync([badName]), expectProtocolError("INVALID_UTF8"));
  const badText = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0x80]);
  assert.throws(() => decodeSync([badText]), expectProtocolError("INVALID_UTF8"));
});

Deno.test("ClientDecoder reports a stream that ends inside a frame, and only then", () => {
  for (let cut = 0; cut <= WIRE.length; cut++) {
    const run = () => decodeSync([WIRE.subarray(0, cut)]);
    if (cut === 0 || BOUNDARIES.includes(cut)) run();
    else assert.throws(run, expectProtocolError("TRUNCATED"), `cut at ${cut}`);
  }
});

Deno.test("ClientDecoderStream errors the stream with a ProtocolError", async () => {
  await assert.rejects(
    Array.fromAsync(
      ReadableStream.from([WIRE.subarray(0, 10)]).pipeThrough(new ClientDecoderStream()),
    ),
    expectProtocolError("TRUNCATED"),
  );
});
