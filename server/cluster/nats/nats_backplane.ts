/**
 * The NATS JetStream backplane: the room's messages go through one JetStream stream,
 * so every node relays the same frames in the same order.
 *
 * Each frame accepted by this node is published once to the subject
 * `wirechat.<room>.msg` of the stream `WIRECHAT_<room>`, alone or with the frames
 * that waited beside it (a stream message holds whole frames one after the other),
 * with a message id made of a random node id and a counter, so that a retry after
 * an outage is de-duplicated by JetStream (`nats_publisher.ts`). Every node reads the
 * stream through an ordered consumer and delivers each frame to its room once, in
 * stream order, resuming after the last stream message it delivered when NATS comes
 * back (`nats_reader.ts`).
 *
 * The server imports this module only for `--nats`, so a single node loads no
 * dependency. Requires `--allow-net` to the NATS servers.
 *
 * @module
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, jetstreamManager } from "@nats-io/jetstream";
import { type Backplane, type BackplaneSink, encodeRelayFrame } from "../backplane.ts";
import type { LogLevel } from "../../options.ts";
import { oneLineMessage } from "../../../cli/error_message.ts";
import {
  connectAuth,
  guardStraySocketErrors,
  integer,
  type NatsConnectAuth,
  noAuth,
  parseServers,
  REQUEST_TIMEOUT_MS,
  RETRY_DELAY_MS,
} from "./nats_connection.ts";
import { ensureStream, type NatsBackplaneOptions } from "./nats_stream.ts";
import { NatsPublisher } from "./nats_publisher.ts";
import { NatsReader } from "./nats_reader.ts";
import { OwnMessages } from "./own_messages.ts";
import { largestRelayFrame } from "../frame_check.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../../../protocol/limits.ts";

export { MIN_STREAM_MESSAGES, type NatsBackplaneOptions } from "./nats_stream.ts";

/** The largest frame under the server's default limits. */
const DEFAULT_FRAME_BYTES = largestRelayFrame({
  maxUsernameSize: DEFAULT_MAX_USERNAME_SIZE,
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
});

/**
 * A {@linkcode Backplane} over a NATS JetStream stream, for a room served by several
 * nodes.
 *
 * `cluster/join.ts` shows its use: `start(sink)`, then `publish` for each message
 * this node accepts, `close` at shutdown.
 */
export class NatsBackplane implements Backplane {
  readonly #servers: string[];
  readonly #address: string;
  readonly #credentials: { user?: string; pass?: string; token?: string };
  readonly #auth: NatsConnectAuth;
  readonly #room: string;
  readonly #history: number;
  readonly #maxAgeSeconds: number;
  readonly #maxFrameBytes: number;
  readonly #connectTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #log: (level: LogLevel, line: string) => void;
  readonly #nodeId = crypto.randomUUID().slice(0, 13);
  readonly #own = new OwnMessages(this.#nodeId);

  #sink: BackplaneSink | undefined;
  #nc: NatsConnection | undefined;
  #connected = false;
  #closing = false;
  #closed = false;
  #statusLoop: Promise<void> | undefined;

  readonly #publisher: NatsPublisher;
  #reader: NatsReader | undefined;

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
    this.#auth = connectAuth(options.auth, options.ca);
    const room = options.room ?? "wirechat";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) {
      throw new RangeError(
        `Invalid room: "${room}" must be 1 to 64 letters, digits, "-" or "_"`,
      );
    }
    this.#room = room;
    this.#history = integer("history", options.history ?? 0, 0);
    this.#maxAgeSeconds = integer("maxAgeSeconds", options.maxAgeSeconds ?? 86_400, 1);
    this.#maxFrameBytes = integer(
      "maxFrameBytes",
      options.maxFrameBytes ?? DEFAULT_FRAME_BYTES,
      16,
    );
    this.#connectTimeoutMs = integer("connectTimeoutMs", options.connectTimeoutMs ?? 5_000, 0);
    this.#closeTimeoutMs = integer("closeTimeoutMs", options.closeTimeoutMs ?? 1_000, 0);
    this.#log = options.log ?? (() => {});
    this.#publisher = new NatsPublisher({
      own: this.#own,
      maxPending: integer("maxPending", options.maxPending ?? 10_000, 1),
      log: this.#log,
      connected: () => this.#connected,
      closed: () => this.#closed,
      congested: (on) => this.#sink?.congested(on),
      delay: (milliseconds) => this.#delay(milliseconds),
    });
  }

  /** The JetStream stream of the room: `WIRECHAT_<room>`. */
  get stream(): string {
    return `WIRECHAT_${this.#room}`;
  }

  /** The subject frames are published to: `wirechat.<room>.msg`. */
  get subject(): string {
    return `wirechat.${this.#room}.msg`;
  }

  /**
   * The subject of the servers' own notices (from `*`): `wirechat.<room>.voice`.
   * A frame from `*` counts only from here, so only those who may publish here
   * (the nodes' NATS user) can speak as the server.
   */
  get voiceSubject(): string {
    return `wirechat.${this.#room}.voice`;
  }

  /** Frames accepted by {@linkcode publish} and not yet acknowledged by JetStream. */
  get pending(): number {
    return this.#publisher.pending;
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
    if (Object.keys(this.#credentials).length === 0 && noAuth(this.#auth)) {
      this.#log(
        "warn",
        `NATS at ${this.#address}: no authentication; anyone who can reach it can speak in ` +
          "the room as anyone (see docs/cluster.md)",
      );
    }
    const nc = await this.#connect();
    this.#nc = nc;
    this.#connected = true;
    let lastSeq: number;
    let messages: number;
    let js: JetStreamClient;
    try {
      const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS });
      ({ lastSeq, messages } = await ensureStream(jsm, {
        stream: this.stream,
        subjects: [this.subject, this.voiceSubject],
        history: this.#history,
        maxAgeSeconds: this.#maxAgeSeconds,
        maxFrameBytes: this.#maxFrameBytes,
        log: this.#log,
      }));
      js = jetstream(nc, { timeout: REQUEST_TIMEOUT_MS });
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
    this.#reader = new NatsReader({
      stream: this.stream,
      voiceSubject: this.voiceSubject,
      sink,
      own: this.#own,
      log: this.#log,
      closed: () => this.#closed,
      delay: (milliseconds) => this.#delay(milliseconds),
    }, this.#history);
    const from = await this.#reader.start(js, lastSeq, messages);
    this.#log(
      "info",
      `NATS backplane connected to ${this.#address}, stream ${this.stream}, from sequence ${from}`,
    );
    this.#publisher.start(js);
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
    const frame = encodeRelayFrame(Math.floor(Date.now() / 1000), sender, text);
    this.publishFrame(frame, id, isServerField(sender));
  }

  /**
   * Queues an encoded frame for publishing.
   *
   * @param frame The encoded frame, kept until acknowledged.
   * @param id The JetStream message id, as for {@linkcode publish}.
   * @param voice Whether it is the server's own notice (published to the voice subject).
   */
  publishFrame(frame: Uint8Array, id?: string, voice = false): void {
    if (this.#closed) {
      this.#log("warn", "NATS backplane closed: a message was not published");
      return;
    }
    this.#publisher.push(voice ? this.voiceSubject : this.subject, frame, id);
  }

  /** Stops pulling from the stream until {@linkcode resume}; no frame is delivered. */
  pause(): void {
    this.#reader?.pause();
  }

  /** Pulls and delivers again, from the frame after the last one delivered. */
  resume(): void {
    if (!this.#closing) this.#reader?.resume();
  }

  /**
   * Publishes the frames it holds for at most `closeTimeoutMs`, then stops delivering
   * and closes the connection.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const publishing = this.#publisher.flush();
    if (publishing !== undefined) {
      await Promise.race([publishing, this.#delay(this.#closeTimeoutMs)]);
    }
    this.#closed = true;
    if (this.pending > 0) {
      this.#log("warn", `NATS backplane closed with ${this.pending} messages unpublished`);
    }
    this.#reader?.stop();
    for (const wake of this.#wakeups) wake();
    await this.#nc?.close().catch(() => {});
    // A JetStream call in flight may wait for its timeout: bound the wait, never hang.
    await Promise.race([
      Promise.all([this.#publisher.publishing, this.#reader?.consuming, this.#statusLoop]),
      this.#delay(REQUEST_TIMEOUT_MS),
    ]);
    for (const wake of this.#wakeups) wake();
    this.#reader?.release();
  }

  async #connect(): Promise<NatsConnection> {
    const deadline = Date.now() + this.#connectTimeoutMs;
    for (let attempt = 1;; attempt++) {
      try {
        return await connect({
          servers: this.#servers,
          ...this.#credentials,
          ...this.#auth,
          name: `wirechat ${this.#room} ${this.#nodeId}`,
          timeout: Math.max(500, Math.min(2_000, deadline - Date.now())),
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: RETRY_DELAY_MS,
          reconnectJitter: 50,
          pingInterval: 10_000,
          // Else the client makes an Error with its stack for every request.
          noAsyncTraces: true,
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
        if (!this.#closing) this.#reader?.restart();
        for (const wake of this.#wakeups) wake();
      }
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

// The user name field of `*`: four size bytes, then the star.
function isServerField(sender: Uint8Array): boolean {
  return sender.length === 5 && sender[3] === 1 && sender[4] === 0x2a && sender[0] === 0 &&
    sender[1] === 0 && sender[2] === 0;
}
