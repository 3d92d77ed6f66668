/**
 * Receiving with the client library in tests: the next message, a number of
 * them, and an observer that is known to be in the room.
 *
 * @module
 */

import { type ChatClient, connect } from "../../client.ts";
import type { ChatMessage } from "../../mod.ts";

/** The next message the client receives; fails if the connection ends first. */
export async function next(client: AsyncIterable<ChatMessage>): Promise<ChatMessage> {
  for await (const message of client) return message;
  throw new Error("The connection ended");
}

/** The next `count` messages the client receives. */
export async function take(
  client: AsyncIterable<ChatMessage>,
  count: number,
): Promise<ChatMessage[]> {
  const taken: ChatMessage[] = [];
  if (count === 0) return taken;
  for await (const message of client) {
    taken.push(message);
    if (taken.length === count) break;
  }
  return taken;
}

/**
 * Connects a client to 127.0.0.1 and waits for the echo of a first message, which
 * proves that the server has taken its login: it receives everything sent from
 * then on.
 */
export async function observer(port: number, username = "observer"): Promise<ChatClient> {
  const client = await connect({ hostname: "127.0.0.1", port, username });
  await client.send("watching");
  await next(client);
  return client;
}
