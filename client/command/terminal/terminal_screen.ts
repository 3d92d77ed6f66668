/**
 * What terminal mode draws: messages scrolling up, the prompt line at the bottom.
 *
 * @module
 */

import type { LineEditor } from "./line_editor.ts";
import { reverse } from "../../format.ts";
import { sanitize } from "../../sanitize.ts";
import { graphemes, textWidth } from "./text_width.ts";
import { type SyncByteWriter, writeAllSync } from "../../../io/write_all.ts";

/** How a {@linkcode TerminalScreen} draws. */
export interface TerminalScreenOptions {
  /** Whether to use colours and styles. */
  color: boolean;
  /** The terminal's width in columns, asked before each drawing. */
  columns: () => number;
}

const PROMPT = "> ";
// Continuation rows of a wrapped line start under the text, after `<HH:MM> `.
const INDENT = " ".repeat(8);
// deno-lint-ignore no-control-regex
const STYLE = /\x1b\[[0-9;]*m/g;
const CLEAR_LINE = "\r\x1b[K";
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const encoder = new TextEncoder();

interface Cell {
  readonly shown: string;
  readonly width: number;
}

/**
 * Draws on a terminal in raw mode: lines printed above the prompt scroll up, and
 * the prompt line (the prompt and the line being typed, with the cursor where the
 * editor has it) is drawn again below them, intact. A line too wide for the
 * terminal scrolls sideways to keep the cursor in view. Each drawing is one
 * write, so a terminal never shows half of one.
 */
export class TerminalScreen {
  readonly #output: SyncByteWriter;
  readonly #color: boolean;
  readonly #columns: () => number;
  readonly #prompt: string;
  // The first grapheme of the line shown at the left of the prompt line.
  #scroll = 0;

  /**
   * @param output The terminal.
   * @param options Colours and the terminal's width.
   */
  constructor(output: SyncByteWriter, options: TerminalScreenOptions) {
    this.#output = output;
    this.#color = options.color;
    this.#columns = options.columns;
    this.#prompt = options.color ? `\x1b[1m${PROMPT}\x1b[22m` : PROMPT;
  }

  /**
   * Draws the prompt line again.
   *
   * @param editor The line being typed.
   */
  drawPrompt(editor: LineEditor): void {
    this.#write(this.#promptLine(editor));
  }

  /**
   * Prints lines above the prompt line, then draws the prompt line again below
   * them. A line wider than the terminal is wrapped here, its continuation rows
   * indented, so that no text of a message ever starts a row: a long message
   * cannot pass for a line of its own either.
   *
   * @param lines Lines, safe to display (styles aside), without line endings.
   * @param editor The line being typed.
   */
  printAbove(lines: readonly string[], editor: LineEditor): void {
    const columns = this.#columns();
    const printed = lines.map((line) => `${CLEAR_LINE}${wrap(line, columns)}\r\n`).join("");
    this.#write(printed + this.#promptLine(editor));
  }

  /**
   * Prints a note from the client itself above the prompt line.
   *
   * @param note One line.
   * @param editor The line being typed.
   */
  printNote(note: string, editor: LineEditor): void {
    this.printAbove([this.noteLine(note)], editor);
  }

  /**
   * A note from the client itself as a line to print: `-- note`, in yellow with
   * colours.
   *
   * @param note One line.
   * @returns The line.
   */
  noteLine(note: string): string {
    return this.#color ? `\x1b[33m-- ${note}\x1b[39m` : `-- ${note}`;
  }

  /**
   * Clears the whole screen, then draws the prompt line at the top (Ctrl-L).
   *
   * @param editor The line being typed.
   */
  clear(editor: LineEditor): void {
    this.#write("\x1b[H\x1b[2J" + this.#promptLine(editor));
  }

  /** Erases the prompt line, leaving the cursor at the start of an empty line. */
  erasePrompt(): void {
    this.#write(CLEAR_LINE);
  }

  #promptLine(editor: LineEditor): string {
    const cells = this.#cells(editor.text);
    const cursor = graphemes(editor.text.slice(0, editor.cursor)).length;
    // Keep one column free: writing into the last one makes some terminals wrap.
    const room = Math.max(1, this.#columns() - PROMPT.length - 1);
    // start[i]: the width of the cells before cell i.
    const start = [0];
    for (const cell of cells) start.push(start.at(-1)! + cell.width);
    const width = (from: number, to: number) => start[to]! - start[from]!;

    let scroll = Math.min(this.#scroll, cursor);
    while (width(scroll, cursor) > room) scroll++;
    // When the line got shorter, show more of its start.
    while (scroll > 0 && width(scroll - 1, cells.length) <= room) scroll--;
    this.#scroll = scroll;

    let shown = "";
    let used = 0;
    for (const cell of cells.slice(scroll)) {
      if (used + cell.width > room) break;
      shown += cell.shown;
      used += cell.width;
    }
    const column = PROMPT.length + width(scroll, cursor);
    return `${CLEAR_LINE}${this.#prompt}${shown}\x1b[K\r\x1b[${column}C`;
  }

  // The graphemes of the line as shown: what the user typed is sanitized too, so
  // that a pasted control character or bidi override cannot upset the display.
  #cells(text: string): Cell[] {
    return graphemes(text).map((grapheme) => {
      const plain = sanitize(grapheme);
      return {
        shown: this.#color && plain !== grapheme ? sanitize(grapheme, reverse) : plain,
        width: textWidth(plain),
      };
    });
  }

  #write(text: string): void {
    writeAllSync(this.#output, encoder.encode(text));
  }
}

/**
 * Wraps a line to the terminal's width by display width, continuation rows
 * indented. Rows break at spaces: a word that does not fit the rest of a row
 * starts the next one, and a space where a row ends goes. A word wider than a
 * row of its own breaks where the row ends. Styles (SGR sequences) take no room.
 *
 * @param line A line, safe to display, perhaps with styles.
 * @param columns The terminal's width.
 * @returns The line, with `\r\n` and the indent where it wraps.
 */
export function wrap(line: string, columns: number): string {
  if (columns <= INDENT.length * 2) return line;
  // The common case at once: a plain line of printable ASCII that fits.
  if (line.length <= columns && PRINTABLE_ASCII.test(line)) return line;
  const cells = layoutCells(line);
  let wrapped = "";
  let column = 0;
  let afterSpace = true;
  const newRow = () => {
    wrapped += `\r\n${INDENT}`;
    column = INDENT.length;
  };
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    if (cell.style) {
      wrapped += cell.shown;
      continue;
    }
    const space = cell.shown === " ";
    // A word that fits a row of its own but not the rest of this one starts the next.
    if (!space && afterSpace && column > INDENT.length) {
      const width = wordWidth(cells, i);
      if (column + width > columns && width <= columns - INDENT.length) newRow();
    }
    afterSpace = space;
    if (column + cell.width > columns) {
      newRow();
      // A space where the row breaks goes: no row starts with one.
      if (space) continue;
    }
    wrapped += cell.shown;
    column += cell.width;
  }
  return wrapped;
}

interface LayoutCell extends Cell {
  // An SGR sequence: it takes no room.
  readonly style: boolean;
}

// A line as the graphemes and styles it is drawn from.
function layoutCells(line: string): LayoutCell[] {
  const cells: LayoutCell[] = [];
  const text = (part: string) => {
    // The common case at once: printable ASCII is one column a character.
    if (PRINTABLE_ASCII.test(part)) {
      for (const character of part) cells.push({ shown: character, width: 1, style: false });
      return;
    }
    for (const grapheme of graphemes(part)) {
      cells.push({ shown: grapheme, width: textWidth(grapheme), style: false });
    }
  };
  let at = 0;
  for (const style of line.matchAll(STYLE)) {
    text(line.slice(at, style.index));
    cells.push({ shown: style[0], width: 0, style: true });
    at = style.index + style[0].length;
  }
  text(line.slice(at));
  return cells;
}

// The width of the word that starts at cells[from], up to the next space.
function wordWidth(cells: readonly LayoutCell[], from: number): number {
  let width = 0;
  for (let i = from; i < cells.length && cells[i]!.shown !== " "; i++) width += cells[i]!.width;
  return width;
}
