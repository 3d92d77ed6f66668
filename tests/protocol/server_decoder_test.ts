import assert from "node:assert/strict";
import {
  type ClientFrame,
  encodeString,
  ProtocolError,
  ServerDecoder,
  ServerDecoderStream,
} from "../../mod.ts";
import { byteByByte, concat, randomSplit, splitAt } from "../support/chunks.ts";
import { Random, testSeed } from "../support/random.ts";

const decoder = new TextDecoder();

/** Decodes chunks with the synchronous core, collecting frames as values. */
function decodeSync(chunks: Iterable<Uint8Array>, options = {}): ClientFrame[] {
  const frames: ClientFrame[] = [];
  const core = new ServerDecoder({
    login: (username) => frames.push({ type: "login", username }),
    message: (text) => frames.push({ type: "message", text: decoder.decode(text) }),
  }, options);
  for (const chunk of chunks) core.push(chunk);
  core.end();
  return frames;
}

function decodeStream(chunks: Uint8Array[], options = {}): Promise<ClientFrame[]> {
  return Array.fromAsync(ReadableStream.from(chunks).pipeThrough(new ServerDecoderStream(options)));
}

const FRAMES: ClientFrame[] = [
  { type: "login", username: "bob" },
  { type: "message", text: "hello" },
  { type: "message", text: "" },
  { type: "message", text: "привет 👋" },
  { type: "message", text: "x".repeat(300) },
];
const ENCODED = FRAMES.map((frame) =>
  encodeString(frame.type === "login" ? frame.username : frame.text)
);
const WIRE = concat(ENCODED);
/** The offsets at which each frame ends. */
const BOUNDARIES = ENCODED.map((_, i) => concat(ENCODED.slice(0, i + 1)).length);

function expectProtocolError(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  };
}

Deno.test("ServerDecoder decodes a login and messages from one chunk", () => {
  assert.deepEqual(decodeSync([WIRE]), FRAMES);
});

Deno.test("ServerDecoder gives the same frames for every split point", () => {
  for (let cut = 0; cut <= WIRE.length; cut++) {
    assert.deepEqual(decodeSync(splitAt(WIRE, [cut])), FRAMES, `cut at ${cut}`);
  }
});

Deno.test("ServerDecoder gives the same frames for every pair of split points", () => {
  const expected = FRAMES.slice(0, 4);
  const wire = WIRE.subarray(0, BOUNDARIES[3]);
  for (let a = 0; a <= wire.length; a++) {
    for (let b = a; b <= wire.length; b++) {
      assert.deepEqual(decodeSync(splitAt(wire, [a, b])), expected, `cuts at ${a}, ${b}`);
    }
  }
});

Deno.test("ServerDecoder decodes 1-byte chunks", () => {
  assert.deepEqual(decodeSync(byteByByte(WIRE)), FRAMES);
});

Deno.test("ServerDecoder decodes random splits, empty chunks included", () => {
  const random = new Random(testSeed());
  for (let round = 0; round < 200; round++) {
    const chunks = randomSplit(WIRE, random, 1 + random.int(64));
    chunks.splice(random.int(chunks.length), 0, new Uint8Array(0));
    assert.deepEqual(decodeSync(chunks), FRAMES, `seed ${random.seed}`);
  }
});

Deno.test("ServerDecoderStream gives the same frames as the core for every split point", async () => {
  for (let cut = 0; cut <= WIRE.length; cut += 7) {
    assert.deepEqual(await decodeStream(splitAt(WIRE, [cut])), FRAMES, `cut at ${cut}`);
  }
});

Deno.test("ServerDecoder hands over a message inside one chunk without copying", () => {
  const views: Uint8Array[] = [];
  const core = new ServerDecoder({ login() {}, message: (text) => views.push(text) });
  core.push(WIRE);
  assert.equal(views.length, 4);
  for (const view of views) assert.equal(view.buffer, WIRE.buffer);
});

Deno.test("ServerDecoder assembles a straddling message in a buffer of exactly its size", () => {
  const seen: Uint8Array[] = [];
  const core = new ServerDecoder({ login() {}, message: (text) => seen.push(text) });
  const wire = concat([encodeString("bob"), encodeString("a".repeat(100))]);
  for (const chunk of splitAt(wire, [20, 50])) core.push(chunk);
  assert.equal(seen.length, 1);
  assert.equal(decoder.decode(seen[0]), "a".repeat(100));
  assert.equal(seen[0]!.buffer.byteLength, 100);
});

Deno.test("ServerDecoder accepts a user name and a message of exactly their limits", () => {
  const options = { maxUsernameSize: 5, maxMessageSize: 10 };
  const wire = concat([encodeString("abcde"), encodeString("0123456789")]);
  assert.deepEqual(decodeSync([wire], options), [
    { type: "login", username: "abcde" },
    { type: "message", text: "0123456789" },
  ]);
});

Deno.test("ServerDecoder rejects a user name one byte over the limit after its 4 size bytes", () => {
  const core = new ServerDecoder({ login() {}, message() {} }, { maxUsernameSize: 5 });
  const wire = encodeString("abcdef");
  core.push(wire.subarray(0, 3));
  assert.throws(() => core.push(wire.subarray(3, 4)), expectProtocolError("SIZE_LIMIT"));
});

Deno.test("ServerDecoder rejects a message one byte over the limit after its 4 size bytes", () => {
  const core = new ServerDecoder({ login() {}, message() {} }, { maxMessageSize: 10 });
  core.push(encodeString("bob"));
  const wire = encodeString("01234567890");
  core.push(wire.subarray(0, 3));
  assert.throws(
    () => core.push(wire.subarray(3, 4)),
    (error) =>
      expectProtocolError("SIZE_LIMIT")(error) &&
      /message size 11 exceeds the limit of 10 bytes/.test((error as Error).message),
  );
});

Deno.test("ServerDecoder rejects size 0xFFFFFFFF without reading a payload", () => {
  const core = new ServerDecoder({ login() {}, message() {} });
  core.push(encodeString("bob"));
  assert.throws(
    () => core.push(new Uint8Array([0xff, 0xff, 0xff, 0xff])),
    expectProtocolError("SIZE_LIMIT"),
  );
});

Deno.test("ServerDecoder rejects a message that is not UTF-8", () => {
  const bad = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xc0, 0xaf]];
  for (const bytes of bad) {
    const wire = concat([
      encodeString("bob"),
      new Uint8Array([0, 0, 0, bytes.length]),
      new Uint8Array(bytes),
    ]);
    assert.throws(() => decodeSync([wire]), expectProtocolError("INVALID_UTF8"), `bytes ${bytes}`);
  }
});

Deno.test("ServerDecoder rejects a user name that is not UTF-8", () => {
  const wire = new Uint8Array([0, 0, 0, 2, 0xc3, 0x28]);
  assert.throws(() => decodeSync([wire]), expectProtocolError("INVALID_UTF8"));
});

Deno.test("ServerDecoder rejects an empty user name", () => {
  assert.throws(() => decodeSync([encodeString("")]), expectProtocolError("INVALID_USERNAME"));
});

Deno.test("ServerDecoder rejects user names with control characters", () => {
  for (const name of ["bob\n", "\u0000", "a\u001bb", "del\u007f", "c1\u0085", "\u009f"]) {
    assert.throws(
      () => decodeSync([encodeString(name)]),
      expectProtocolError("INVALID_USERNAME"),
      JSON.stringify(name),
    );
  }
});

Deno.test("ServerDecoder accepts user names in any script", () => {
  for (const name of ["Zoë", "Вася", "李雷", "🙂🙂"]) {
    assert.deepEqual(decodeSync([encodeString(name)]), [{ type: "login", username: name }]);
  }
});

Deno.test("ServerDecoder reports a stream that ends inside a frame", () => {
  for (let cut = 1; cut < WIRE.length; cut++) {
    const ends = BOUNDARIES.includes(cut);
    const run = () => decodeSync([WIRE.subarray(0, cut)]);
    if (ends) run();
    else assert.throws(run, expectProtocolError("TRUNCATED"), `cut at ${cut}`);
  }
});

Deno.test("ServerDecoder accepts a stream that ends before the login", () => {
  assert.deepEqual(decodeSync([]), []);
});

Deno.test("ServerDecoderStream errors the stream with a ProtocolError", async () => {
  await assert.rejects(
    decodeStream([encodeString("bob"), new Uint8Array([0, 0, 0, 2, 0xff, 0xff])]),
    expectProtocolError("INVALID_UTF8"),
  );
  await assert.rejects(
    decodeStream([encodeString("bob"), new Uint8Array([0, 0, 0, 9, 1])]),
    expectProtocolError("TRUNCATED"),
  );
});

Deno.test("ServerDecoder reports whether the login was decoded", () => {
  const core = new ServerDecoder({ login() {}, message() {} });
  assert.equal(core.loggedIn, false);
  core.push(encodeString("bob").subarray(0, 5));
  assert.equal(core.loggedIn, false);
  core.push(encodeString("bob").subarray(5));
  assert.equal(core.loggedIn, true);
});
