import assert from "node:assert/strict";
import { readInput } from "../../web/commands.ts";

Deno.test("readInput knows /help, /quit and /who, trimmed and in any case", () => {
  assert.deepEqual(readInput("/help"), { kind: "help" });
  assert.deepEqual(readInput("  /Quit\t"), { kind: "quit" });
  assert.deepEqual(readInput("/WHO "), { kind: "who" });
});

Deno.test("readInput sends //text as /text and other text as it is", () => {
  assert.deepEqual(readInput("//who"), { kind: "send", text: "/who" });
  assert.deepEqual(readInput("//"), { kind: "send", text: "/" });
  assert.deepEqual(readInput("  hello "), { kind: "send", text: "  hello " });
  assert.deepEqual(readInput("a /who"), { kind: "send", text: "a /who" });
});

Deno.test("readInput answers any other /word as an unknown command", () => {
  assert.deepEqual(readInput("/nick bob"), { kind: "unknown", command: "/nick" });
  assert.deepEqual(readInput("/"), { kind: "unknown", command: "/" });
  assert.deepEqual(readInput("/who am i"), { kind: "unknown", command: "/who" });
});
