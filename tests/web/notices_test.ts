import assert from "node:assert/strict";
import { readNotice } from "../../web/notices.ts";

Deno.test("readNotice reads /who answers with bare names", () => {
  assert.deepEqual(readNotice("3 here: alice, bob, carol"), {
    kind: "who",
    count: 3,
    names: ["alice", "bob", "carol"],
  });
  assert.deepEqual(readNotice("1 here: bob smith"), {
    kind: "who",
    count: 1,
    names: ["bob smith"],
  });
  assert.deepEqual(readNotice("0 here: "), { kind: "who", count: 0, names: [] });
  assert.deepEqual(readNotice("0 here:"), { kind: "who", count: 0, names: [] });
});

Deno.test("readNotice reads /who answers with names as JSON string literals", () => {
  assert.deepEqual(readNotice('3 here: "alice", "b, \\"ob\\"", "carol"'), {
    kind: "who",
    count: 3,
    names: ["alice", 'b, "ob"', "carol"],
  });
  assert.deepEqual(readNotice('1 here: "\\u0007x"'), { kind: "who", count: 1, names: ["\x07x"] });
});

Deno.test("readNotice refuses a quoted /who list that is not JSON strings", () => {
  assert.deepEqual(readNotice('2 here: "alice", 3'), { kind: "other" });
  assert.deepEqual(readNotice('1 here: "alice'), { kind: "other" });
  assert.deepEqual(readNotice('1 here: "a"]; alert(1); ["'), { kind: "other" });
  assert.deepEqual(readNotice("99999999999999999999 here: a"), { kind: "other" });
});

Deno.test("readNotice reads joins and leaves, bare and quoted", () => {
  assert.deepEqual(readNotice("alice joined"), { kind: "joined", name: "alice" });
  assert.deepEqual(readNotice('"alice" joined'), { kind: "joined", name: "alice" });
  assert.deepEqual(readNotice('"a \\"b\\" joined" joined'), {
    kind: "joined",
    name: 'a "b" joined',
  });
  assert.deepEqual(readNotice("bob left"), { kind: "left", name: "bob" });
  assert.deepEqual(readNotice("bob left (slow consumer)"), { kind: "left", name: "bob" });
  assert.deepEqual(readNotice('"bob" left (timeout)'), { kind: "left", name: "bob" });
  assert.deepEqual(readNotice("bob smith left"), { kind: "left", name: "bob smith" });
});

Deno.test("readNotice reads the presence summary and leaves other notices alone", () => {
  assert.deepEqual(readNotice("312 joined, 298 left in the last second"), { kind: "summary" });
  for (
    const text of [
      " joined",
      "the name is taken",
      '"bob" waved',
      "bob left (a (b))",
      "here: alice",
      "",
    ]
  ) {
    assert.deepEqual(readNotice(text), { kind: "other" }, text);
  }
});
