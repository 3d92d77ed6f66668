/**
 * The state of the line being typed: text, cursor and history, with no I/O.
 *
 * @module
 */

const segmenter = new Intl.Segmenter();

/** Options of a {@linkcode LineEditor}. */
export interface LineEditorOptions {
  /**
   * How many submitted lines the history keeps.
   *
   * @default {1000}
   */
  historySize?: number;
}

/**
 * The line being typed, edited grapheme by grapheme: the cursor never stands
 * inside a character made of several code points (an accented letter written with
 * a combining accent, an emoji with a skin tone, a flag), so moving and deleting
 * never split one. Submitted lines go to a history that the up and down keys
 * recall; the line being typed is kept while browsing it.
 */
export class LineEditor {
  readonly #historySize: number;
  readonly #history: string[] = [];
  #text = "";
  // A UTF-16 offset into #text, always on a grapheme boundary.
  #cursor = 0;
  // Which history entry is shown; #history.length means the line being typed.
  #recalled = 0;
  #draft = "";

  /** @param options The size of the history. */
  constructor(options: LineEditorOptions = {}) {
    this.#historySize = options.historySize ?? 1000;
  }

  /** The text of the line. */
  get text(): string {
    return this.#text;
  }

  /** Where the cursor stands, as an offset in UTF-16 code units into `text`. */
  get cursor(): number {
    return this.#cursor;
  }

  /**
   * Inserts text at the cursor and moves the cursor after it.
   *
   * @param text What was typed or pasted.
   */
  insert(text: string): void {
    const before = this.#text.slice(0, this.#cursor) + text;
    this.#text = before + this.#text.slice(this.#cursor);
    // What was inserted may have joined a grapheme beyond it (a combining accent
    // typed before another one): stay on a boundary.
    this.#cursor = this.#boundaries().find((boundary) => boundary >= before.length)!;
  }

  /** Deletes the grapheme before the cursor (Backspace). */
  deleteBackward(): void {
    this.#deleteTo(this.#previousBoundary());
  }

  /** Deletes the grapheme under the cursor (Delete). */
  deleteForward(): void {
    this.#deleteTo(this.#nextBoundary());
  }

  /** Deletes from the start of the line to the cursor (Ctrl-U). */
  deleteToStart(): void {
    this.#deleteTo(0);
  }

  /** Deletes from the cursor to the end of the line (Ctrl-K). */
  deleteToEnd(): void {
    this.#deleteTo(this.#text.length);
  }

  /** Deletes the word before the cursor, and the spaces after it (Ctrl-W). */
  deleteWordBackward(): void {
    let start = this.#cursor;
    while (start > 0 && /\s/.test(this.#text[start - 1]!)) start--;
    while (start > 0 && !/\s/.test(this.#text[start - 1]!)) start--;
    this.#deleteTo(this.#boundaries().findLast((boundary) => boundary <= start)!);
  }

  /** Moves the cursor one grapheme left. */
  moveLeft(): void {
    this.#cursor = this.#previousBoundary();
  }

  /** Moves the cursor one grapheme right. */
  moveRight(): void {
    this.#cursor = this.#nextBoundary();
  }

  /** Moves the cursor to the start of the line. */
  moveHome(): void {
    this.#cursor = 0;
  }

  /** Moves the cursor to the end of the line. */
  moveEnd(): void {
    this.#cursor = this.#text.length;
  }

  /** Shows the previous line of the history (Up), keeping the line being typed. */
  historyBack(): void {
    if (this.#recalled === 0) return;
    if (this.#recalled === this.#history.length) this.#draft = this.#text;
    this.#recalled--;
    this.#show(this.#history[this.#recalled]!);
  }

  /** Shows the next line of the history (Down), or the line being typed after the last. */
  historyForward(): void {
    if (this.#recalled === this.#history.length) return;
    this.#recalled++;
    this.#show(
      this.#recalled === this.#history.length ? this.#draft : this.#history[this.#recalled]!,
    );
  }

  /**
   * Takes the line (Enter): adds it to the history unless empty or the same as
   * the last entry, and empties the editor.
   *
   * @returns The line.
   */
  submit(): string {
    const line = this.#text;
    if (line !== "" && line !== this.#history.at(-1)) {
      this.#history.push(line);
      if (this.#history.length > this.#historySize) this.#history.shift();
    }
    this.#recalled = this.#history.length;
    this.#draft = "";
    this.#show("");
    return line;
  }

  /**
   * Puts a line back in the editor, as if typed, cursor at its end: a line sent
   * that the server refused. What was being typed goes to the history first, so
   * Up finds it.
   *
   * @param line The line to edit again.
   */
  restore(line: string): void {
    if (this.#text !== "") this.submit();
    this.#recalled = this.#history.length;
    this.#show(line);
  }

  #show(text: string): void {
    this.#text = text;
    this.#cursor = text.length;
  }

  #deleteTo(boundary: number): void {
    const start = Math.min(boundary, this.#cursor);
    const end = Math.max(boundary, this.#cursor);
    this.#text = this.#text.slice(0, start) + this.#text.slice(end);
    this.#cursor = start;
  }

  #boundaries(): number[] {
    const boundaries = Array.from(segmenter.segment(this.#text), ({ index }) => index);
    boundaries.push(this.#text.length);
    return boundaries;
  }

  #previousBoundary(): number {
    return this.#boundaries().findLast((boundary) => boundary < this.#cursor) ?? 0;
  }

  #nextBoundary(): number {
    return this.#boundaries().find((boundary) => boundary > this.#cursor) ?? this.#text.length;
  }
}
