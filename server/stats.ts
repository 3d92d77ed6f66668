/**
 * What a running server counts, and the names of its refusals: the figures that
 * `/metrics`, the stats line and `ChatServer.stats` show.
 *
 * @module
 */

/**
 * Counters of a running server, from `ChatServer.stats`.
 *
 * @example One message, relayed to two clients
 * ```ts
 * import { connect } from "@wirechat/wirechat/client";
 * import { serve, type ServerStats } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * const { port } = server.addr;
 * await using alice = await connect({ hostname: "127.0.0.1", port, username: "alice" });
 * await using bob = await connect({ hostname: "127.0.0.1", port, username: "bob" });
 * await bob.send("bob is in");
 * for await (const _ of bob) break; // bob's echo: the server has both logins
 * await alice.send("hi");
 * for await (const _ of bob) break;
 * const stats: ServerStats = server.stats;
 * assert.equal(stats.loggedIn, 2);
 * assert.equal(stats.messages, 2);
 * ```
 */
export interface ServerStats {
  /** Connections accepted since the start, refused ones included. */
  readonly connections: number;
  /** Connections open now, logged in or not. */
  readonly clients: number;
  /** Clients logged in now. */
  readonly loggedIn: number;
  /** Connections open now that have not logged in yet. */
  readonly pendingLogins: number;
  /** Connections refused at once, for any reason. */
  readonly refused: number;
  /** Connections refused, by reason. */
  readonly refusedBy: Readonly<Record<Refusal, number>>;
  /** Pending logins closed to make room for a newcomer. */
  readonly evicted: number;
  /** Messages accepted and relayed. */
  readonly messages: number;
  /** Frames handed to clients: each message counts once per recipient. */
  readonly deliveries: number;
  /** Clients dropped as slow consumers. */
  readonly slowConsumerDrops: number;
  /** How many times the room held senders back because it could not keep up. */
  readonly pressurePauses: number;
  /**
   * Bytes of memory held by the log of broadcast frames: what the slowest client
   * has yet to receive, and the history, in segments of 64 KiB.
   */
  readonly logBytes: number;
  /** Messages a newcomer receives as history now. */
  readonly historySize: number;
  /** Bytes of memory held by the connections' read buffers. */
  readonly readBufferBytes: number;
  /** Bytes read from clients so far. */
  readonly bytesIn: number;
  /** Bytes written to clients so far. */
  readonly bytesOut: number;
  /** Bytes of log lines queued for standard error (0 with a `log` of one's own). */
  readonly logQueueBytes: number;
  /** Whether the backplane is connected (always, without one). */
  readonly backplaneConnected: boolean;
  /** Frames from the cluster refused: garbage, bad names, forged notices (0 without one). */
  readonly backplaneRefused: number;
}

/** Why a connection was refused: at accept, or at login (`--unique-names`). */
export type Refusal =
  | "server full"
  | "too many pending logins"
  | "too many from address"
  | "shutting down"
  | "name taken";

/** The addresses of a server's doors: those it was asked to open. */
export interface ServerAddrs {
  /** The plain TCP door. */
  readonly tcp?: Deno.NetAddr;
  /** The TLS door. */
  readonly tls?: Deno.NetAddr;
  /** The web page and its WebSocket door. */
  readonly web?: Deno.NetAddr;
  /** The metrics endpoint. */
  readonly metrics?: Deno.NetAddr;
}
