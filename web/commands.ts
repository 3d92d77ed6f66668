/**
 * What the message field's text means: a line to send, or a slash command.
 * Pure, no DOM.
 *
 * @module
 */

/** What to do with the text of the message field. */
export type Input =
  | { readonly kind: "send"; readonly text: string }
  | { readonly kind: "help" }
  | { readonly kind: "quit" }
  | { readonly kind: "who" }
  | { readonly kind: "unknown"; readonly command: string };

/** The help the page shows for `/help`, one line per command. */
export const HELP_LINES: readonly string[] = [
  "/who: who is here",
  "/quit: leave the chat",
  "/help: this list",
  "//text sends a line starting with /",
];

/** The answer to a command the page does not know. */
export const UNKNOWN_COMMAND = "unknown command; //text sends a line starting with /";

/**
 * Reads the text of the message field: `/help`, `/quit` and `/who` (trimmed,
 * in any case) are commands; `//text` sends `/text`; any other `/word` is an
 * unknown command; everything else is sent as it is.
 *
 * @example
 * ```ts
 * import { readInput } from "./commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(readInput("  /WHO "), { kind: "who" });
 * assert.deepEqual(readInput("//who"), { kind: "send", text: "/who" });
 * assert.deepEqual(readInput("hi"), { kind: "send", text: "hi" });
 * ```
 *
 * @param text The field's text.
 * @returns What to do.
 */
export function readInput(text: string): Input {
  const trimmed = text.trim();
  if (trimmed.startsWith("//")) return { kind: "send", text: text.replace(/^\s*\//, "") };
  if (!trimmed.startsWith("/")) return { kind: "send", text };
  const command = trimmed.toLowerCase();
  switch (command) {
    case "/help":
      return { kind: "help" };
    case "/quit":
      return { kind: "quit" };
    case "/who":
      return { kind: "who" };
    default:
      return { kind: "unknown", command: trimmed.split(/\s/, 1)[0]! };
  }
}
