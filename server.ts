#!/usr/bin/env -S deno run --allow-net --v8-flags=--max-semi-space-size=1
/**
 * The wirechat chat server, as a command and as a library.
 *
 * As a command it needs `--allow-net`, and runs best with a small young
 * generation (`--v8-flags=--max-semi-space-size=1`: less memory per idle
 * connection); its shebang, `deno task start` and the compiled binary give it both:
 *
 * ```sh
 * # from a clone
 * deno task start --port 9000
 * ./server.ts --port 9000
 * deno run --allow-net --v8-flags=--max-semi-space-size=1 server.ts --port 9000
 *
 * # installed as a command
 * deno install -g -N --v8-flags=--max-semi-space-size=1 -n wirechat-server jsr:@wirechat/wirechat/server
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

export {
  ChatServer,
  type Refusal,
  serve,
  type ServerAddrs,
  type ServerStats,
} from "./server/chat_server.ts";
export type { RefusalReason } from "./server/session/admission.ts";
export type {
  LogLevel,
  NatsAuth,
  NatsOptions,
  ServerOptions,
  TlsOptions,
  WebOptions,
} from "./server/options.ts";
export type { Link, LinkOrigin } from "./server/session/link.ts";
export {
  createWebGateway,
  type UpgradeRefusal,
  type WebGateway,
  type WebGatewayOptions,
} from "./server/doors/web_gateway.ts";
export {
  CloseCode,
  closeForProtocolError,
  WebSocketLink,
  type WebSocketLinkOptions,
  type WsSocket,
} from "./server/doors/websocket_link.ts";

if (import.meta.main) {
  const { main } = await import("./server/cli.ts");
  Deno.exit(await main(Deno.args));
}
