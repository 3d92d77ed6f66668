/**
 * How terminal mode shows the server's voice: messages from the user name `*`.
 *
 * @module
 */

import type { ChatMessage } from "../../../protocol/frames.ts";
import { formatMessage, type FormatOptions, formatTime, reverse } from "../../format.ts";
import { SERVER_USERNAME } from "../../last_words.ts";
import { sanitize } from "../../sanitize.ts";

/**
 * Formats a received message as one line, as {@linkcode formatMessage} does,
 * except that a message from the server's voice (`*`: joins, leaves, `/who`,
 * a refused login) reads `<HH:MM> * text`, without brackets, and with colours
 * in dim italics. No user can be named `*`, and a user's name is always in
 * brackets, so without colours too no one can pass for the server.
 *
 * @example The server's voice and a person
 * ```ts
 * import { formatWithServerVoice } from "./server_voice.ts";
 * import assert from "node:assert/strict";
 *
 * const timestamp = new Date(2024, 0, 2, 18, 5).getTime() / 1000;
 * assert.equal(
 *   formatWithServerVoice({ timestamp, username: "*", text: "alice joined" }),
 *   "<18:05> * alice joined",
 * );
 * assert.equal(
 *   formatWithServerVoice({ timestamp, username: "bob", text: "hi" }),
 *   "<18:05> [bob] hi",
 * );
 * ```
 *
 * @param message A message as received.
 * @param options Whether to use colours.
 * @returns The line to show.
 */
export function formatWithServerVoice(message: ChatMessage, options: FormatOptions = {}): string {
  if (message.username !== SERVER_USERNAME) return formatMessage(message, options);
  const time = formatTime(message.timestamp);
  if (!options.color) return `<${time}> * ${sanitize(message.text)}`;
  return `\x1b[2m<${time}>\x1b[22m \x1b[2;3m* ${sanitize(message.text, reverse)}\x1b[22;23m`;
}
