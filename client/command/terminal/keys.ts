/**
 * Key presses from the bytes a terminal in raw mode sends.
 *
 * @module
 */

/** An editing key, by what it does. */
export type EditingKey =
  | "enter"
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "home"
  | "end"
  | "up"
  | "down"
  | "delete-to-start"
  | "delete-to-end"
  | "delete-word"
  | "end-of-input"
  | "interrupt"
  | "redraw";

/** A key press: text typed or pasted, or an editing key. */
export type Key =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "key"; readonly key: EditingKey };

// Control characters, by the key they stand for in readline's emacs mode.
const CONTROL_KEYS: Record<string, EditingKey> = {
  "\x01": "home", // Ctrl-A
  "\x02": "left", // Ctrl-B
  "\x03": "interrupt", // Ctrl-C, when the terminal does not turn it into SIGINT
  "\x04": "end-of-input", // Ctrl-D
  "\x05": "end", // Ctrl-E
  "\x06": "right", // Ctrl-F
  "\x08": "backspace", // Ctrl-H
  "\x0b": "delete-to-end", // Ctrl-K
  "\x0c": "redraw", // Ctrl-L
  "\x0d": "enter",
  "\x0a": "enter",
  "\x0e": "down", // Ctrl-N
  "\x10": "up", // Ctrl-P
  "\x15": "delete-to-start", // Ctrl-U
  "\x17": "delete-word", // Ctrl-W
  "\x7f": "backspace",
};

// The final character of `ESC [ ... X` or `ESC O X`, for the keys it ends.
const FINAL_KEYS: Record<string, EditingKey> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
};

// The number of `ESC [ n ~`.
const TILDE_KEYS: Record<string, EditingKey> = {
  "1": "home",
  "3": "delete",
  "4": "end",
  "7": "home",
  "8": "end",
};

// A CSI sequence this long without its final byte is not one.
const MAX_SEQUENCE = 32;

// deno-lint-ignore no-control-regex
const PLAIN_TEXT = /[^\u0000-\u001f\u007f-\u009f]+/uy;

/**
 * Turns the bytes a terminal in raw mode sends into key presses. Input may be cut
 * anywhere, inside a UTF-8 sequence or an escape sequence: the decoder holds the
 * incomplete part until the next bytes come. Unknown escape sequences (function
 * keys, mouse reports) are consumed whole and ignored; other control characters
 * are ignored, so that none is ever inserted into the line.
 */
export class KeyDecoder {
  readonly #utf8 = new TextDecoder();
  #pending = "";

  /**
   * Decodes the next bytes.
   *
   * @param bytes What the terminal sent.
   * @returns The keys they complete, in order.
   */
  push(bytes: Uint8Array): Key[] {
    const input = this.#pending + this.#utf8.decode(bytes, { stream: true });
    this.#pending = "";
    const keys: Key[] = [];
    let at = 0;
    while (at < input.length) {
      PLAIN_TEXT.lastIndex = at;
      const text = PLAIN_TEXT.exec(input);
      if (text !== null) {
        keys.push({ type: "text", text: text[0] });
        at += text[0].length;
        continue;
      }
      const character = input[at]!;
      if (character === "\x1b") {
        const end = this.#escapeEnd(input, at);
        if (end === undefined) {
          this.#pending = input.slice(at);
          break;
        }
        const key = escapeKey(input.slice(at, end));
        if (key !== undefined) keys.push({ type: "key", key });
        at = end;
        continue;
      }
      const key = CONTROL_KEYS[character];
      if (key !== undefined) keys.push({ type: "key", key });
      // A pasted CRLF is one line ending.
      at += character === "\r" && input[at + 1] === "\n" ? 2 : 1;
    }
    return keys;
  }

  // Where the escape sequence starting at `start` ends, or undefined when the
  // input stops inside it.
  #escapeEnd(input: string, start: number): number | undefined {
    const introducer = input[start + 1];
    if (introducer === undefined) return undefined;
    if (introducer === "O") return start + 2 < input.length ? start + 3 : undefined;
    if (introducer !== "[") return start + 1; // a lone ESC (or Alt with a key): dropped
    for (let at = start + 2; at < input.length; at++) {
      const code = input.charCodeAt(at);
      if (code >= 0x40 && code <= 0x7e) return at + 1;
      if (code < 0x20 || code > 0x3f || at - start > MAX_SEQUENCE) return at;
    }
    return undefined;
  }
}

function escapeKey(sequence: string): EditingKey | undefined {
  const final = sequence.at(-1)!;
  if (sequence[1] === "O") return FINAL_KEYS[final];
  if (sequence[1] !== "[") return undefined;
  if (final === "~") return TILDE_KEYS[sequence.slice(2, -1).split(";")[0]!];
  return FINAL_KEYS[final];
}
