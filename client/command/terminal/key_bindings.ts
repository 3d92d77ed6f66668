/**
 * What each key does in terminal mode's line editor.
 *
 * @module
 */

import type { Key } from "./keys.ts";
import type { LineEditor } from "./line_editor.ts";

/** What the keys that act beyond the editor do. */
export interface KeyActions {
  /**
   * Enter: sends the line, or runs its command.
   *
   * @returns Whether the session ends (`/quit`).
   */
  enter(): boolean;
  /** Ctrl-L: clears the screen. */
  redraw(): void;
}

/**
 * Applies one key to the editor: text goes in at the cursor, the editing keys
 * edit, Enter and Ctrl-L call `actions`; Ctrl-C, and Ctrl-D on an empty line,
 * end the session.
 *
 * @example Typing, then Ctrl-D on a line that is not empty deletes forward
 * ```ts
 * import { applyKey } from "./key_bindings.ts";
 * import { LineEditor } from "./line_editor.ts";
 * import assert from "node:assert/strict";
 *
 * const editor = new LineEditor();
 * const actions = { enter: () => false, redraw: () => {} };
 * applyKey({ type: "text", text: "hi" }, editor, actions);
 * applyKey({ type: "key", key: "home" }, editor, actions);
 * assert.equal(applyKey({ type: "key", key: "end-of-input" }, editor, actions), false);
 * assert.equal(editor.text, "i");
 * assert.equal(applyKey({ type: "key", key: "interrupt" }, editor, actions), true);
 * ```
 *
 * @param key A key as decoded from the terminal.
 * @param editor The line being typed.
 * @param actions Enter and redraw.
 * @returns Whether the session ends.
 */
export function applyKey(key: Key, editor: LineEditor, actions: KeyActions): boolean {
  if (key.type === "text") {
    editor.insert(key.text);
    return false;
  }
  switch (key.key) {
    case "enter":
      return actions.enter();
    case "backspace":
      editor.deleteBackward();
      break;
    case "delete":
      editor.deleteForward();
      break;
    case "left":
      editor.moveLeft();
      break;
    case "right":
      editor.moveRight();
      break;
    case "home":
      editor.moveHome();
      break;
    case "end":
      editor.moveEnd();
      break;
    case "up":
      editor.historyBack();
      break;
    case "down":
      editor.historyForward();
      break;
    case "delete-to-start":
      editor.deleteToStart();
      break;
    case "delete-to-end":
      editor.deleteToEnd();
      break;
    case "delete-word":
      editor.deleteWordBackward();
      break;
    case "end-of-input":
      if (editor.text === "") return true;
      editor.deleteForward();
      break;
    case "interrupt":
      return true;
    case "redraw":
      actions.redraw();
      break;
  }
  return false;
}
