import assert from "node:assert/strict";
import { scanFrames } from "../../check/load/frame_scanner.ts";
import {
  filler,
  readDigitBytes,
  readDigits,
  readSendTime,
  writeBodyHeader,
} from "../../check/load/message_body.ts";
import { encodeChatMessage } from "../../mod.ts";
import { concat } from "../support/chunks.ts";

Deno.test("writeBodyHeader writes what readSendTime and readDigitBytes read back", () => {
  const cases = [[0, 0, 0], [1, 2, 3], [2 ** 48 - 1, 2 ** 18 - 1, 2 ** 30 - 1], [
    123_456_789_012,
    4321,
    987_654,
  ]];
  for (const [sent, sender, sequence] of cases) {
    const body = filler(64);
    writeBodyHeader(body, 0, sent!, sender!, sequence!);
    assert.equal(readSendTime(body, 0), sent);
    assert.equal(readDigitBytes(body, 8, 3), sender);
    assert.equal(readDigitBytes(body, 11, 5), sequence);
    const text = new TextDecoder().decode(body);
    assert.equal(readDigits(text, 0, 8), sent);
    assert.equal(readDigits(text, 8, 3), sender);
    assert.equal(readDigits(text, 11, 5), sequence);
    assert.equal(text.slice(16), new TextDecoder().decode(filler(64).subarray(16)));
    assert.match(text, /^[A-Za-z0-9_-]+$/);
  }
});

Deno.test("readDigitBytes and readDigits refuse bytes that are not base64url digits", () => {
  const body = filler(16);
  writeBodyHeader(body, 0, 5, 6, 7);
  body[12] = 0x2b; // "+"
  assert.equal(readDigitBytes(body, 11, 5), -1);
  body[1] = 0xc3;
  assert.equal(readSendTime(body, 0), -1);
  assert.equal(readDigits("AAé", 0, 3), -1);
});

Deno.test("scanFrames hands over every whole frame and keeps an incomplete one", () => {
  const frames = [
    { timestamp: 1_700_000_000, username: "u0", text: "#SYNC:000001" },
    { timestamp: 2 ** 40, username: "u12", text: "x".repeat(64) },
    { timestamp: 0, username: "", text: "" },
  ];
  const wire = concat(frames.map(encodeChatMessage));
  const decoder = new TextDecoder();
  for (let end = 0; end <= wire.length; end++) {
    const seen: { timestamp: number; username: string; text: string }[] = [];
    const used = scanFrames(
      wire,
      end,
      16,
      64,
      (bytes, timestamp, userStart, textStart, textEnd) => {
        seen.push({
          timestamp,
          username: decoder.decode(bytes.subarray(userStart, textStart - 4)),
          text: decoder.decode(bytes.subarray(textStart, textEnd)),
        });
      },
    );
    const whole = frames.filter((_, i) =>
      concat(frames.slice(0, i + 1).map(encodeChatMessage)).length <= end
    );
    assert.deepEqual(seen, whole, `cut at ${end}`);
    assert.equal(used, concat(whole.map(encodeChatMessage)).length);
  }
});

Deno.test("scanFrames refuses a size over its limit from the size field alone", () => {
  const frame = encodeChatMessage({ timestamp: 1, username: "u1", text: "x".repeat(65) });
  assert.equal(scanFrames(frame, 16, 16, 64, () => assert.fail("no frame expected")), 0);
  assert.equal(scanFrames(frame, 18, 16, 64, () => assert.fail("no frame expected")), -1);
  const longName = encodeChatMessage({ timestamp: 1, username: "u".repeat(17), text: "" });
  assert.equal(scanFrames(longName, 12, 16, 64, () => assert.fail("no frame expected")), -1);
});

Deno.test("scanFrames reports a timestamp above 2^53 - 1 as NaN", () => {
  const frame = encodeChatMessage({ timestamp: 1, username: "u1", text: "hi" });
  frame[0] = 0xff;
  let timestamp = 0;
  scanFrames(frame, frame.length, 16, 64, (_, value) => timestamp = value);
  assert.ok(Number.isNaN(timestamp));
});
