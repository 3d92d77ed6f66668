// deno-lint-ignore-file no-control-regex -- these tests are about control characters
import assert from "node:assert/strict";
import { type Key, KeyDecoder } from "../../client/command/terminal/keys.ts";

const encoder = new TextEncoder();

function decode(...chunks: (string | Uint8Array)[]): Key[] {
  const decoder = new KeyDecoder();
  return chunks.flatMap((chunk) =>
    decoder.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk)
  );
}

const text = (text: string): Key => ({ type: "text", text });
const key = (key: string): Key => ({ type: "key", key } as Key);

Deno.test("KeyDecoder gives typed and pasted text as one key per run", () => {
  assert.deepEqual(decode("hello, мир 👋"), [text("hello, мир 👋")]);
});

Deno.test("KeyDecoder decodes the editing keys", () => {
  const cases: Record<string, string> = {
    "\r": "enter",
    "\n": "enter",
    "\x7f": "backspace",
    "\b": "backspace",
    "\x1b[3~": "delete",
    "\x1b[D": "left",
    "\x1bOD": "left",
    "\x02": "left",
    "\x1b[C": "right",
    "\x06": "right",
    "\x1b[1;5C": "right",
    "\x1b[A": "up",
    "\x10": "up",
    "\x1b[B": "down",
    "\x0e": "down",
    "\x1b[H": "home",
    "\x1b[1~": "home",
    "\x1b[7~": "home",
    "\x1bOH": "home",
    "\x01": "home",
    "\x1b[F": "end",
    "\x1b[4~": "end",
    "\x1b[8~": "end",
    "\x1bOF": "end",
    "\x05": "end",
    "\x15": "delete-to-start",
    "\x0b": "delete-to-end",
    "\x17": "delete-word",
    "\x04": "end-of-input",
    "\x03": "interrupt",
    "\x0c": "redraw",
  };
  for (const [bytes, name] of Object.entries(cases)) {
    assert.deepEqual(decode(bytes), [key(name)], JSON.stringify(bytes));
  }
});

Deno.test("KeyDecoder gives a pasted CRLF as one Enter", () => {
  assert.deepEqual(decode("a\r\nb"), [text("a"), key("enter"), text("b")]);
});

Deno.test("KeyDecoder ignores unknown sequences and control characters whole", () => {
  assert.deepEqual(decode("a\x1b[15~b\x1b[200~c\x00\x1f\x1bOPd"), [
    text("a"),
    text("b"),
    text("c"),
    text("d"),
  ]);
  // A lone ESC (or Alt with a key) is dropped, the key kept.
  assert.deepEqual(decode("\x1bx"), [text("x")]);
});

Deno.test("KeyDecoder never inserts C1 controls or escapes as text", () => {
  for (const { type, ...rest } of decode("a\x85b\u009bc\x1b]0;title\x07")) {
    if (type === "text") {
      assert.doesNotMatch((rest as { text: string }).text, /[\x00-\x1f\x7f-\x9f]/);
    }
  }
});

Deno.test("KeyDecoder completes a UTF-8 character or escape sequence cut between reads", () => {
  const bytes = encoder.encode("ж😀");
  assert.deepEqual(decode(bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)), [
    text("ж"),
    text("😀"),
  ]);
  assert.deepEqual(decode("\x1b", "[", "3", "~"), [key("delete")]);
  assert.deepEqual(decode("x\x1bO", "Dy"), [text("x"), key("left"), text("y")]);
});
