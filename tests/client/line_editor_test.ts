import assert from "node:assert/strict";
import { LineEditor } from "../../client/command/terminal/line_editor.ts";

/** The line with a `|` where the cursor is. */
function view(editor: LineEditor): string {
  return `${editor.text.slice(0, editor.cursor)}|${editor.text.slice(editor.cursor)}`;
}

function typed(text: string): LineEditor {
  const editor = new LineEditor();
  editor.insert(text);
  return editor;
}

Deno.test("LineEditor inserts at the cursor", () => {
  const editor = typed("helo");
  editor.moveLeft();
  editor.insert("l");
  assert.equal(view(editor), "hell|o");
  editor.moveHome();
  editor.insert("¡");
  assert.equal(view(editor), "¡|hello");
  editor.moveEnd();
  editor.insert("!");
  assert.equal(view(editor), "¡hello!|");
});

Deno.test("LineEditor moves and deletes over multi-byte characters whole", () => {
  const editor = typed("aж中😀b");
  editor.moveLeft();
  assert.equal(view(editor), "aж中😀|b");
  editor.moveLeft();
  assert.equal(view(editor), "aж中|😀b");
  editor.deleteForward();
  assert.equal(view(editor), "aж中|b");
  editor.deleteBackward();
  assert.equal(view(editor), "aж|b");
  editor.deleteBackward();
  assert.equal(view(editor), "a|b");
  editor.moveRight();
  editor.moveRight(); // past the end: stays
  assert.equal(view(editor), "ab|");
});

Deno.test("LineEditor treats a grapheme of several code points as one character", () => {
  const clusters = ["e\u0301", "👋🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "ก่"];
  for (const cluster of clusters) {
    const editor = typed(`x${cluster}y`);
    editor.moveLeft();
    editor.moveLeft();
    assert.equal(view(editor), `x|${cluster}y`, cluster);
    editor.moveRight();
    assert.equal(view(editor), `x${cluster}|y`, cluster);
    editor.deleteBackward();
    assert.equal(view(editor), "x|y", cluster);
  }
});

Deno.test("LineEditor joins a combining mark typed after its letter", () => {
  const editor = typed("cafe");
  editor.insert("\u0301");
  assert.equal(editor.text, "cafe\u0301");
  editor.moveLeft();
  assert.equal(view(editor), "caf|e\u0301");
  editor.moveRight();
  editor.insert(" ok");
  assert.equal(view(editor), "cafe\u0301 ok|");
});

Deno.test("LineEditor keeps the cursor on a boundary when an insertion joins the next grapheme", () => {
  const editor = typed("\u0301x"); // an orphan accent at the start
  editor.moveHome();
  editor.insert("e"); // now "é" + "x": the cursor goes after the whole "é"
  assert.equal(view(editor), "e\u0301|x");
});

Deno.test("LineEditor Ctrl-U deletes to the start, Ctrl-K to the end, Ctrl-W a word", () => {
  const editor = typed("one two  three");
  editor.deleteWordBackward();
  assert.equal(view(editor), "one two  |");
  editor.deleteWordBackward();
  assert.equal(view(editor), "one |");
  editor.insert("deux trois");
  for (let i = 0; i < 6; i++) editor.moveLeft();
  editor.deleteToEnd();
  assert.equal(view(editor), "one deux|");
  editor.moveLeft();
  editor.deleteToStart();
  assert.equal(view(editor), "|x");
});

Deno.test("LineEditor Backspace at the start and Delete at the end do nothing", () => {
  const editor = typed("ab");
  editor.deleteForward();
  assert.equal(view(editor), "ab|");
  editor.moveHome();
  editor.deleteBackward();
  assert.equal(view(editor), "|ab");
});

Deno.test("LineEditor submit returns the line and empties the editor", () => {
  const editor = typed("héllo");
  assert.equal(editor.submit(), "héllo");
  assert.equal(view(editor), "|");
});

Deno.test("LineEditor history recalls lines and keeps the line being typed", () => {
  const editor = new LineEditor();
  for (const line of ["first", "second", "second", ""]) {
    editor.insert(line);
    editor.submit();
  }
  editor.insert("draft");
  editor.historyBack();
  assert.equal(view(editor), "second|");
  editor.historyBack();
  assert.equal(view(editor), "first|", "a repeated line is kept once");
  editor.historyBack();
  assert.equal(view(editor), "first|", "nothing before the first");
  editor.historyForward();
  assert.equal(view(editor), "second|");
  editor.historyForward();
  assert.equal(view(editor), "draft|");
  editor.historyForward();
  assert.equal(view(editor), "draft|", "nothing after the draft");
});

Deno.test("LineEditor history submits an edited recalled line as a new entry", () => {
  const editor = new LineEditor();
  editor.insert("hello");
  editor.submit();
  editor.historyBack();
  editor.insert(" again");
  assert.equal(editor.submit(), "hello again");
  editor.historyBack();
  assert.equal(editor.text, "hello again");
  editor.historyBack();
  assert.equal(editor.text, "hello");
});

Deno.test("LineEditor history keeps at most historySize lines", () => {
  const editor = new LineEditor({ historySize: 2 });
  for (const line of ["a", "b", "c"]) {
    editor.insert(line);
    editor.submit();
  }
  editor.historyBack();
  editor.historyBack();
  editor.historyBack();
  assert.equal(editor.text, "b");
});

Deno.test("LineEditor puts a refused line back, keeping what was typed in the history", () => {
  const editor = new LineEditor();
  editor.insert("too long");
  editor.submit();
  editor.insert("half");
  editor.restore("too long");
  assert.equal(editor.text, "too long");
  assert.equal(editor.cursor, "too long".length);
  editor.historyBack();
  assert.equal(editor.text, "half");
});
