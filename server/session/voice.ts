/**
 * The server's voice, `*`: frames that every seed client shows as an ordinary line.
 *
 * @module
 */

import { encodeChatMessage } from "../../protocol/encode.ts";

/** The user name the server speaks under; no client may take it or anything like it. */
export const SERVER_NAME = "*";

/**
 * One frame from the server, `*`, stamped now: the *Why* line before a close,
 * a refusal, an answer to `/who`.
 *
 * @example
 * ```ts
 * import { voiceFrame } from "./voice.ts";
 * import { ClientDecoder } from "../../protocol/client_decoder.ts";
 * import assert from "node:assert/strict";
 *
 * const seen: string[] = [];
 * new ClientDecoder((m) => seen.push(`${m.username}: ${m.text}`))
 *   .push(voiceFrame("server full"));
 * assert.deepEqual(seen, ["*: server full"]);
 * ```
 *
 * @param text What the server says.
 * @returns The encoded frame.
 */
export function voiceFrame(text: string): Uint8Array {
  return encodeChatMessage({
    timestamp: Math.floor(Date.now() / 1000),
    username: SERVER_NAME,
    text,
  });
}
