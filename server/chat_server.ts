/**
 * The chat server, composed: options, then the room and its backplane, the hub,
 * the doors, the cluster, and the shutdown. Each part lives in its own folder:
 * `doors/`, `session/`, `room/`, `cluster/`, `ops/`.
 *
 * @module
 */

import { openTcpDoor } from "./doors/tcp_door.ts";
import { closeQuietly, type Door, isRefusal } from "./doors/door.ts";
import { openTlsDoor, type TlsDoor } from "./doors/tls_door.ts";
import { openWebDoor, type WebDoor } from "./doors/web_door.ts";
import { formatHostPort } from "../cli/host_port.ts";
import { Hub } from "./hub.ts";
import { stderrLogSink } from "./ops/log_sink.ts";
import { counted, Logger } from "./ops/logger.ts";
import { statsLine } from "./ops/metrics.ts";
import { openMetricsDoor } from "./doors/metrics_door.ts";
import { DEFAULT_HEADER_TIMEOUT_MS } from "./doors/http_door.ts";
import { Presence } from "./ops/presence.ts";
import {
  type NatsOptions,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  type WebOptions,
} from "./options.ts";
import type { Backplane } from "./cluster/backplane.ts";
import { LocalBackplane } from "./cluster/local_backplane.ts";
import { Room } from "./room/room.ts";
import type { Link, LinkOrigin } from "./session/link.ts";
import type { ServerStats } from "./stats.ts";
import { DataStore } from "./store/data_store.ts";
import type { ClusterAccounts } from "./cluster/join.ts";
import { HistoryWriter } from "./store/history_writer.ts";
import { StoredBackplane } from "./cluster/stored_backplane.ts";
import { encodeString } from "../protocol/encode.ts";
import { isWellFormedUtf8, utf8ByteLength } from "../protocol/utf8.ts";

export type { Refusal, ServerStats } from "./stats.ts";

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
  readonly #hub: Hub;
  readonly #presence: Presence;
  readonly #stderrLog: boolean;
  readonly #store: DataStore | undefined;
  #clusterAccounts: ClusterAccounts | undefined;
  #backplane: Backplane;
  #backplaneUp = true;
  #tls: TlsDoor | undefined;
  #web: WebDoor | undefined;
  #metrics: Door | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #shutdown: Promise<void> | undefined;
  #finish: () => void = () => {};

  /**
   * Starts listening. Prefer {@linkcode serve}, which does the same.
   *
   * @param options Where to listen, the limits, and the logging.
   * @throws {RangeError} When an option is out of range.
   * @throws {Deno.errors.AddrInUse} When the port is taken.
   * @throws {DataStoreError} When the `data` folder or its file cannot be used.
   */
  constructor(options: ServerOptions = {}) {
    const resolved = this.#options = resolveServerOptions(options);
    this.#logger = new Logger(resolved.logLevel, resolved.log);
    this.#stderrLog = options.log === undefined;
    const room = this.#room = new Room({
      maxLag: resolved.maxQueueBytes,
      history: resolved.history,
      onPressure: (on) => on ? this.#backplane.pause() : this.#backplane.resume(),
    });
    const store = this.#store = resolved.data === undefined
      ? undefined
      : new DataStore(resolved.data);
    this.#backplane = this.#localBackplane(room, resolved, store);
    this.#presence = new Presence(
      room,
      { announce: resolved.presence, uniqueNames: resolved.uniqueNames },
      (sender, text, id) => this.#backplane.publish(sender, text, id),
    );
    const hub = this.#hub = new Hub(
      resolved,
      this.#logger,
      room,
      this.#presence,
      () => this.#backplane,
      resolved.nats === undefined ? store : {
        // In a cluster, accounts live in its bucket; nobody logs in before it is open.
        account: (name) =>
          this.#clusterAccounts === undefined
            ? Promise.reject(new Error("the cluster's accounts bucket is not open"))
            : this.#clusterAccounts.account(name),
      },
    );
    const addrs: { -readonly [door in keyof ServerAddrs]: ServerAddrs[door] } = {};
    const headerTimeoutMs = headerTimeout(resolved);
    try {
      // The doors: one line each.
      if (!resolved.tlsOnly) {
        addrs.tcp = this.#opened(openTcpDoor(resolved, hub)).addr;
      }
      if (resolved.tls !== undefined) {
        const { cert, key, port } = resolved.tls;
        this.#tls = openTlsDoor({ hostname: resolved.hostname, port, cert, key }, hub);
        addrs.tls = this.#opened(this.#tls).addr;
      }
      if (resolved.web !== undefined) {
        addrs.web = this.#opened(this.#openWebDoor(resolved.web, resolved.tls)).addr;
      }
      if (resolved.metrics !== undefined) {
        this.#metrics = openMetricsDoor({ ...resolved.metrics, headerTimeoutMs }, hub, this);
        addrs.metrics = this.#metrics.addr;
      }
    } catch (error) {
      for (const door of this.#doors) door.close();
      store?.close();
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
    this.#finish = resolve;
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

  /** Counters of the server's activity. */
  get stats(): ServerStats {
    const counters = this.#hub.counters;
    const refusedBy = { ...counters.refusedBy };
    const room = this.#room;
    return {
      connections: counters.connections,
      clients: this.#hub.open,
      loggedIn: room.size,
      pendingLogins: this.#hub.pending,
      refused: Object.values(refusedBy).reduce((sum, count) => sum + count, 0),
      refusedBy,
      evicted: counters.evicted,
      messages: room.messages,
      deliveries: room.deliveries,
      slowConsumerDrops: room.slowConsumerDrops,
      pressurePauses: room.pressurePauses,
      logBytes: room.log.heldBytes,
      historySize: room.historySize,
      readBufferBytes: counters.readBufferBytes,
      bytesIn: counters.traffic.bytesIn,
      bytesOut: counters.traffic.bytesOut,
      logQueueBytes: this.#stderrLog ? stderrLogSink().heldBytes : 0,
      backplaneConnected: this.#backplaneUp,
      backplaneRefused: counters.backplaneRefused,
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
   * Replaces the certificate of the TLS door, and of the web door when it
   * serves HTTPS (certificate rotation): connections already accepted keep
   * theirs, new ones get the new one; no door stops listening.
   *
   * @param cert The new certificate chain, PEM.
   * @param key Its private key, PEM.
   * @returns A promise that resolves once new connections get the new pair.
   * @throws {Error} With a one-line message when the pair is not usable (the door
   * keeps the old one), or when the server has no TLS door.
   */
  reloadTls(cert: string, key: string): Promise<void> {
    if (this.#tls === undefined) return Promise.reject(new Error("The server has no TLS door"));
    const web = this.#web?.secure === true ? this.#web : undefined;
    return this.#tls.reload(cert, key).then(() => web?.reload(cert, key));
  }

  /** Shuts the server down: `await using server = serve(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // One process: the room at once; with `data` and `history`, the history read
  // back from the store and every message written to it in batches.
  #localBackplane(room: Room, options: ResolvedServerOptions, store?: DataStore): Backplane {
    if (store === undefined || options.history === 0 || options.nats !== undefined) {
      return new LocalBackplane(room);
    }
    const names = new Map<string, Uint8Array>();
    let skipped = 0;
    for (const { timestamp, username, text } of store.history(options.history)) {
      // The file is checked like anything read from outside: sizes, UTF-8, the clock.
      if (
        text.length > options.maxMessageSize || !isWellFormedUtf8(text) || username === "" ||
        utf8ByteLength(username) > options.maxUsernameSize || !Number.isSafeInteger(timestamp) ||
        timestamp < 0
      ) {
        skipped++;
        continue;
      }
      let name = names.get(username);
      if (name === undefined) names.set(username, name = encodeString(username));
      room.publish(name, text, timestamp);
    }
    if (skipped > 0) this.#logger.warn(`history: ${skipped} stored messages skipped as invalid`);
    const writer = new HistoryWriter(store, options.history, {
      failed: (line) => this.#logger.repeated("history", "error", line),
    });
    return new StoredBackplane(room, writer);
  }

  #opened(door: Door): Door {
    this.#doors.push(door);
    return door;
  }

  async #joinCluster(nats: NatsOptions): Promise<void> {
    const room = this.#room;
    // Nobody reads from senders until the backplane can take their messages, and
    // nobody logs in before this node has joined: a user let in before would be in
    // a room cut off from the others.
    room.gate.close("backplane");
    this.#hub.opening.close("joining");
    this.#backplaneUp = false;
    const { joinCluster } = await import("./cluster/join.ts");
    const cluster = await joinCluster({
      nats,
      history: this.#options.history,
      uniqueNames: this.#options.uniqueNames,
      sink: {
        deliver: (frame, from) => room.deliver(frame, from?.mayWait),
        congested: (on) => on ? room.gate.close("backplane") : room.gate.open("backplane"),
        connected: (up) => this.#backplaneUp = up,
      },
      limits: this.#options,
      rejected: () => this.#hub.counters.backplaneRefused++,
      gone: (node, member) => this.#presence.gone(node, member),
      lost: (key) => this.#presence.lost(key),
      closing: () => this.#shutdown !== undefined,
      log: (level, line) => this.#logger[level](line),
    });
    this.#backplane = cluster.backplane;
    this.#presence.join(cluster.roster);
    await cluster.roster;
    this.#clusterAccounts = await cluster.accounts;
    this.#backplaneUp = true;
    room.gate.open("backplane");
    this.#hub.opening.open("joining");
  }

  async #stop(): Promise<void> {
    const doorsClosed = Promise.all(this.#doors.map((door) => door.close()));
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
    this.#clusterAccounts?.close();
    await this.#backplane.close();
    this.#store?.close();
    const open = this.#hub.open;
    await this.#hub.close();
    await doorsClosed;
    this.#finish();
    await this.#metrics?.close(); // /healthz said 503 until now
    const { connections, messages, deliveries } = this.stats;
    this.#logger.info(
      `shut down: closed ${counted(open, "connection")}; ${connections} served, ` +
        `${counted(messages, "message")} relayed, ${counted(deliveries, "delivery")}`,
    );
    this.#logger.close();
  }

  // Hands a connection from a door that has no DoorHost of its own yet to the hub.
  #handOver(link: Link, origin: LinkOrigin): string | undefined {
    const admitted = this.#hub.admit(origin, () => closeQuietly(link));
    if (isRefusal(admitted)) return admitted.refused;
    admitted.open(link);
    return undefined;
  }

  #openWebDoor(web: WebOptions, tls: { cert: string; key: string } | undefined): Door {
    const options = this.#options;
    return this.#web = openWebDoor({
      hostname: web.hostname ?? "0.0.0.0",
      port: web.port,
      tls: web.plain === true ? undefined : tls,
      allowedOrigins: web.allowedOrigins ?? [],
      hosts: web.hosts ?? [],
      behindTlsProxy: web.plain === true,
      maxUsernameSize: options.maxUsernameSize,
      maxMessageSize: options.maxMessageSize,
      ...(options.nats?.room === undefined ? {} : { room: options.nats.room }),
      headerTimeoutMs: headerTimeout(options),
    }, this.#hub);
  }
}

// An HTTP connection's header deadline: never past the login deadline.
function headerTimeout(options: ResolvedServerOptions): number {
  return Math.min(DEFAULT_HEADER_TIMEOUT_MS, options.loginTimeout);
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
