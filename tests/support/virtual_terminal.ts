/**
 * A small terminal emulator: enough of a VT100 to replay what the client writes
 * and see the screen a person would see.
 *
 * @module
 */

import { graphemes, graphemeWidth } from "../../client/command/terminal/text_width.ts";

// deno-lint-ignore no-control-regex
const CSI = /\x1b\[([0-9;?]*)([@-~])/y;
// deno-lint-ignore no-control-regex
const INCOMPLETE_CSI = /\x1b(\[[0-9;?]*)?$/y;
// deno-lint-ignore no-control-regex
const PRINTABLE = /[^\x00-\x1f\x7f]+/y;

/**
 * A screen of `rows` × `columns` cells that interprets printable text, CR, LF,
 * BS, and the CSI sequences the client and Deno use (cursor moves, erasing,
 * styles, which it ignores). Any other control character or sequence throws, so
 * that a test notices output it did not expect. It wraps at the right margin and
 * scrolls at the bottom, as xterm does.
 */
export class VirtualTerminal {
  readonly rows: number;
  readonly columns: number;
  #screen: string[][];
  /** Lines scrolled off the top, oldest first. */
  readonly scrolledOff: string[] = [];
  #row = 0;
  #column = 0;
  #wrapPending = false;
  #pending = "";

  constructor(rows = 24, columns = 80) {
    this.rows = rows;
    this.columns = columns;
    this.#screen = Array.from({ length: rows }, () => this.#blankRow());
  }

  /** The cursor: row and column, from 0. */
  get cursor(): { row: number; column: number } {
    return { row: this.#row, column: this.#column };
  }

  /** The screen's rows as text, trailing spaces trimmed. */
  get lines(): string[] {
    return this.#screen.map((row) => row.join("").trimEnd());
  }

  /** Every line ever shown, scrolled off or on screen, empty trailing rows dropped. */
  get history(): string[] {
    const all = [...this.scrolledOff, ...this.lines];
    while (all.length > 0 && all.at(-1) === "") all.pop();
    return all;
  }

  /**
   * Interprets output.
   *
   * @param text What the program wrote; may end inside an escape sequence.
   */
  write(text: string): void {
    const input = this.#pending + text;
    this.#pending = "";
    let at = 0;
    while (at < input.length) {
      const character = input[at]!;
      if (character === "\x1b") {
        CSI.lastIndex = at;
        const match = CSI.exec(input);
        if (match === null) {
          INCOMPLETE_CSI.lastIndex = at;
          if (INCOMPLETE_CSI.test(input)) {
            this.#pending = input.slice(at);
            return;
          }
          throw new Error(`Unexpected escape sequence ${JSON.stringify(input.slice(at, at + 8))}`);
        }
        this.#csi(match[1]!, match[2]!);
        at += match[0].length;
        continue;
      }
      if (character === "\r") {
        this.#column = 0;
        this.#wrapPending = false;
      } else if (character === "\n") {
        this.#lineFeed();
      } else if (character === "\b") {
        this.#column = Math.max(0, this.#column - 1);
        this.#wrapPending = false;
      } else if (character.charCodeAt(0) < 0x20 || character === "\x7f") {
        throw new Error(`Unexpected control character ${JSON.stringify(character)}`);
      } else {
        // Take the whole run of printable text and lay it out grapheme by grapheme.
        PRINTABLE.lastIndex = at;
        const run = PRINTABLE.exec(input)![0];
        for (const grapheme of graphemes(run)) this.#print(grapheme);
        at += run.length;
        continue;
      }
      at++;
    }
  }

  #print(grapheme: string): void {
    const width = graphemeWidth(grapheme);
    if (width === 0) return;
    if (this.#wrapPending || this.#column + width > this.columns) {
      this.#column = 0;
      this.#lineFeed();
    }
    const row = this.#screen[this.#row]!;
    row[this.#column] = grapheme;
    if (width === 2) row[this.#column + 1] = "";
    this.#column += width;
    if (this.#column >= this.columns) {
      this.#column = this.columns - 1;
      this.#wrapPending = true;
    }
  }

  #lineFeed(): void {
    this.#wrapPending = false;
    if (this.#row < this.rows - 1) {
      this.#row++;
      return;
    }
    this.scrolledOff.push(this.#screen.shift()!.join("").trimEnd());
    this.#screen.push(this.#blankRow());
  }

  #csi(parameters: string, final: string): void {
    const numbers = parameters.split(";").map((part) => part === "" ? 0 : Number(part));
    const first = numbers[0] ?? 0;
    const row = this.#screen[this.#row]!;
    switch (final) {
      case "m": // styles
        return;
      case "C":
        this.#column = Math.min(this.columns - 1, this.#column + Math.max(1, first));
        break;
      case "D":
        this.#column = Math.max(0, this.#column - Math.max(1, first));
        break;
      case "G":
        this.#column = Math.min(this.columns - 1, Math.max(1, first) - 1);
        break;
      case "H":
        this.#row = Math.min(this.rows - 1, Math.max(1, first) - 1);
        this.#column = Math.min(this.columns - 1, Math.max(1, numbers[1] ?? 1) - 1);
        break;
      case "K":
        if (first === 0) row.fill(" ", this.#column);
        else if (first === 1) row.fill(" ", 0, this.#column + 1);
        else row.fill(" ");
        break;
      case "J":
        if (first === 2 || first === 3) {
          this.#screen = this.#screen.map(() => this.#blankRow());
        } else {
          row.fill(" ", this.#column);
          for (let below = this.#row + 1; below < this.rows; below++) {
            this.#screen[below] = this.#blankRow();
          }
        }
        break;
      case "h":
      case "l": // modes such as the cursor's visibility
        return;
      default:
        throw new Error(`Unexpected CSI sequence ${JSON.stringify(parameters + final)}`);
    }
    this.#wrapPending = false;
  }

  #blankRow(): string[] {
    return Array.from({ length: this.columns }, () => " ");
  }
}
