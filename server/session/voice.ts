/**
 * The server's voice, `*`: frames that every seed client shows as an ordinary line.
 *
 * @module
 */

import { encodeChatMessage } from "../../protocol/encode.ts";
import type { Link } from "./link.ts";

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

/**
 * Writes a last frame to a connection about to be closed, for at most `within`
 * milliseconds: a peer that does not read gets nothing more. Never rejects.
 *
 * @param link Where to write.
 * @param frame The frame.
 * @param within The most it may take, in milliseconds.
 * @param wrote Told of every count of bytes written.
 * @param closed Whether the connection closed meanwhile (the write then stops).
 */
export async function writeLastFrame(
  link: Pick<Link, "write">,
  frame: Uint8Array,
  within: number,
  wrote: (count: number) => void,
  closed: () => boolean,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<void>((resolve) => timer = setTimeout(resolve, within));
  const written = (async () => {
    for (let at = 0; at < frame.length && !closed();) {
      const count = await link.write(frame.subarray(at));
      wrote(count);
      at += count;
    }
  })().catch(() => {});
  await Promise.race([written, stalled]);
  clearTimeout(timer);
}
