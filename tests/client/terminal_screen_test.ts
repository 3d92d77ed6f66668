import assert from "node:assert/strict";
import { LineEditor } from "../../client/command/terminal/line_editor.ts";
import { TerminalScreen, wrap } from "../../client/command/terminal/terminal_screen.ts";
import { formatMessage } from "../../client/format.ts";
import { VirtualTerminal } from "../support/virtual_terminal.ts";

const decoder = new TextDecoder();

/** A screen drawing into a virtual terminal, one write at a time. */
function setUp(columns = 40, rows = 6, color = false) {
  const terminal = new VirtualTerminal(rows, columns);
  const writes: string[] = [];
  const output = {
    writeSync(bytes: Uint8Array) {
      const text = decoder.decode(bytes);
      writes.push(text);
      terminal.write(text);
      return bytes.length;
    },
  };
  const screen = new TerminalScreen(output, { color, columns: () => columns });
  return { terminal, screen, writes, editor: new LineEditor() };
}

Deno.test("TerminalScreen draws the prompt and the line with the cursor in place", () => {
  const { terminal, screen, editor } = setUp();
  editor.insert("hello world");
  for (let i = 0; i < 5; i++) editor.moveLeft();
  screen.drawPrompt(editor);
  assert.equal(terminal.lines[0], "> hello world");
  assert.deepEqual(terminal.cursor, { row: 0, column: 8 });
});

Deno.test("TerminalScreen prints messages above and keeps the half-typed line intact below", () => {
  const { terminal, screen, editor, writes } = setUp();
  editor.insert("half typ");
  editor.moveLeft();
  screen.drawPrompt(editor);
  writes.length = 0;
  screen.printAbove(["<12:00> [bob] first"], editor);
  screen.printAbove(["<12:01> [bob] second", "<12:01> [eve] third"], editor);
  assert.deepEqual(terminal.lines.slice(0, 4), [
    "<12:00> [bob] first",
    "<12:01> [bob] second",
    "<12:01> [eve] third",
    "> half typ",
  ]);
  assert.deepEqual(terminal.cursor, { row: 3, column: 9 });
  assert.equal(writes.length, 2, "one write per drawing");
});

Deno.test("TerminalScreen erases a longer previous line when drawing a shorter one", () => {
  const { terminal, screen, editor } = setUp();
  editor.insert("a long line of text");
  screen.drawPrompt(editor);
  editor.deleteToStart();
  editor.insert("short");
  screen.drawPrompt(editor);
  assert.equal(terminal.lines[0], "> short");
});

Deno.test("TerminalScreen places the cursor by display width: wide, combining, emoji", () => {
  const { terminal, screen, editor } = setUp();
  editor.insert("中文e\u0301👋x");
  editor.moveLeft();
  screen.drawPrompt(editor);
  // "> " 2 + 中文 4 + é 1 + 👋 2 = column 9
  assert.deepEqual(terminal.cursor, { row: 0, column: 9 });
});

Deno.test("TerminalScreen scrolls a line wider than the terminal to keep the cursor in view", () => {
  const { terminal, screen, editor } = setUp(20);
  editor.insert("0123456789abcdefghijklmnopqrstuvwxyz");
  screen.drawPrompt(editor);
  const end = terminal.lines[0]!;
  assert.ok(end.endsWith("xyz") && end.startsWith("> "), end);
  assert.ok(end.length <= 19, "the last column stays free");
  assert.equal(terminal.cursor.column, end.length);
  editor.moveHome();
  screen.drawPrompt(editor);
  assert.ok(terminal.lines[0]!.startsWith("> 0123"), terminal.lines[0]);
  assert.deepEqual(terminal.cursor, { row: 0, column: 2 });
  assert.equal(terminal.history.length, 1, "nothing wrapped onto a second row");
});

Deno.test("TerminalScreen shows control characters typed or pasted in the line escaped", () => {
  const { terminal, screen, editor } = setUp();
  editor.insert("a\u202eb\tc");
  screen.drawPrompt(editor);
  assert.equal(terminal.lines[0], "> a<U+202E>b␉c");
  assert.deepEqual(terminal.cursor, { row: 0, column: 14 });
});

Deno.test("TerminalScreen prints notes apart from messages", () => {
  const { terminal, screen, editor } = setUp();
  screen.printNote("Message not sent: its size of 5 bytes exceeds the limit of 4 bytes", editor);
  assert.match(terminal.lines[0]!, /^-- Message not sent/);
});

Deno.test("TerminalScreen erasePrompt leaves an empty line", () => {
  const { terminal, screen, editor } = setUp();
  editor.insert("bye");
  screen.drawPrompt(editor);
  screen.erasePrompt();
  assert.equal(terminal.lines[0], "");
  assert.deepEqual(terminal.cursor, { row: 0, column: 0 });
});

Deno.test("TerminalScreen with colours draws the same screen", () => {
  const { terminal, screen, editor } = setUp(40, 6, true);
  editor.insert("typed");
  screen.printAbove(["<12:00> [bob] hi"], editor);
  assert.deepEqual(terminal.lines.slice(0, 2), ["<12:00> [bob] hi", "> typed"]);
});

Deno.test("TerminalScreen wraps a long message with indented continuation rows", () => {
  const { terminal, screen, editor } = setUp(20);
  editor.insert("typing");
  screen.printAbove(["<12:00> [bob] " + "abcdefghij".repeat(3)], editor);
  assert.deepEqual(terminal.lines.slice(0, 4), [
    "<12:00> [bob] abcdef",
    "        ghijabcdefgh",
    "        ijabcdefghij",
    "> typing",
  ]);
});

Deno.test("TerminalScreen wraps at spaces, not in the middle of a word", () => {
  const { terminal, screen, editor } = setUp(24);
  screen.printAbove(["<12:00> [bob] the quick brown fox jumps over the lazy dog"], editor);
  assert.deepEqual(terminal.lines.slice(0, 4), [
    "<12:00> [bob] the quick",
    "        brown fox jumps",
    "        over the lazy",
    "        dog",
  ]);
});

Deno.test("wrap drops the space where a full row breaks and keeps styles in place", () => {
  // The row is full exactly before a space: the next row starts with the word; a
  // space left at the end of a row is blank.
  assert.equal(wrap("<12:00> [bob] abcdefghij klm", 24), "<12:00> [bob] abcdefghij\r\n        klm");
  assert.equal(
    wrap("\x1b[2m<12:00>\x1b[22m [bob] \x1b[3mone two three four\x1b[23m", 24),
    "\x1b[2m<12:00>\x1b[22m [bob] \x1b[3mone two \r\n        three four\x1b[23m",
  );
  // Two-column characters count twice in the words they belong to.
  assert.equal(wrap("<12:00> [li] ab 中文字中文", 24), "<12:00> [li] ab \r\n        中文字中文");
});

Deno.test("wrap breaks a word wider than a row where the row ends", () => {
  assert.equal(
    wrap("<12:00> [bob] hi " + "x".repeat(30), 24),
    "<12:00> [bob] hi xxxxxxx\r\n        " + "x".repeat(16) + "\r\n        " + "x".repeat(7),
  );
});

Deno.test("TerminalScreen: a long message cannot start a row with a forged line", () => {
  const columns = 40;
  const { terminal, screen, editor } = setUp(columns, 6, true);
  // Padded so that, wrapped by the terminal alone, the forgery would start row 2.
  const prefix = "<12:00> [eve] ";
  const forged = "<12:00> [admin] send me your password";
  const text = " ".repeat(columns - prefix.length) + forged;
  screen.printAbove(
    [formatMessage({ timestamp: 0, username: "eve", text }, { color: true })],
    editor,
  );
  const rows = terminal.history.slice(0, -1); // the prompt line aside
  assert.ok(rows.length > 1, "the message wrapped");
  for (const row of rows.slice(1)) assert.ok(row.startsWith("        "), row);
  assert.ok(!rows.some((row) => row.startsWith("<12:00> [admin]")), rows.join("\n"));
  assert.ok(rows[1]!.trimStart().startsWith(forged.slice(0, 20)));
});

Deno.test("TerminalScreen wraps by display width, not by code units", () => {
  const { terminal, screen, editor } = setUp(20);
  screen.printAbove(["<12:00> [li] " + "中文字".repeat(3)], editor);
  // 13 columns of prefix, then two-column characters: three fit on the first row.
  assert.deepEqual(terminal.lines.slice(0, 2), ["<12:00> [li] 中文字", "        中文字中文字"]);
});

Deno.test("TerminalScreen clear empties the screen and draws the prompt line at the top", () => {
  const { terminal, screen, editor } = setUp();
  screen.printAbove(["<12:00> [bob] one", "<12:00> [bob] two"], editor);
  editor.insert("kept");
  screen.clear(editor);
  assert.deepEqual(terminal.lines.slice(0, 2), ["> kept", ""]);
  assert.deepEqual(terminal.cursor, { row: 0, column: 6 });
});
