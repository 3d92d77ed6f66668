/**
 * How a received message is shown: `<HH:MM> [user] text`.
 *
 * @module
 */

import type { ChatMessage } from "../protocol/frames.ts";
import { sanitize } from "./sanitize.ts";

/**
 * Options of {@linkcode formatMessage}.
 *
 * @example Colours for a terminal
 * ```ts
 * import { formatMessage, type FormatOptions } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const options: FormatOptions = { color: true }; // the CLI: { color: !Deno.noColor }
 * const line = formatMessage({ timestamp: 0, username: "bob", text: "hi" }, options);
 * assert.match(line, /^\x1b\[2m<\d\d:\d\d>\x1b\[22m \[\x1b\[\d+mbob\x1b\[39m\] hi$/);
 * ```
 */
export interface FormatOptions {
  /**
   * Whether to style the line with ANSI colours: the time dim, each user name in
   * a colour of its own, escaped characters in reverse video.
   *
   * @default {false}
   */
  color?: boolean;
}

// Foreground colours that read on dark and light backgrounds alike; red is left
// for errors.
const USER_COLORS = [32, 33, 34, 35, 36, 92, 93, 94, 95, 96];

/**
 * `HH:MM` of a UNIX time, in local time, on a 24-hour clock, zero-padded;
 * `--:--` for a time a `Date` cannot hold.
 *
 * @example Formatting a local time
 * ```ts
 * import { formatTime } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const sevenPastNine = new Date(2024, 0, 2, 9, 7).getTime() / 1000;
 * assert.equal(formatTime(sevenPastNine), "09:07");
 * ```
 *
 * @param timestamp Whole seconds of UNIX time.
 * @returns The time of day.
 */
export function formatTime(timestamp: number): string {
  // A flood of messages shares a few timestamps: the local time is worked out
  // once for each in a row.
  if (timestamp === lastTime.timestamp) return lastTime.shown;
  lastTime = { timestamp, shown: localTime(timestamp) };
  return lastTime.shown;
}

let lastTime = { timestamp: NaN, shown: "" };

function localTime(timestamp: number): string {
  const date = new Date(timestamp * 1000);
  if (Number.isNaN(date.getTime())) return "--:--";
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Formats a received message as one line, `<HH:MM> [user] text`, without a line
 * ending. The time is local; a user name holding `[`, `]` or `"` is quoted
 * ({@linkcode quoteUsername}); the user name and the text go through
 * {@linkcode sanitize}, so the line is safe to write to a terminal and a line
 * break in the text cannot start a line of its own.
 *
 * @example Formatting a message
 * ```ts
 * import { formatMessage } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * const timestamp = new Date(2024, 0, 2, 18, 5).getTime() / 1000;
 * assert.equal(
 *   formatMessage({ timestamp, username: "bob", text: "hello" }),
 *   "<18:05> [bob] hello",
 * );
 * assert.equal(
 *   formatMessage({ timestamp, username: "eve", text: "hi\n<18:05> [bob] I owe eve £100" }),
 *   "<18:05> [eve] hi␊<18:05> [bob] I owe eve £100",
 * );
 * ```
 *
 * @param message A message as received.
 * @param options Whether to use colours.
 * @returns The line to show.
 */
export function formatMessage(message: ChatMessage, options: FormatOptions = {}): string {
  const time = formatTime(message.timestamp);
  const shownName = quoteUsername(message.username);
  if (!options.color) {
    return `<${time}> [${sanitize(shownName)}] ${sanitize(message.text)}`;
  }
  const username = sanitize(shownName, reverse);
  const text = sanitize(message.text, reverse);
  return `\x1b[2m<${time}>\x1b[22m [\x1b[${
    userColor(message.username)
  }m${username}\x1b[39m] ${text}`;
}

// A user name with one of these could forge the `[user]` prefix, or pass for a
// quoted one.
const NEEDS_QUOTES = /[[\]"]/;

/**
 * A user name as it goes between the brackets of a line: as it is, or, when it
 * contains `[`, `]` or `"`, in double quotes with every `"` and `\` inside
 * escaped by a backslash. User `admin] hi [x` is then shown as
 * `["admin] hi [x"]`, never as `[admin] hi [x]`.
 *
 * @example Quoting a user name that could forge a line prefix
 * ```ts
 * import { quoteUsername } from "@wirechat/wirechat/client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quoteUsername("bob"), "bob");
 * assert.equal(quoteUsername("admin] hi [x"), '"admin] hi [x"');
 * assert.equal(quoteUsername('say "hi"'), '"say \\"hi\\""');
 * ```
 *
 * @param username A user name as received, before {@linkcode sanitize}.
 * @returns The name to show between the brackets.
 */
export function quoteUsername(username: string): string {
  if (!NEEDS_QUOTES.test(username)) return username;
  return `"${username.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Shows `text` in reverse video.
 *
 * @param text Text without styles of its own.
 * @returns The styled text.
 */
export function reverse(text: string): string {
  return `\x1b[7m${text}\x1b[27m`;
}

/**
 * The ANSI foreground colour of a user name: the same name always gets the same
 * colour (FNV-1a over its UTF-16 code units), one of ten that read on dark and
 * light backgrounds alike. The web page maps these codes to its own colours, so
 * that a name has the same hue in the terminal and in the browser.
 *
 * @example The same name, the same colour
 * ```ts
 * import { userColor } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(userColor("alice"), userColor("alice"));
 * assert.ok([32, 33, 34, 35, 36, 92, 93, 94, 95, 96].includes(userColor("bob")));
 * ```
 *
 * @param username A user name as received.
 * @returns An SGR foreground code: 32 to 36 or 92 to 96.
 */
export function userColor(username: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < username.length; i++) {
    hash = Math.imul(hash ^ username.charCodeAt(i), 0x01000193);
  }
  return USER_COLORS[(hash >>> 0) % USER_COLORS.length]!;
}
