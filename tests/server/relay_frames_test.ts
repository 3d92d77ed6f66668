import assert from "node:assert/strict";
import { concatBytes } from "../../io/write_all.ts";
import { encodeRelayFrame, splitRelayFrames } from "../../server/cluster/backplane.ts";
import { checkRelayFrame } from "../../server/cluster/frame_check.ts";

const encoder = new TextEncoder();
const limits = { maxUsernameSize: 25, maxMessageSize: 3000 };

function relay(name: string, text: string): Uint8Array {
  const field = encoder.encode(name);
  const sender = new Uint8Array(4 + field.length);
  new DataView(sender.buffer).setUint32(0, field.length);
  sender.set(field, 4);
  return encodeRelayFrame(1_700_000_000, sender, encoder.encode(text));
}

Deno.test("splitRelayFrames gives back each frame of a message, in order", () => {
  const frames = [relay("alice", "one"), relay("bob", ""), relay("carol", "three".repeat(100))];
  const parts = splitRelayFrames(concatBytes(frames));
  assert.deepEqual(parts, frames);
  for (const part of parts) assert.equal(checkRelayFrame(part, false, limits), undefined);
});

Deno.test("splitRelayFrames hands a message of one frame over as it is", () => {
  const frame = relay("alice", "hi");
  const parts = splitRelayFrames(frame);
  assert.equal(parts.length, 1);
  assert.equal(parts[0], frame);
  assert.deepEqual(splitRelayFrames(new Uint8Array(0)), []);
});

Deno.test("splitRelayFrames keeps what cannot be a whole frame as one last piece, refused", () => {
  const good = relay("alice", "hi");
  const cases: [string, Uint8Array][] = [
    ["a short tail", concatBytes([good, new Uint8Array(7)])],
    ["a frame cut short", concatBytes([good, relay("bob", "cut").subarray(0, 20)])],
    [
      "a name size past the end",
      concatBytes([good, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 255, 255, 255, 255, 0, 0, 0, 0])]),
    ],
    [
      "a text size past the end",
      concatBytes([
        good,
        relay("bob", "x").subarray(0, 15),
        new Uint8Array([127, 255, 255, 255, 120]),
      ]),
    ],
  ];
  for (const [what, data] of cases) {
    const parts = splitRelayFrames(data);
    assert.equal(parts.length, 2, what);
    assert.deepEqual(parts[0], good, what);
    assert.equal(parts[1]!.length, data.length - good.length, what);
    assert.equal(checkRelayFrame(parts[1]!, false, limits), "garbage", what);
  }
});
