/**
 * Reading a password for the command line: at a prompt without echo on a
 * terminal, or the first line of a pipe or file.
 *
 * @module
 */

/** The user pressed Ctrl-C or Ctrl-D at the password prompt. */
export class PromptAbortedError extends Error {
  override name = "PromptAbortedError";
}

/**
 * Asks for a password on the terminal without echoing it: the prompt goes to
 * standard error, the keys are read from standard input in raw mode (Backspace
 * erases, Enter ends, Ctrl-C and Ctrl-D abort).
 *
 * @param prompt The prompt, such as `Password for alice: `.
 * @returns The password typed.
 * @throws {PromptAbortedError} On Ctrl-C or Ctrl-D.
 */
export async function promptPassword(prompt: string): Promise<string> {
  const encoder = new TextEncoder();
  Deno.stdin.setRaw(true); // before the prompt: keys typed at once are not echoed
  Deno.stderr.writeSync(encoder.encode(prompt));
  const decoder = new TextDecoder();
  const chars: string[] = [];
  // Through the stream, whose reader an earlier user (terminal mode) released: a
  // read it left pending delivers here.
  const keys = Deno.stdin.readable.getReader();
  try {
    while (true) {
      const { done, value } = await keys.read();
      if (done) throw new PromptAbortedError("No password given");
      for (const byte of value) {
        if (byte === 0x0d || byte === 0x0a) return chars.join("");
        if (byte === 0x03 || byte === 0x04) throw new PromptAbortedError("No password given");
        if (byte === 0x7f || byte === 0x08) {
          chars.pop();
          continue;
        }
        const text = decoder.decode(new Uint8Array([byte]), { stream: true });
        if (text !== "") chars.push(...text);
      }
    }
  } finally {
    keys.releaseLock();
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}

/**
 * Reads the first line of a stream (standard input when it is not a terminal,
 * a password file), without its line ending.
 *
 * @param stream The stream.
 * @returns The line.
 */
export async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0]!.replace(/\r$/, "");
}

/**
 * Strips a password file's content to its first line.
 *
 * @example
 * ```ts
 * import { firstLine } from "./password.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(firstLine("s3cret\r\n"), "s3cret");
 * ```
 *
 * @param text The file's text.
 * @returns Its first line, without the line ending.
 */
export function firstLine(text: string): string {
  return text.split("\n")[0]!.replace(/\r$/, "");
}
