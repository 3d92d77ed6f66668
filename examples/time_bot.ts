#!/usr/bin/env -S deno run --allow-net
/**
 * A bot built on the client library: it answers `!time` with the time on the
 * server's clock (the timestamp the server gave the question) and `!help` with
 * what it can do.
 *
 * ```sh
 * deno run --allow-net examples/time_bot.ts [--host localhost] [--port 9000] [name]
 * ```
 *
 * It greets the room when it joins, never answers itself, and leaves cleanly on
 * Ctrl-C (SIGINT) or SIGTERM, with exit status 0. It exits with status 1, and one
 * line on standard error, when it cannot connect or the server closes the
 * connection.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DEFAULT_PORT } from "@wirechat/wirechat";
import { type ChatClient, type ChatMessage, connect } from "@wirechat/wirechat/client";

/**
 * What the bot answers to a message, or undefined when it stays silent: it
 * answers `!time` and `!help` from anyone but itself.
 *
 * @param message A message the server relayed.
 * @param name The bot's own user name.
 * @returns The answer to send, if any.
 */
export function reply(message: ChatMessage, name: string): string | undefined {
  if (message.username === name) return undefined;
  switch (message.text.trim()) {
    case "!time": {
      const date = new Date(message.timestamp * 1000);
      if (Number.isNaN(date.getTime())) {
        return `${message.username}: the server's clock reads ${message.timestamp} s, past any date`;
      }
      const [day, time] = date.toISOString().split(/[T.]/);
      return `${message.username}: it is ${time} UTC on ${day}, by the server's clock`;
    }
    case "!help":
      return `${message.username}: say !time and I tell you the time by the server's clock`;
    default:
      return undefined;
  }
}

/**
 * Greets the room, then answers every message until the connection ends.
 *
 * @param client A logged-in client; the bot answers as its user name.
 * @returns A promise that resolves when the client is closed.
 * @throws {Error} What iterating the client throws: the server closed the
 * connection, or broke the protocol.
 */
export async function runBot(client: ChatClient): Promise<void> {
  await client.send(`${client.username} here: say !time, or !help`);
  for await (const message of client) {
    const answer = reply(message, client.username);
    if (answer !== undefined) await client.send(answer);
  }
}

const USAGE = `Usage: time_bot.ts [--host localhost] [--port ${DEFAULT_PORT}] [name]`;

async function main(args: string[]): Promise<number> {
  let options;
  try {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        host: { type: "string", default: "localhost" },
        port: { type: "string", default: String(DEFAULT_PORT) },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
      throw new Error(`Invalid port "${values.port}": expected an integer from 1 to 65535`);
    }
    if (positionals.length > 1) throw new Error("Give one name");
    options = { hostname: values.host, port, username: positionals[0] ?? "timebot" };
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 1;
  }

  // A signal closes the client, which ends the loop of runBot.
  const leave = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const stop = () => leave.abort();
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  try {
    await runBot(await connect({ ...options, signal: leave.signal }));
    return 0;
  } catch (error) {
    if (leave.signal.aborted) return 0; // stopped while connecting or answering
    console.error((error as Error).message);
    return 1;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
