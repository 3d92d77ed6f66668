/**
 * Starts an in-process server on a free loopback port, with its log captured.
 *
 * @module
 */

import { type ChatServer, serve, type ServerOptions } from "../../server.ts";
import { ChatPeer } from "./chat_peer.ts";
import { LogCapture } from "./log_capture.ts";

/** A server for one test, and what the test needs to talk to it. */
export interface TestServer extends AsyncDisposable {
  readonly server: ChatServer;
  readonly logs: LogCapture;
  readonly port: number;
  /** Connects, logs in as `username` and waits until the server has seen the login. */
  join(username: string): Promise<ChatPeer>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Starts a server on 127.0.0.1 with a free port, logging at debug level into memory. */
export function startServer(options: ServerOptions = {}): TestServer {
  const logs = new LogCapture();
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    logLevel: "debug",
    log: logs.log,
    ...options,
  });
  const port = server.addr.port;
  return {
    server,
    logs,
    port,
    async join(username) {
      const peer = await ChatPeer.login(port, username);
      await logs.waitFor(new RegExp(`logged in as "${escapeRegExp(username)}"`), 1);
      peer.startReading();
      return peer;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
