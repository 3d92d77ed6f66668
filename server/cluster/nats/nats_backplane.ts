/**
 * The NATS JetStream backplane: the room's messages go through one JetStream stream,
 * so every node relays the same frames in the same order.
 *
 * Each frame accepted by this node is published once to the subject
 * `wirechat.<room>.msg` of the stream `WIRECHAT_<room>`, with a message id made of a
 * random node id and a counter, so that a retry after an outage is de-duplicated by
 * JetStream. Every node reads the stream through an ordered consumer and delivers
 * each stream message to its room once, in stream order, resuming after the last
 * stream sequence it delivered when NATS comes back.
 *
 * The server imports this module only for `--nats`, so a single node loads no
 * dependency. Requires `--allow-net` to the NATS servers.
 *
 * @module
 */

import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import {
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { type Backplane, type BackplaneSink, encodeRelayFrame } from "../backplane.ts";
import type { LogLevel } from "../../options.ts";
import { oneLineMessage } from "../../../cli/error_message.ts";

/** The stream never holds fewer messages than this, whatever the histories in use. */
export const MIN_STREAM_MESSAGES = 10_000;

/** How long JetStream remembers message ids to drop a republished message, at most. */
const DUPLICATE_WINDOW_MS = 120_000;
/** Pause between two tries to connect at start, and between two tries to publish. */
const RETRY_DELAY_MS = 250;
/** How long a publish or a JetStream API call waits for its answer before it is tried again. */
const PUBLISH_TIMEOUT_MS = 2_000;
/** Frames sent before their acknowledgements are awaited. */
const PUBLISH_BATCH = 256;
/** Messages one pull of the consumer asks for. */
const PULL_BATCH = 256;

// The NATS client for Node, run on Deno's node:net, can let a socket's late "error"
// event (ECONNRESET after nats-server refused or dropped the connection) escape as an
// uncaught exception, which would end the server. Nothing else in wirechat uses
// node:net, so a stray socket error of these kinds is the NATS client's own: it is
// logged, and the client's reconnection (or the start's retries) goes on.
const STRAY_SOCKET_ERRORS = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"]);
let strayErrorLog: ((level: LogLevel, line: string) => void) | undefined;
let strayErrorsGuarded = false;

function guardStraySocketErrors(log: (level: LogLevel, line: string) => void): void {
  strayErrorLog = log;
  if (strayErrorsGuarded) return;
  strayErrorsGuarded = true;
  globalThis.addEventListener("error", (event) => {
    const code = (event.error as { code?: unknown } | null | undefined)?.code;
    if (typeof code !== "string" || !STRAY_SOCKET_ERRORS.has(code)) return;
    event.preventDefault();
    strayErrorLog?.("warn", `NATS connection error: ${code}`);
  });
}

/** Options of {@linkcode NatsBackplane}. */
export interface NatsBackplaneOptions {
  /**
   * NATS server URLs, e.g. `nats://127.0.0.1:4222`. Credentials go in the URL as
   * NATS clients take them: `nats://user:password@host:port` or `nats://token@host:port`.
   */
  servers: readonly string[];
  /**
   * The chat's name: letters, digits, `-` and `_`. Nodes with the same NATS and room
   * are one chat.
   *
   * @default {"wirechat"}
   */
  room?: string;
  /**
   * How many of the last frames {@linkcode NatsBackplane.start} delivers before it
   * resolves. The stream keeps at least the largest history of the nodes using it.
   *
   * @default {0}
   */
  history?: number;
  /**
   * The age in seconds past which the stream drops a message. When nodes disagree,
   * the stream keeps the longest.
   *
   * @default {86400}
   */
  maxAgeSeconds?: number;
  /**
   * Frames held unpublished (NATS lost or slow) before the sink is told it is
   * congested; it is told it is not once they fall to half of this.
   *
   * @default {10000}
   */
  maxPending?: number;
  /**
   * How long {@linkcode NatsBackplane.start} tries to reach NATS, in milliseconds,
   * before it rejects.
   *
   * @default {5000}
   */
  connectTimeoutMs?: number;
  /**
   * How long {@linkcode NatsBackplane.close} tries to publish the frames it holds, in
   * milliseconds, before it disconnects anyway.
   *
   * @default {1000}
   */
  closeTimeoutMs?: number;
  /**
   * Receives one line per event (connection tries, loss, recovery), without
   * credentials.
   *
   * @default {() => {}}
   */
  log?: (level: LogLevel, line: string) => void;
}

interface Pending {
  readonly frame: Uint8Array;
  readonly id: string;
}

/**
 * A {@linkcode Backplane} over a NATS JetStream stream, for a room served by several
 * nodes.
 *
 * @example Two nodes as one room
 * ```ts ignore
 * import { NatsBackplane } from "./nats_backplane.ts";
 *
 * const backplane = new NatsBackplane({ servers: ["nats://127.0.0.1:4222"], history: 50 });
 * await backplane.start({
 *   deliver: (frame) => console.log(frame.length),
 *   congested: (on) => console.log("congested", on),
 *   connected: (up) => console.log("connected", up),
 * });
 * backplane.publishFrame(new Uint8Array(16));
 * await backplane.close();
 * ```
 */
export class NatsBackplane implements Backplane {
  readonly #servers: string[];
  readonly #address: string;
  readonly #credentials: { user?: string; pass?: string; token?: string };
  readonly #room: string;
  readonly #history: number;
  readonly #maxAgeSeconds: number;
  readonly #maxPending: number;
  readonly #connectTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #log: (level: LogLevel, line: string) => void;
  readonly #nodeId = crypto.randomUUID().slice(0, 13);

  #sink: BackplaneSink | undefined;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #connected = false;
  #closing = false;
  #closed = false;

  // Frames to publish, oldest first, from index #head on.
  #pending: Pending[] = [];
  #head = 0;
  #counter = 0;
  #congested = false;
  #pumping: Promise<void> | undefined;
  #publishFailing = false;
  #lastAckSeq = 0;
  #reordered = false;

  // The stream sequence of the last frame delivered to the sink.
  #lastSeq = 0;
  #paused = false;
  #generation = 0;
  #messages: ConsumerMessages | undefined;
  #consuming: Promise<void> | undefined;
  #statusLoop: Promise<void> | undefined;
  #historyTarget = 0;
  #historyDone: (() => void) | undefined;
  #reading: (() => void) | undefined;

  // Timers of pending delays, cleared by close.
  #wakeups = new Set<() => void>();

  /**
   * @param options Where NATS is, the room, history, limits and log.
   * @throws {TypeError} When no server is given.
   * @throws {RangeError} When the room name or a number is out of range.
   */
  constructor(options: NatsBackplaneOptions) {
    if (options.servers.length === 0) throw new TypeError("Invalid servers: none given");
    const parsed = parseServers(options.servers);
    this.#servers = parsed.servers;
    this.#address = parsed.servers.join(",");
    this.#credentials = parsed.credentials;
    const room = options.room ?? "wirechat";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) {
      throw new RangeError(
        `Invalid room: "${room}" must be 1 to 64 letters, digits, "-" or "_"`,
      );
    }
    this.#room = room;
    this.#history = integer("history", options.history ?? 0, 0);
    this.#maxAgeSeconds = integer("maxAgeSeconds", options.maxAgeSeconds ?? 86_400, 1);
    this.#maxPending = integer("maxPending", options.maxPending ?? 10_000, 1);
    this.#connectTimeoutMs = integer("connectTimeoutMs", options.connectTimeoutMs ?? 5_000, 0);
    this.#closeTimeoutMs = integer("closeTimeoutMs", options.closeTimeoutMs ?? 1_000, 0);
    this.#log = options.log ?? (() => {});
  }

  /** The JetStream stream of the room: `WIRECHAT_<room>`. */
  get stream(): string {
    return `WIRECHAT_${this.#room}`;
  }

  /** The subject frames are published to: `wirechat.<room>.msg`. */
  get subject(): string {
    return `wirechat.${this.#room}.msg`;
  }

  /** Frames accepted by {@linkcode publish} and not yet acknowledged by JetStream. */
  get pending(): number {
    return this.#pending.length - this.#head;
  }

  /**
   * Connects (trying again for `connectTimeoutMs`), creates or updates the stream,
   * and delivers the last `history` frames to the sink before it resolves.
   *
   * @param sink The room.
   * @returns Once live frames flow.
   * @throws {Error} A one-line error naming the NATS address when NATS cannot be
   * reached or the stream cannot be set up.
   */
  async start(sink: BackplaneSink): Promise<void> {
    if (this.#sink !== undefined) throw new TypeError("Cannot start: already started");
    this.#sink = sink;
    guardStraySocketErrors(this.#log);
    const nc = await this.#connect();
    this.#nc = nc;
    this.#connected = true;
    let lastSeq: number;
    let messages: number;
    try {
      const jsm = await jetstreamManager(nc, { timeout: PUBLISH_TIMEOUT_MS });
      ({ lastSeq, messages } = await this.#ensureStream(jsm));
      this.#js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
    } catch (error) {
      await nc.close().catch(() => {});
      this.#closed = true;
      throw new Error(
        `Cannot set up the JetStream stream "${this.stream}" at ${this.#address}: ${
          oneLineMessage(error)
        }`,
      );
    }
    this.#statusLoop = this.#watchStatus(nc);
    this.#lastSeq = this.#history > 0 && messages > 0
      ? Math.max(0, lastSeq - this.#history)
      : lastSeq;
    const historyDone = new Promise<void>((resolve) => {
      if (this.#lastSeq >= lastSeq) return resolve();
      this.#historyTarget = lastSeq;
      this.#historyDone = resolve;
    });
    const from = this.#lastSeq + 1;
    const reading = new Promise<void>((resolve) => this.#reading = resolve);
    this.#restartConsumer();
    await Promise.all([reading, historyDone]);
    this.#log(
      "info",
      `NATS backplane connected to ${this.#address}, stream ${this.stream}, from sequence ${from}`,
    );
    this.#pump();
  }

  /**
   * The NATS connection while the backplane runs (for the cluster's presence, which
   * shares it), `undefined` before {@linkcode start} resolves.
   */
  get connection(): NatsConnection | undefined {
    return this.#closed ? undefined : this.#nc;
  }

  /**
   * Queues a message for publishing, stamped now; it reaches the sink through the
   * stream.
   *
   * @param sender The sender's user name as an encoded string field.
   * @param text The message's bytes.
   * @param id The JetStream message id; frames with one id are stored once (within
   * two minutes, at most the stream's age limit). Without it, a fresh one.
   */
  publish(sender: Uint8Array, text: Uint8Array, id?: string): void {
    this.publishFrame(encodeRelayFrame(Math.floor(Date.now() / 1000), sender, text), id);
  }

  /**
   * Queues an encoded frame for publishing.
   *
   * @param frame The encoded frame, kept until acknowledged.
   * @param id The JetStream message id, as for {@linkcode publish}.
   */
  publishFrame(frame: Uint8Array, id?: string): void {
    if (this.#closed) {
      this.#log("warn", "NATS backplane closed: a message was not published");
      return;
    }
    this.#pending.push({ frame, id: id ?? `${this.#nodeId}-${++this.#counter}` });
    if (!this.#congested && this.pending >= this.#maxPending) {
      this.#congested = true;
      this.#log("warn", `NATS backplane holds ${this.pending} unpublished messages: congested`);
      this.#sink?.congested(true);
    }
    this.#pump();
  }

  /** Stops pulling from the stream until {@linkcode resume}; no frame is delivered. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#stopConsumer();
  }

  /** Pulls and delivers again, from the frame after the last one delivered. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#js !== undefined && !this.#closing) this.#restartConsumer();
  }

  /**
   * Publishes the frames it holds for at most `closeTimeoutMs`, then stops delivering
   * and closes the connection.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#pumping !== undefined) {
      await Promise.race([this.#pumping, this.#delay(this.#closeTimeoutMs)]);
    }
    this.#closed = true;
    if (this.pending > 0) {
      this.#log("warn", `NATS backplane closed with ${this.pending} messages unpublished`);
    }
    this.#stopConsumer();
    for (const wake of this.#wakeups) wake();
    await this.#nc?.close().catch(() => {});
    // A JetStream call in flight may wait for its timeout: bound the wait, never hang.
    await Promise.race([
      Promise.all([this.#pumping, this.#consuming, this.#statusLoop]),
      this.#delay(PUBLISH_TIMEOUT_MS),
    ]);
    for (const wake of this.#wakeups) wake();
    this.#historyDone?.();
    this.#reading?.();
  }

  async #connect(): Promise<NatsConnection> {
    const deadline = Date.now() + this.#connectTimeoutMs;
    for (let attempt = 1;; attempt++) {
      try {
        return await connect({
          servers: this.#servers,
          ...this.#credentials,
          name: `wirechat ${this.#room} ${this.#nodeId}`,
          timeout: Math.max(500, Math.min(2_000, deadline - Date.now())),
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: RETRY_DELAY_MS,
          reconnectJitter: 50,
          pingInterval: 10_000,
        });
      } catch (error) {
        const reason = oneLineMessage(error);
        if (Date.now() + RETRY_DELAY_MS >= deadline) {
          this.#log("error", `NATS at ${this.#address} unreachable (try ${attempt}): ${reason}`);
          throw new Error(`Cannot connect to NATS at ${this.#address}: ${reason}`);
        }
        this.#log("warn", `NATS at ${this.#address} unreachable (try ${attempt}): ${reason}`);
        await this.#delay(RETRY_DELAY_MS);
      }
    }
  }

  // Creates the stream or widens its limits to this node's needs, never narrowing
  // what another node asked for; two nodes starting at once both end here.
  async #ensureStream(jsm: JetStreamManager): Promise<{ lastSeq: number; messages: number }> {
    const maxMsgs = Math.max(this.#history, MIN_STREAM_MESSAGES);
    const maxAge = nanos(this.#maxAgeSeconds * 1000);
    for (let attempt = 1;; attempt++) {
      try {
        let info;
        try {
          info = await jsm.streams.info(this.stream);
        } catch (error) {
          if (!isNotFound(error)) throw error;
          info = await jsm.streams.add({
            name: this.stream,
            subjects: [this.subject],
            storage: StorageType.File,
            retention: RetentionPolicy.Limits,
            discard: DiscardPolicy.Old,
            max_msgs: maxMsgs,
            max_age: maxAge,
            duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_MS, this.#maxAgeSeconds * 1000)),
          });
          this.#log("info", `NATS stream ${this.stream} created`);
        }
        const config: StreamConfig = info.config;
        const wanted = {
          max_msgs: config.max_msgs < 0 ? config.max_msgs : Math.max(config.max_msgs, maxMsgs),
          max_age: config.max_age === 0 ? 0 : Math.max(config.max_age, maxAge),
        };
        if (wanted.max_msgs !== config.max_msgs || wanted.max_age !== config.max_age) {
          info = await jsm.streams.update(this.stream, { ...config, ...wanted });
          this.#log(
            "info",
            `NATS stream ${this.stream} limits raised to ${wanted.max_msgs} messages, ${
              wanted.max_age / 1e9
            } s`,
          );
        }
        return { lastSeq: info.state.last_seq, messages: info.state.messages };
      } catch (error) {
        // Another node created or updated the stream between our calls: look again.
        if (attempt >= 3) throw error;
      }
    }
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.#closed) continue;
      if (status.type === "disconnect") {
        if (!this.#connected) continue;
        this.#connected = false;
        this.#log("warn", `NATS connection to ${this.#address} lost; reconnecting`);
        this.#sink?.connected(false);
      } else if (status.type === "reconnect") {
        if (this.#connected) continue;
        this.#connected = true;
        this.#log("info", `NATS connection to ${this.#address} back`);
        this.#sink?.connected(true);
        // The server's ephemeral consumer may be gone: read on from our own cursor.
        if (!this.#paused && !this.#closing) this.#restartConsumer();
        for (const wake of this.#wakeups) wake();
      }
    }
  }

  #pump(): void {
    if (this.#pumping !== undefined || this.#js === undefined || this.pending === 0) return;
    this.#pumping = this.#publishAll(this.#js).finally(() => {
      this.#pumping = undefined;
      if (!this.#closed) this.#pump();
    });
  }

  // Publishes in batches of up to PUBLISH_BATCH frames, all sent before the first
  // acknowledgement is awaited; the next batch starts at the first frame not
  // acknowledged, so a retry goes out in order, and the message id makes a retry of
  // a stored frame harmless. Only a frame lost while a later one of the same batch
  // was stored (a connection dying mid-batch) could land out of order: that is
  // detected from the stream sequences and logged.
  async #publishAll(js: JetStreamClient): Promise<void> {
    while (this.pending > 0 && !this.#closed) {
      if (!this.#connected) {
        // The client would buffer the requests and time them out: wait for NATS.
        await this.#delay(PUBLISH_TIMEOUT_MS);
        continue;
      }
      const batch = this.#pending.slice(this.#head, this.#head + PUBLISH_BATCH);
      const results = await Promise.allSettled(
        batch.map((next) =>
          js.publish(this.subject, next.frame, { msgID: next.id, timeout: PUBLISH_TIMEOUT_MS })
        ),
      );
      if (this.#closed) return;
      let stored = 0;
      let failure: unknown;
      for (const result of results) {
        if (result.status === "rejected") {
          failure = result.reason;
          break;
        }
        if (result.value.seq < this.#lastAckSeq && !this.#reordered) {
          this.#reordered = true;
          this.#log("warn", "NATS outage put some of this node's messages out of their order");
        }
        this.#lastAckSeq = result.value.seq;
        stored++;
      }
      this.#acknowledged(stored);
      if (failure === undefined) {
        if (this.#publishFailing) {
          this.#publishFailing = false;
          this.#log("info", `NATS publish works again, ${this.pending} messages held`);
        }
        continue;
      }
      if (!this.#publishFailing) {
        this.#publishFailing = true;
        this.#log(
          "warn",
          `NATS publish failed, ${this.pending} messages held: ${oneLineMessage(failure)}`,
        );
      }
      await this.#delay(RETRY_DELAY_MS);
    }
  }

  // Drops the first `count` pending frames, published.
  #acknowledged(count: number): void {
    this.#pending.fill(undefined as unknown as Pending, this.#head, this.#head + count);
    this.#head += count;
    if (this.#head >= 1024 && this.#head * 2 >= this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    if (this.#congested && this.pending <= this.#maxPending >> 1) {
      this.#congested = false;
      this.#log("info", `NATS backplane holds ${this.pending} unpublished messages: flowing`);
      this.#sink?.congested(false);
    }
  }

  #stopConsumer(): void {
    this.#generation++;
    const messages = this.#messages;
    this.#messages = undefined;
    messages?.stop();
  }

  #restartConsumer(): void {
    this.#stopConsumer();
    const generation = this.#generation;
    const previous = this.#consuming ?? Promise.resolve();
    const next: Promise<void> = previous.then(() => this.#consume(generation));
    this.#consuming = next;
    next.finally(() => {
      if (this.#consuming === next) this.#consuming = undefined;
    });
  }

  #current(generation: number): boolean {
    return generation === this.#generation && !this.#closed;
  }

  // Reads the stream from the frame after the last delivered one, through an ordered
  // consumer, until a newer generation replaces it (pause, reconnection, close).
  async #consume(generation: number): Promise<void> {
    let failing = false;
    while (this.#current(generation)) {
      let messages: ConsumerMessages;
      try {
        const consumer = await this.#js!.consumers.get(this.stream, {
          filter_subjects: this.subject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.#lastSeq + 1,
        });
        if (!this.#current(generation)) return;
        messages = await consumer.consume({ max_messages: PULL_BATCH });
      } catch (error) {
        if (!this.#current(generation)) return;
        if (!failing) {
          failing = true;
          this.#log(
            "warn",
            `NATS stream ${this.stream} cannot be read yet: ${oneLineMessage(error)}`,
          );
        }
        await this.#delay(RETRY_DELAY_MS);
        continue;
      }
      if (!this.#current(generation)) {
        messages.stop();
        return;
      }
      this.#messages = messages;
      this.#reading?.();
      this.#reading = undefined;
      try {
        for await (const message of messages) {
          if (!this.#current(generation)) break;
          if (message.seq <= this.#lastSeq) continue;
          this.#lastSeq = message.seq;
          try {
            this.#sink!.deliver(message.data);
          } catch (error) {
            this.#log(
              "error",
              `NATS backplane: the room refused a frame: ${oneLineMessage(error)}`,
            );
          }
          if (
            this.#historyDone !== undefined &&
            (message.seq >= this.#historyTarget || message.info.pending === 0)
          ) {
            this.#historyDone();
            this.#historyDone = undefined;
          }
        }
      } catch (error) {
        if (this.#current(generation)) {
          this.#log("warn", `NATS stream ${this.stream} read failed: ${oneLineMessage(error)}`);
        }
      }
      if (this.#messages === messages) this.#messages = undefined;
      messages.stop();
      if (this.#current(generation)) await this.#delay(RETRY_DELAY_MS);
    }
  }

  // Waits, or less when close or a reconnection wakes it.
  #delay(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, milliseconds);
      this.#wakeups.add(wake);
    });
  }
}

function integer(name: string, value: number, least: number): number {
  if (!Number.isSafeInteger(value) || value < least) {
    throw new RangeError(`Invalid ${name}: ${value} is not an integer of at least ${least}`);
  }
  return value;
}

// Takes credentials out of the URLs (the client wants them as options) and keeps
// addresses that can be logged.
function parseServers(urls: readonly string[]): {
  servers: string[];
  credentials: { user?: string; pass?: string; token?: string };
} {
  const servers: string[] = [];
  let credentials: { user?: string; pass?: string; token?: string } = {};
  for (const text of urls) {
    if (!text.includes("://")) {
      servers.push(text);
      continue;
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TypeError(`Invalid NATS URL: "${text.replace(/\/\/[^@/]*@/, "//***@")}"`);
    }
    if (url.username !== "" && Object.keys(credentials).length === 0) {
      const user = decodeURIComponent(url.username);
      credentials = url.password === ""
        ? { token: user }
        : { user, pass: decodeURIComponent(url.password) };
    }
    servers.push(`${url.protocol}//${url.host}`);
  }
  return { servers, credentials };
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message);
}
