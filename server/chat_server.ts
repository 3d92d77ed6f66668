/**
 * The chat server: a listener, its accept loop, the sessions and the room.
 *
 * @module
 */

import { Logger, quote } from "./logger.ts";
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from "./options.ts";
import { Room } from "./room.ts";
import { type CloseReason, Session, type SessionHost } from "./session.ts";

/**
 * Counters of a running server, from {@linkcode ChatServer.stats}.
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
  /** Connections closed at once because `maxClients` were open. */
  readonly refused: number;
  /** Messages accepted and relayed. */
  readonly messages: number;
  /** Frames handed to clients: each message counts once per recipient. */
  readonly deliveries: number;
  /**
   * Bytes of memory held by the log of broadcast frames: what the slowest client
   * has yet to receive, in segments of 64 KiB.
   */
  readonly logBytes: number;
}

// The kernel's queue of connections not yet accepted: large enough for a storm of
// connections (the usual 511 overflows, and each overflow costs a client a 1 s retry).
const LISTEN_BACKLOG = 4096;
// How long a shutdown waits for queued frames to reach their clients.
const SHUTDOWN_GRACE_MS = 500;
const MAX_ACCEPT_BACKOFF_MS = 1000;

function formatAddr(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A running chat server. Create one with {@linkcode serve}.
 *
 * It relays every message to every logged-in client, the sender included, encoded
 * once and in one total order. Each client writes the shared log of messages from
 * its own cursor, with one write in flight: a slow or dead client never delays
 * anyone else, and is disconnected once it falls `maxQueueBytes` behind. A
 * connection that sends an oversized string (judged from its 4 size bytes), bytes
 * that are not UTF-8 or a bad user name is closed at once; so is one that does not
 * log in in time.
 *
 * @example A server for the length of a block
 * ```ts
 * import { ChatServer, serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * let stopped: Promise<void>;
 * {
 *   await using server: ChatServer = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 *   stopped = server.finished;
 *   assert.equal(server.stats.clients, 0);
 * } // leaving the block shuts the server down
 * await stopped;
 * ```
 */
export class ChatServer implements AsyncDisposable {
  /** The address the server listens on (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Settles when the server has shut down and every connection is closed. */
  readonly finished: Promise<void>;
  readonly #options: ResolvedServerOptions;
  readonly #logger: Logger;
  readonly #listener: Deno.TcpListener;
  readonly #room: Room;
  readonly #host: SessionHost;
  readonly #sessions = new Set<Session>();
  // Sessions not logged in yet, oldest first: the login deadline sweeps from the front.
  readonly #awaitingLogin = new Set<Session>();
  #loginTimer: ReturnType<typeof setTimeout> | undefined;
  #backoff: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;
  #backoffMs = 0;
  #running = 0; // read loops and the accept loop still running
  #allEnded: (() => void) | undefined;
  #shutdown: Promise<void> | undefined;
  #connections = 0;
  #refused = 0;

  /**
   * Starts listening. Prefer {@linkcode serve}, which does the same.
   *
   * @param options Where to listen, the limits, and the logging.
   * @throws {RangeError} When an option is out of range.
   * @throws {Deno.errors.AddrInUse} When the port is taken.
   */
  constructor(options: ServerOptions = {}) {
    const resolved = this.#options = resolveServerOptions(options);
    this.#logger = new Logger(resolved.logLevel, resolved.log);
    this.#listener = Deno.listen({
      hostname: resolved.hostname,
      port: resolved.port,
      tcpBacklog: LISTEN_BACKLOG,
    });
    this.addr = this.#listener.addr;
    this.#room = new Room(resolved.maxQueueBytes);
    this.#host = this.#sessionHost();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.finished = promise;
    this.#allEnded = resolve;
    this.#logger.info(
      `listening on ${formatAddr(this.addr)} (user names up to ${resolved.maxUsernameSize} ` +
        `bytes, messages up to ${resolved.maxMessageSize} bytes, ${resolved.maxClients} clients)`,
    );
    this.#running++;
    this.#acceptLoop();
    if (resolved.signal?.aborted) this.shutdown();
    resolved.signal?.addEventListener("abort", () => this.shutdown(), { once: true });
  }

  /** Counters of the server's activity. */
  get stats(): ServerStats {
    return {
      connections: this.#connections,
      clients: this.#sessions.size,
      loggedIn: this.#room.size,
      refused: this.#refused,
      messages: this.#room.messages,
      deliveries: this.#room.deliveries,
      logBytes: this.#room.log.heldBytes,
    };
  }

  /**
   * Stops accepting, gives queued frames a moment (half a second at most) to reach
   * their clients, closes every connection, and resolves once all is closed.
   * Calling it again returns the same promise.
   *
   * @example Clients learn that the server went away
   * ```ts
   * import { connect } from "@wirechat/wirechat/client";
   * import { serve } from "@wirechat/wirechat/server";
   * import assert from "node:assert/strict";
   *
   * const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
   * const client = await connect({ hostname: "127.0.0.1", port: server.addr.port, username: "bob" });
   * await server.shutdown();
   * assert.deepEqual(await client.closed, { kind: "remote" });
   * ```
   *
   * @returns A promise that resolves once every connection is closed.
   */
  shutdown(): Promise<void> {
    return this.#shutdown ??= this.#stop();
  }

  /** Shuts the server down: `await using server = serve(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #stop(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    clearTimeout(this.#loginTimer);
    if (this.#backoff !== undefined) {
      clearTimeout(this.#backoff.timer);
      this.#backoff.wake();
    }
    this.#room.flush();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#room.drained(),
      new Promise((resolve) => timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)),
    ]);
    clearTimeout(timer);
    this.#room.close();
    const open = this.#sessions.size;
    for (const session of this.#sessions) {
      session.close({ text: "server shutting down", level: "debug" });
    }
    await this.finished;
    const { connections, messages, deliveries } = this.stats;
    this.#logger.info(
      `shut down: closed ${open} connections; ${connections} served, ` +
        `${messages} messages relayed, ${deliveries} deliveries`,
    );
  }

  async #acceptLoop(): Promise<void> {
    while (this.#shutdown === undefined) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#shutdown !== undefined || error instanceof Deno.errors.BadResource) break;
        // Out of file descriptors, most likely: wait for some to be freed, never give up.
        const delay = this.#backoffMs = Math.min(this.#backoffMs * 2 || 10, MAX_ACCEPT_BACKOFF_MS);
        this.#logger.error(`accept failed: ${errorText(error)}; retrying in ${delay} ms`);
        await new Promise<void>((wake) => {
          this.#backoff = { timer: setTimeout(wake, delay), wake };
        });
        this.#backoff = undefined;
        continue;
      }
      this.#backoffMs = 0;
      this.#admit(conn);
    }
    this.#loopEnded();
  }

  #admit(conn: Deno.TcpConn): void {
    this.#connections++;
    const full = this.#sessions.size >= this.#options.maxClients;
    if (full || this.#shutdown !== undefined) {
      this.#refused++;
      this.#logger.warn(
        `${formatAddr(conn.remoteAddr)} refused: ${
          full ? `server full (${this.#options.maxClients} clients)` : "shutting down"
        }`,
      );
      conn.close();
      return;
    }
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch {
      // The peer is already gone; the first read will say so.
    }
    const session = new Session(conn, this.#host);
    this.#sessions.add(session);
    this.#awaitingLogin.add(session);
    if (this.#loginTimer === undefined) this.#armLoginTimer();
    if (this.#logger.enabled("info")) {
      this.#logger.info(`${session.peer} connected (${this.#sessions.size} open)`);
    }
    this.#running++;
    session.run();
  }

  #armLoginTimer(): void {
    for (const oldest of this.#awaitingLogin) {
      const delay = oldest.connectedAt + this.#options.loginTimeout - Date.now();
      this.#loginTimer = setTimeout(() => {
        this.#loginTimer = undefined;
        this.#expireLogins();
      }, Math.max(0, delay));
      return;
    }
  }

  #expireLogins(): void {
    const deadline = Date.now() - this.#options.loginTimeout;
    for (const session of this.#awaitingLogin) {
      if (session.connectedAt > deadline) break;
      session.close({ text: "login timeout", level: "warn" });
    }
    this.#armLoginTimer();
  }

  #loopEnded(): void {
    if (--this.#running === 0) this.#allEnded?.();
  }

  #sessionHost(): SessionHost {
    const options = this.#options;
    const logger = this.#logger;
    const room = this.#room;
    const logTexts = logger.enabled("debug"); // decided once, not per message
    return {
      limits: { maxUsernameSize: options.maxUsernameSize, maxMessageSize: options.maxMessageSize },
      room,
      loggedIn: (session) => {
        this.#awaitingLogin.delete(session);
        if (logger.enabled("info")) {
          logger.info(
            `${session.peer} logged in as ${quote(session.username!)} (${room.size} in the room)`,
          );
        }
      },
      received: (session, sender, text) => {
        if (this.#shutdown !== undefined) return;
        room.publish(sender, text);
        if (logTexts) {
          logger.debug(
            `${session.peer} ${quote(session.username!)} says ${
              quote(new TextDecoder().decode(text))
            }`,
          );
        }
      },
      closed: (session, reason: CloseReason) => {
        this.#sessions.delete(session);
        this.#awaitingLogin.delete(session);
        room.leave(session);
        if (logger.enabled(reason.level)) {
          const who = session.username === undefined ? "" : ` ${quote(session.username)}`;
          logger[reason.level](`${session.peer}${who} disconnected: ${reason.text}`);
        }
      },
      ended: () => this.#loopEnded(),
    };
  }
}

/**
 * Starts a chat server, in the spirit of `Deno.serve`. Requires `--allow-net`.
 *
 * @example Starting a server on a free port and stopping it
 * ```ts
 * import { serve } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
 * assert.ok(server.addr.port > 0);
 * ```
 *
 * @param options Where to listen, the limits, and the logging.
 * @returns The running server.
 * @throws {RangeError} When an option is out of range.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function serve(options: ServerOptions = {}): ChatServer {
  return new ChatServer(options);
}
