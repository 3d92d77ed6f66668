/**
 * Slash commands: what a line of input that starts with `/` means.
 *
 * @module
 */

/** What a line of input asks for. */
export type InputAction =
  /** Send this text to the room. */
  | { readonly kind: "send"; readonly text: string }
  /** Show the commands, here (`/help`). */
  | { readonly kind: "help" }
  /** Leave (`/quit`). */
  | { readonly kind: "quit" }
  /** A `/word` that is no command: not sent. */
  | { readonly kind: "unknown"; readonly command: string };

/** The commands, one per line, as `/help` shows them. */
export const COMMANDS_HELP: readonly string[] = [
  "/who: who is here (the server answers, if it knows the command)",
  "/help: this list",
  "/quit: leave (as Ctrl-D on an empty line)",
  "//text: sends a line that starts with /, as /text",
];

/** What the client says about a `/word` that is no command. */
export const UNKNOWN_COMMAND_HINT = "unknown command; //text sends a line starting with /";

/**
 * Reads a line of input. A line whose first character, after leading white
 * space, is `/` followed by a letter is a command, whatever the case and the
 * white space around it: `/who` (sent to the server, which answers it), `/help`,
 * `/quit`; any other `/word` is unknown and is not sent. A line that starts with
 * `//` is sent without its first `/`. Any other line is sent as it is.
 *
 * @example Commands and lines
 * ```ts
 * import { readInputLine } from "./slash_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(readInputLine(" /WHO "), { kind: "send", text: "/who" });
 * assert.deepEqual(readInputLine("/Quit"), { kind: "quit" });
 * assert.deepEqual(readInputLine("/nick bob"), { kind: "unknown", command: "/nick" });
 * assert.deepEqual(readInputLine("//etc/hosts"), { kind: "send", text: "/etc/hosts" });
 * assert.deepEqual(readInputLine("hello /who"), { kind: "send", text: "hello /who" });
 * ```
 *
 * @param line The line as typed, without its line ending.
 * @returns What to do with it.
 */
export function readInputLine(line: string): InputAction {
  const trimmed = line.trim();
  if (trimmed.startsWith("//")) return { kind: "send", text: line.slice(line.indexOf("/") + 1) };
  const command = /^\/\p{L}\S*/u.exec(trimmed)?.[0];
  if (command === undefined) return { kind: "send", text: line };
  switch (command.toLowerCase()) {
    case "/who":
      return { kind: "send", text: "/who" };
    case "/help":
      return { kind: "help" };
    case "/quit":
      return { kind: "quit" };
    default:
      return { kind: "unknown", command };
  }
}
