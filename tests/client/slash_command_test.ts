import assert from "node:assert/strict";
import { readInputLine } from "../../client/command/slash_command.ts";

Deno.test("readInputLine: commands whatever their case and the white space around", () => {
  for (const line of ["/who", "/WHO", " /Who ", "\t/who", "/who alice"]) {
    assert.deepEqual(readInputLine(line), { kind: "send", text: "/who" }, line);
  }
  for (const line of ["/help", "/HELP ", "  /Help"]) {
    assert.deepEqual(readInputLine(line), { kind: "help" }, line);
  }
  for (const line of ["/quit", "/QUIT", " /quit "]) {
    assert.deepEqual(readInputLine(line), { kind: "quit" }, line);
  }
});

Deno.test("readInputLine: an unknown /word is not sent; //text sends /text; other lines as they are", () => {
  assert.deepEqual(readInputLine("/me waves"), { kind: "unknown", command: "/me" });
  assert.deepEqual(readInputLine("/Ünïcode"), { kind: "unknown", command: "/Ünïcode" });
  assert.deepEqual(readInputLine("//quit"), { kind: "send", text: "/quit" });
  assert.deepEqual(readInputLine("  //x "), { kind: "send", text: "/x " });
  for (const line of ["/", "/ hello", "/123", "a /who", "", "  ", "hello"]) {
    assert.deepEqual(readInputLine(line), { kind: "send", text: line }, line);
  }
});
