#!/usr/bin/env -S deno run --allow-net --v8-flags=--max-semi-space-size=1
/**
 * The wirechat chat server, as a library and as a command.
 *
 * As a command (requires `--allow-net`):
 *
 * ```sh
 * deno run --allow-net --v8-flags=--max-semi-space-size=1 server.ts --port 9000
 * deno install -g -N -n wirechat-server jsr:@wirechat/wirechat/server
 * wirechat-server --help
 * ```
 *
 * As a library, {@linkcode serve} starts a server in-process, in the spirit of
 * `Deno.serve`:
 *
 * @example Serving on a free port
 * ```ts
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "warn" });
 * assert.equal(server.addr.hostname, "127.0.0.1");
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { ChatServer, serve, type ServerStats } from "./server/chat_server.ts";
export type { LogLevel, ServerOptions } from "./server/options.ts";

if (import.meta.main) {
  const { main } = await import("./server/cli.ts");
  Deno.exit(await main(Deno.args));
}
