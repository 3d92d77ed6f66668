/**
 * The chat server: its doors, the admission of connections, the sessions, the
 * room and its backplane.
 *
 * @module
 */

import { addressKey, Admission } from "./session/admission.ts";
import { type Door, openTcpDoor } from "./doors/door.ts";
import { formatHostPort } from "../cli/host_port.ts";
import type { Link, LinkOrigin } from "./session/link.ts";
import { stderrLogSink } from "./ops/log_sink.ts";
import { counted, Logger, quote } from "./ops/logger.ts";
import { type MetricsEndpoint, serveMetrics, statsLine } from "./ops/metrics.ts";
import {
  type NatsOptions,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  type WebOptions,
} from "./options.ts";
import { type Backplane, encodeRelayFrame } from "./cluster/backplane.ts";
import type { NatsBackplane } from "./cluster/nats/nats_backplane.ts";
import { type ClusterRoster, isWho, Presence } from "./ops/presence.ts";
import { Room } from "./room/room.ts";
import { TlsDoor } from "./doors/tls_door.ts";
import { createWebGateway } from "./doors/web_gateway.ts";
import { type DisconnectReason, Session, type SessionHost } from "./session/session.ts";

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

// How long a shutdown waits for queued frames to reach their clients.
const SHUTDOWN_GRACE_MS = 500;
// A pending login younger than this is never closed to make room for a newcomer:
// a storm of real logins is not cut.
const EVICT_AFTER_MS = 1000;

/**
 * A running chat server. Create one with {@linkcode serve}.
 *
 * It relays every message to every logged-in client, the sender included, encoded
 * once and in one total order. Each client writes the shared log of messages from
 * its own cursor, with one write in flight: a slow or dead client never delays
 * anyone else, and is disconnected once it falls `maxQueueBytes` behind while its
 * socket refuses data. When the server itself falls behind, it stops reading from
 * senders until it catches up. A connection that sends an oversized string (judged
 * from its 4 size bytes), bytes that are not UTF-8 or a bad user name is closed at
 * once; so is one that does not log in in time.
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
 *   await server.ready;
 *   assert.equal(server.stats.clients, 0);
 * } // leaving the block shuts the server down
 * await stopped;
 * ```
 */
export class ChatServer implements AsyncDisposable {
  /** The address of the plain TCP door (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** The addresses of every door. */
  readonly addrs: ServerAddrs;
  /** Resolves once every door listens and the backplane is connected. */
  readonly ready: Promise<void>;
  /** Settles when the server has shut down and every connection is closed. */
  readonly finished: Promise<void>;
  readonly #options: ResolvedServerOptions;
  readonly #logger: Logger;
  readonly #doors: Door[] = [];
  readonly #room: Room;
  readonly #host: SessionHost;
  readonly #admission: Admission<Session>;
  #tls: TlsDoor | undefined;
  #backplane: Backplane | undefined;
  #backplaneUp = true;
  #loginTimer: ReturnType<typeof setTimeout> | undefined;
  #running = 1; // read loops, and the server itself until it is shut down
  #allEnded: (() => void) | undefined;
  #shutdown: Promise<void> | undefined;
  #connections = 0;
  #evicted = 0;
  #readBufferBytes = 0;
  readonly #refusedBy: Record<Refusal, number> = {
    "server full": 0,
    "too many pending logins": 0,
    "too many from address": 0,
    "shutting down": 0,
    "name taken": 0,
  };
  readonly #traffic = { bytesIn: 0, bytesOut: 0 };
  readonly #presence: Presence;
  readonly #stderrLog: boolean;
  #metrics: MetricsEndpoint | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;

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
    this.#room = new Room({
      maxLag: resolved.maxQueueBytes,
      history: resolved.history,
      onPressure: (on) => on ? this.#backplane?.pause() : this.#backplane?.resume(),
    });
    this.#presence = new Presence(
      this.#room,
      { announce: resolved.presence, uniqueNames: resolved.uniqueNames },
      (sender, text, id) => this.#publish(sender, text, id),
    );
    this.#stderrLog = options.log === undefined;
    this.#admission = new Admission<Session>({
      maxClients: resolved.maxClients,
      maxPendingLogins: resolved.maxPendingLogins,
      maxConnectionsPerIp: resolved.maxConnectionsPerIp,
      evictAfterMs: EVICT_AFTER_MS,
    });
    this.#host = this.#sessionHost();
    const open = (link: Link, origin: LinkOrigin) => {
      if (this.#admit(link, origin) !== undefined) closeQuietly(link);
    };
    const failed = (message: string) => this.#logger.repeated("accept", "error", message);
    const addrs: { -readonly [door in keyof ServerAddrs]: ServerAddrs[door] } = {};
    try {
      if (!resolved.tlsOnly) {
        const tcp = openTcpDoor(resolved.hostname, resolved.port, open, failed);
        this.#doors.push(tcp);
        addrs.tcp = tcp.addr;
      }
      if (resolved.tls !== undefined) {
        const { cert, key, port } = resolved.tls;
        this.#tls = new TlsDoor({ hostname: resolved.hostname, port, cert, key }, open, {
          error: failed,
          info: (line) => this.#logger.info(line),
        });
        this.#doors.push(this.#tls);
        addrs.tls = this.#tls.addr;
      }
      if (resolved.web !== undefined) {
        const web = this.#openWebDoor(resolved.web, resolved.tls);
        this.#doors.push(web);
        addrs.web = web.addr;
      }
      if (resolved.metrics !== undefined) {
        this.#metrics = serveMetrics(resolved.metrics.hostname, resolved.metrics.port, this);
        addrs.metrics = this.#metrics.addr;
      }
    } catch (error) {
      for (const door of this.#doors) door.close();
      throw error;
    }
    this.addr = (addrs.tcp ?? addrs.tls)!;
    this.addrs = addrs;
    if (resolved.statsInterval > 0) {
      this.#statsTimer = setInterval(
        () => this.#logger.info(statsLine(this.stats)),
        resolved.statsInterval * 1000,
      );
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    this.finished = promise;
    this.#allEnded = resolve;
    this.ready = resolved.nats === undefined ? Promise.resolve() : this.#joinCluster(resolved.nats);
    this.ready.catch(() => this.shutdown());
    const where = addrs.tcp === undefined
      ? "TLS only"
      : `listening on ${formatHostPort(addrs.tcp.hostname, addrs.tcp.port)}`;
    this.#logger.info(
      `${where} (user names up to ` +
        `${resolved.maxUsernameSize} bytes, messages up to ${resolved.maxMessageSize} bytes, ` +
        `${resolved.maxClients} clients)`,
    );
    if (resolved.signal?.aborted) this.shutdown();
    resolved.signal?.addEventListener("abort", () => this.shutdown(), { once: true });
  }

  /** Whether the backplane is connected (always, for a single process). */
  get backplaneConnected(): boolean {
    return this.#backplaneUp;
  }

  async #joinCluster(nats: NatsOptions): Promise<void> {
    const room = this.#room;
    // Nobody reads from senders until the backplane can take their messages.
    room.gate.close("backplane");
    this.#backplaneUp = false;
    const { NatsBackplane } = await import("./cluster/nats/nats_backplane.ts");
    const backplane = new NatsBackplane({
      servers: nats.servers,
      ...(nats.room === undefined ? {} : { room: nats.room }),
      history: this.#options.history,
      ...(nats.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: nats.maxAgeSeconds }),
      ...(nats.maxPending === undefined ? {} : { maxPending: nats.maxPending }),
      log: (level, line) => this.#logger[level](line),
    });
    await backplane.start({
      deliver: (frame) => room.deliver(frame),
      congested: (on) => on ? room.gate.close("backplane") : room.gate.open("backplane"),
      connected: (up) => this.#backplaneUp = up,
    });
    this.#backplane = backplane;
    const roster = this.#joinRoster(backplane, nats);
    this.#presence.join(roster);
    await roster;
    this.#backplaneUp = true;
    room.gate.open("backplane");
    if (this.#shutdown !== undefined) await backplane.close();
  }

  async #joinRoster(
    backplane: NatsBackplane,
    nats: NatsOptions,
  ): Promise<ClusterRoster | undefined> {
    const { NatsPresence } = await import("./cluster/nats/nats_presence.ts");
    const connection = backplane.connection;
    if (connection === undefined || this.#shutdown !== undefined) return undefined;
    try {
      return await NatsPresence.open({
        connection,
        ...(nats.room === undefined ? {} : { room: nats.room }),
        uniqueNames: this.#options.uniqueNames,
        gone: (node, member) => this.#presence.gone(node, member),
        log: (level, line) => this.#logger[level](line),
      });
    } catch (error) {
      this.#logger.error(`presence across the cluster failed: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Counters of the server's activity. */
  get stats(): ServerStats {
    const refusedBy = { ...this.#refusedBy };
    const room = this.#room;
    return {
      connections: this.#connections,
      clients: this.#admission.open,
      loggedIn: room.size,
      pendingLogins: this.#admission.pending,
      refused: Object.values(refusedBy).reduce((sum, count) => sum + count, 0),
      refusedBy,
      evicted: this.#evicted,
      messages: room.messages,
      deliveries: room.deliveries,
      slowConsumerDrops: room.slowConsumerDrops,
      pressurePauses: room.pressurePauses,
      logBytes: room.log.heldBytes,
      historySize: room.historySize,
      readBufferBytes: this.#readBufferBytes,
      bytesIn: this.#traffic.bytesIn,
      bytesOut: this.#traffic.bytesOut,
      logQueueBytes: this.#stderrLog ? stderrLogSink().heldBytes : 0,
      backplaneConnected: this.#backplaneUp,
    };
  }

  /** Whether the server accepts connections: `false` once it is shutting down. */
  get accepting(): boolean {
    return this.#shutdown === undefined;
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

  /**
   * Replaces the TLS door's certificate (certificate rotation): connections
   * already accepted keep theirs, new ones get the new one; a client connecting
   * in the few milliseconds the door re-opens may be refused.
   *
   * @param cert The new certificate chain, PEM.
   * @param key Its private key, PEM.
   * @returns A promise that resolves once the door listens with the new pair.
   * @throws {Error} With a one-line message when the pair is not usable (the door
   * keeps the old one), or when the server has no TLS door.
   */
  reloadTls(cert: string, key: string): Promise<void> {
    if (this.#tls === undefined) return Promise.reject(new Error("The server has no TLS door"));
    return this.#tls.reload(cert, key);
  }

  /** Shuts the server down: `await using server = serve(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #stop(): Promise<void> {
    const doorsClosed = Promise.all(this.#doors.map((door) => door.close()));
    clearTimeout(this.#loginTimer);
    clearInterval(this.#statsTimer);
    this.#room.flush();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#room.drained(),
      new Promise((resolve) => timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)),
    ]);
    clearTimeout(timer);
    this.#room.close();
    await this.ready.catch(() => {});
    await this.#presence.close();
    await this.#backplane?.close();
    const open = this.#admission.open;
    for (const session of [...this.#admission.connections()]) {
      session.close({ text: "server shutting down", level: "debug" });
    }
    await doorsClosed;
    this.#ended();
    await this.finished;
    await this.#metrics?.close(); // /healthz said 503 until now
    const { connections, messages, deliveries } = this.stats;
    this.#logger.info(
      `shut down: closed ${counted(open, "connection")}; ${connections} served, ` +
        `${counted(messages, "message")} relayed, ${counted(deliveries, "delivery")}`,
    );
    this.#logger.close();
  }

  // Accepts a message on this node: into the room at once, or through the backplane.
  #publish(sender: Uint8Array, text: Uint8Array, id?: string): void {
    const backplane = this.#backplane;
    if (backplane === undefined) this.#room.publish(sender, text);
    else backplane.publish(encodeRelayFrame(Math.floor(Date.now() / 1000), sender, text), id);
  }

  #openWebDoor(web: WebOptions, tls: { cert: string; key: string } | undefined): Door {
    const options = this.#options;
    const handler = createWebGateway({
      open: (link, origin) => this.#admit(link, origin),
      allowedOrigins: web.allowedOrigins ?? [],
      behindTlsProxy: web.plain === true,
      maxUsernameSize: options.maxUsernameSize,
      maxMessageSize: options.maxMessageSize,
    });
    const secure = tls !== undefined && web.plain !== true;
    const server = Deno.serve({
      hostname: web.hostname ?? "0.0.0.0",
      port: web.port,
      ...(secure ? { cert: tls.cert, key: tls.key } : {}),
      onListen: () => {},
      onError: () => new Response("Internal error", { status: 500 }),
    }, handler);
    const addr = server.addr as Deno.NetAddr;
    const scheme = secure ? "https" : "http";
    this.#logger.info(`web page on ${scheme}://${formatHostPort(addr.hostname, addr.port)}/`);
    return {
      name: "web",
      addr,
      async close() {
        await server.shutdown();
      },
    };
  }

  // Admits a connection from any door, or says why not (the door closes it).
  #admit(link: Link, origin: LinkOrigin): string | undefined {
    this.#connections++;
    // Keys only matter with a per-address limit; without one, none is worked out.
    const key = this.#options.maxConnectionsPerIp > 0 ? addressKey(origin.hostname) : "";
    const session = new Session(link, origin, key, this.#host);
    const refusal = this.#shutdown !== undefined
      ? "shutting down"
      : this.#admission.admit(session, session.connectedAt);
    if (refusal !== undefined) {
      this.#refusedBy[refusal]++;
      const text = this.#refusalText(refusal);
      this.#logger.repeated("refused", "warn", `${origin.peer} refused: ${text}`);
      return text;
    }
    if (this.#loginTimer === undefined) this.#armLoginTimer();
    if (this.#logger.enabled("info")) {
      const door = origin.door === "tcp" ? "" : ` over ${origin.door}`;
      this.#logger.info(`${origin.peer} connected${door} (${this.#admission.open} open)`);
    }
    this.#running++;
    session.run();
    return undefined;
  }

  #refusalText(reason: Refusal): string {
    const options = this.#options;
    switch (reason) {
      case "server full":
        return `server full (${options.maxClients} clients)`;
      case "too many pending logins":
        return `too many pending logins (${options.maxPendingLogins})`;
      case "too many from address":
        return `too many connections from this address (${options.maxConnectionsPerIp})`;
      default:
        return reason;
    }
  }

  #armLoginTimer(): void {
    for (const oldest of this.#admission.pendingLogins()) {
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
    for (const pending of this.#admission.pendingLogins()) {
      if (pending.connectedAt > deadline) break;
      pending.close({ text: "login timeout", level: "warn", cause: "login timeout" });
    }
    this.#armLoginTimer();
  }

  #ended(): void {
    if (--this.#running === 0) this.#allEnded?.();
  }

  #sessionHost(): SessionHost {
    const options = this.#options;
    const logger = this.#logger;
    const room = this.#room;
    const logTexts = logger.enabled("debug"); // decided once, not per message
    const presence = this.#presence;
    return {
      limits: { maxUsernameSize: options.maxUsernameSize, maxMessageSize: options.maxMessageSize },
      rate: { rate: options.maxMessageRate, burst: options.maxMessageBurst },
      room,
      traffic: this.#traffic,
      refuseLogin: (username) => {
        const refuse = (text: string | undefined) =>
          text === undefined ? undefined : { text, frame: presence.refusal(text) };
        const text = presence.claim(username);
        return text instanceof Promise ? text.then(refuse) : refuse(text);
      },
      loginAbandoned: (username) => presence.unclaim(username),
      loggedIn: (session) => {
        this.#admission.loggedIn(session);
        presence.joined(session);
        if (logger.enabled("info")) {
          logger.info(
            `${session.peer} logged in as ${quote(session.username!)} (${room.size} in the room)`,
          );
        }
      },
      received: (session, sender, text) => {
        if (this.#shutdown !== undefined) return;
        if (isWho(text)) {
          room.tell(session, presence.who()); // to the sender alone, never relayed
          return;
        }
        this.#publish(sender, text);
        if (logTexts) {
          logger.debug(
            `${session.peer} ${quote(session.username!)} says ${
              quote(new TextDecoder().decode(text))
            }`,
          );
        }
      },
      closed: (session, reason: DisconnectReason) => {
        this.#admission.closed(session);
        room.leave(session);
        if (session.username !== undefined) {
          presence.left(session, reason.cause, this.#shutdown !== undefined);
        }
        if (reason.cause === "evicted") this.#evicted++;
        if (reason.cause === "name taken") this.#refusedBy["name taken"]++;
        if (logger.enabled(reason.level)) {
          const who = session.username === undefined ? "" : ` ${quote(session.username)}`;
          logger[reason.level](`${session.peer}${who} disconnected: ${reason.text}`);
        }
      },
      ended: () => this.#ended(),
      readBuffer: (delta) => this.#readBufferBytes += delta,
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

function closeQuietly(link: Link): void {
  try {
    link.close();
  } catch {
    // Already closed.
  }
}
