#!/usr/bin/env -S deno run --allow-net
/**
 * The wirechat client: a terminal chat client, and a library for bots and tools.
 *
 * ## The command
 *
 * It needs `--allow-net`, which its shebang and `deno task client` give it, and
 * `--allow-read` only to read the CA file of `--ca`, which `deno task client:tls`
 * adds:
 *
 * ```sh
 * # from a clone
 * deno task client bob
 * ./client.ts --host chat.example.org --port 9000 bob
 * deno run --allow-net client.ts bob
 *
 * # over TLS (port 9443); --ca trusts a private CA and needs --allow-read
 * ./client.ts --tls --host chat.example.org bob
 * deno task client:tls --ca ca.pem --host localhost bob
 *
 * # installed as a command
 * deno install -g -N -n wirechat-client jsr:@wirechat/wirechat/client
 * wirechat-client --help
 * ```
 *
 * With a terminal on standard input and output, a line editor keeps the line being
 * typed at the bottom while messages arrive above it. With pipes, each line of
 * input is one message and each message received is printed as one line,
 * `<HH:MM> [user] text`; at the end of input everything read is sent before the
 * client quits. Run it with `--help` for every flag.
 *
 * ## The library
 *
 * {@linkcode connect} logs in and returns a {@linkcode ChatClient}: `send(text)`
 * sends, iterating receives, `close()` delivers what was sent, then closes. Text
 * from peers is untrusted: {@linkcode sanitize} and {@linkcode formatMessage}
 * make it safe to show in a terminal.
 *
 * Requires `--allow-net`.
 *
 * @example A bot that answers "ping"
 * ```ts
 * import { connect } from "@wirechat/wirechat/client";
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const { port } = server.addr;
 * await using bot = await connect({ hostname: "127.0.0.1", port, username: "bot" });
 * await using alice = await connect({ hostname: "127.0.0.1", port, username: "alice" });
 *
 * await bot.send("online");
 * for await (const message of bot) {
 *   if (message.username === "bot") await alice.send("ping"); // the bot is logged in
 *   if (message.text === "ping") await bot.send(`pong, ${message.username}`);
 *   if (message.text.startsWith("pong")) break;
 * }
 * ```
 *
 * @module
 */

export { ChatClient, type ChatClientOptions, type CloseReason } from "./client/chat_client.ts";
export { connect, type ConnectOptions } from "./client/connect.ts";
export { AuthenticationError, type PasswordSource } from "./client/authenticate.ts";
export {
  ConnectError,
  ConnectionClosedError,
  LoginRefusedError,
  MessageTooLargeError,
  WriteTimeoutError,
} from "./client/errors.ts";
export { formatMessage, type FormatOptions, formatTime, quoteUsername } from "./client/format.ts";
export { sanitize } from "./client/sanitize.ts";
export type { ChatMessage } from "./protocol/frames.ts";

if (import.meta.main) {
  // The command's modules load only when it runs, not when the library is imported.
  const { main } = await import("./client/command/main.ts");
  Deno.exit(await main(Deno.args));
}
