import assert from "node:assert/strict";
import type { CaseResult } from "../../check/runner.ts";
import { junitReport } from "../../check/report_junit.ts";
import { formatResult } from "../../check/report_text.ts";
import { chatFrame, concatBytes, FrameReader, quote, stringFrame } from "../../check/wire.ts";

const frames = concatBytes(
  chatFrame(1_700_000_000, "alice", "hi"),
  chatFrame(1_700_000_001, "Zoë", "日本語 😀"),
  chatFrame(1_700_000_002, "bob", ""),
);

Deno.test("FrameReader reads the same frames from every split of the stream", () => {
  for (let at = 0; at <= frames.length; at++) {
    const reader = new FrameReader(3000);
    const got = [...reader.push(frames.subarray(0, at)), ...reader.push(frames.subarray(at))];
    assert.deepEqual(got.map((f) => [f.timestamp, f.user, f.text]), [
      [1_700_000_000n, "alice", "hi"],
      [1_700_000_001n, "Zoë", "日本語 😀"],
      [1_700_000_002n, "bob", ""],
    ]);
    assert.equal(reader.pending, 0);
    assert.equal(reader.problem, undefined);
  }
});

Deno.test("FrameReader reports a little-endian size once, without waiting for its payload", () => {
  const frame = chatFrame(1, "alice", "hi");
  new DataView(frame.buffer).setUint32(8, 5, true); // 05 00 00 00
  const reader = new FrameReader(3000);
  assert.deepEqual(reader.push(frame), []);
  assert.match(reader.problem!, /user name size is 83886080 \(size bytes 05 00 00 00\)/);
  assert.deepEqual(reader.push(chatFrame(2, "bob", "later")), []);
});

Deno.test("FrameReader reports a message that is not UTF-8, and an oversized message size", () => {
  const bad = new FrameReader(3000);
  bad.push(chatFrame(1, "mallory", new Uint8Array([0x68, 0xc0, 0xaf])));
  assert.match(bad.problem!, /message is not valid UTF-8: 68 c0 af/);
  const big = new FrameReader(3000);
  big.push(concatBytes(chatFrame(1, "a", "b").subarray(0, 13), stringFrame("x".repeat(3001))));
  assert.match(big.problem!, /message size is 3001/);
});

Deno.test("hostile text from a server is quoted with its control characters escaped", () => {
  assert.equal(quote('a\u001b[2J\nb\u202e"c\\'), '"a\\u{1b}[2J\\u{0a}b\\u{202e}\\"c\\\\"');
  assert.equal(quote("x".repeat(100), 10), '"xxxxxxxxxx"… (100 characters)');
});

const hostile: CaseResult = {
  id: "2.3/1",
  title: "The sender receives its own message",
  rule: "the sender included",
  kind: "protocol",
  status: "failed",
  expected: 'a frame from "bob"',
  actual: 'it received "</failure>\u0007 & <b>"',
  durationMs: 12,
};

Deno.test("the JUnit report escapes what a server sent, control characters included", () => {
  const xml = junitReport("server 127.0.0.1:1", [hostile]);
  assert.ok(!xml.includes("</failure>\u0007"));
  assert.ok(!xml.includes("\u0007"));
  assert.match(xml, /&lt;\/failure&gt;\ufffd &amp; &lt;b&gt;/);
  assert.match(xml, /<testsuite name="2\.3 Conversation: receiving" tests="1" failures="1"/);
});

Deno.test("the text report prints a section heading once, and skipped cases with the reason", () => {
  const passed: CaseResult = { ...hostile, status: "passed" };
  const skipped: CaseResult = {
    ...hostile,
    id: "2.3/2",
    kind: "strict",
    status: "skipped",
    reason: "a SHOULD: run with --strict",
  };
  assert.equal(
    formatResult(passed, undefined) + formatResult(skipped, passed),
    "2.3 Conversation: receiving\n" +
      "  ✔ 2.3/1 The sender receives its own message\n" +
      "  - 2.3/1 The sender receives its own message [strict] (skipped: a SHOULD: run with --strict)\n"
        .replace("2.3/1 The", "2.3/2 The"),
  );
});
