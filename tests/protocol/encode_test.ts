import assert from "node:assert/strict";
import {
  ClientDecoderStream,
  ClientEncoderStream,
  type ClientFrame,
  encodeChatMessage,
  encodeString,
  ServerDecoderStream,
  ServerEncoderStream,
  utf8ByteLength,
} from "../../mod.ts";
import { Random, testSeed } from "../support/random.ts";

Deno.test("encodeString writes a big-endian size and the UTF-8 bytes", () => {
  assert.deepEqual(encodeString(""), new Uint8Array([0, 0, 0, 0]));
  const long = encodeString("é".repeat(200)); // 400 bytes = 0x190
  assert.deepEqual(long.subarray(0, 4), new Uint8Array([0, 0, 1, 0x90]));
  assert.deepEqual(long.subarray(4), new TextEncoder().encode("é".repeat(200)));
});

Deno.test("encodeString encodes short and long strings exactly, in a frame of their size", () => {
  const long = ["é".repeat(300), "👋".repeat(1000), "x".repeat(500) + "\udc00", "Я".repeat(70_000)];
  for (const text of ["", "bob", "привет", "👋🏽", "a\ud800b", ...long]) {
    const frame = encodeString(text);
    const utf8 = new TextEncoder().encode(text);
    assert.equal(frame.buffer.byteLength, frame.length);
    assert.equal(new DataView(frame.buffer).getUint32(0), utf8.length);
    assert.deepEqual(frame.subarray(4), utf8);
  }
});

Deno.test("encodeChatMessage writes timestamp, user name and text, big-endian", () => {
  const frame = encodeChatMessage({ timestamp: 0x0102_0304_0506, username: "Ж", text: "ok" });
  assert.deepEqual(
    frame,
    new Uint8Array([0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 2, 0xd0, 0x96, 0, 0, 0, 2, 0x6f, 0x6b]),
  );
  assert.equal(frame.buffer.byteLength, frame.length);
});

Deno.test("encodeChatMessage encodes the largest exact timestamp", () => {
  const frame = encodeChatMessage({ timestamp: 2 ** 53 - 1, username: "", text: "" });
  assert.deepEqual(frame.subarray(0, 8), new Uint8Array([0, 0x1f, 255, 255, 255, 255, 255, 255]));
});

Deno.test("encodeChatMessage refuses timestamps it cannot encode exactly", () => {
  for (const timestamp of [-1, 1.5, 2 ** 53, NaN, Infinity]) {
    assert.throws(
      () => encodeChatMessage({ timestamp, username: "a", text: "b" }),
      RangeError,
      String(timestamp),
    );
  }
});

Deno.test("utf8ByteLength agrees with TextEncoder on random strings", () => {
  const random = new Random(testSeed());
  for (let round = 0; round < 2000; round++) {
    let text = "";
    for (let n = random.int(12); n > 0; n--) {
      // Any UTF-16 code unit, lone surrogates included, and some real pairs.
      text += random.int(4) === 0
        ? String.fromCodePoint(0x10000 + random.int(0x100000))
        : String.fromCharCode(random.int(0x10000));
    }
    assert.equal(
      utf8ByteLength(text),
      new TextEncoder().encode(text).length,
      `seed ${random.seed}: ${JSON.stringify(text)}`,
    );
  }
});

Deno.test("ClientEncoderStream round-trips through ServerDecoderStream", async () => {
  const frames: ClientFrame[] = [
    { type: "login", username: "Зоя" },
    { type: "message", text: "" },
    { type: "message", text: "line one\nline two 🙂" },
  ];
  const decoded = await Array.fromAsync(
    ReadableStream.from(frames)
      .pipeThrough(new ClientEncoderStream())
      .pipeThrough(new ServerDecoderStream()),
  );
  assert.deepEqual(decoded, frames);
});

Deno.test("ServerEncoderStream round-trips through ClientDecoderStream", async () => {
  const messages = [
    { timestamp: 1, username: "a", text: "b" },
    { timestamp: 1_800_000_000, username: "李雷", text: "x".repeat(5000) },
  ];
  const decoded = await Array.fromAsync(
    ReadableStream.from(messages)
      .pipeThrough(new ServerEncoderStream())
      .pipeThrough(new ClientDecoderStream()),
  );
  assert.deepEqual(decoded, messages);
});
