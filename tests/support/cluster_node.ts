/**
 * A wirechat server node of a test cluster, in this process.
 *
 * @module
 */

import { type ChatServer, serve, type ServerOptions } from "../../server.ts";
import { LogCapture } from "./log_capture.ts";
import type { NatsServer } from "./nats_server.ts";

/** A node, its captured log and its plain TCP port. */
export interface ClusterNode {
  readonly server: ChatServer;
  readonly logs: LogCapture;
  readonly port: number;
}

/**
 * Starts a node of the room `test` on `nats`, on a free port of 127.0.0.1, with no
 * rate limit; its port accepts at once, its cluster is joined later (`server.ready`).
 */
export function serveNode(nats: NatsServer, options: ServerOptions = {}): ClusterNode {
  const logs = new LogCapture();
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    logLevel: "info",
    log: logs.log,
    maxMessageRate: 0,
    nats: { servers: [nats.url], room: "test" },
    ...options,
  });
  return { server, logs, port: server.addr.port };
}

/** {@linkcode serveNode}, once the node has joined the cluster. */
export async function startNode(
  nats: NatsServer,
  options: ServerOptions = {},
): Promise<ClusterNode> {
  const node = serveNode(nats, options);
  await node.server.ready;
  return node;
}
