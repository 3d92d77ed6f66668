#!/usr/bin/env -S deno run --allow-net
/**
 * The load generator: many clients against one chat server, every frame checked.
 *
 * 1. **Connect.** Opens `clients` connections (TCP_NODELAY), at most 512 connecting
 *    at once, and logs them in as `u0`..`uN-1`.
 * 2. **Sync.** The protocol has no login acknowledgement, so `u0` sends short
 *    `#SYNC:` messages until every client has received one (the server has logged
 *    everyone in: that moment is the login time), then a `#FINL:` round that every
 *    client must receive, so no stale frame is left.
 * 3. **Run.** The first `senders` clients each send `messages` bodies of `size`
 *    bytes, keeping at most `window` of their own un-echoed in flight (1 is
 *    ping-pong). Each body carries its send time, sender and sequence number
 *    (see `message_body.ts`): every receiver measures latency, checks the order of
 *    each sender's messages and counts them, and validates every frame.
 *    Or **hold**: send nothing and keep every connection open for `hold` seconds.
 *
 * The CLI prints one JSON line (a {@linkcode LoadResult}) on standard output and
 * progress on standard error. Exit status: 0 for a clean run, 1 for a misuse,
 * 2 when anything was lost, reordered, invalid or cut off.
 *
 * ```sh
 * deno run --allow-net bench/load.ts --port 9000 --clients 100 --senders 10 --messages 2000
 * deno run --allow-net bench/load.ts --port 9000 --clients 10 --window 1   # ping-pong
 * deno run --allow-net bench/load.ts --port 9000 --clients 5000 --hold 5   # idle scale
 * ```
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { type ChatMessage, ClientDecoder, encodeString, ProtocolError } from "../mod.ts";
import { type FrameHandler, scanFrames } from "./frame_scanner.ts";
import { LatencyHistogram } from "./latency_histogram.ts";
import {
  BODY_HEADER_SIZE,
  filler,
  MAX_SENDERS,
  MAX_SEQUENCE,
  readDigitBytes,
  readDigits,
  readSendTime,
  writeBodyHeader,
} from "./message_body.ts";
import { OutputBuffer } from "./output_buffer.ts";

/** What to run. */
export interface LoadOptions {
  /**
   * The server's host.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** The server's port. */
  port: number;
  /**
   * How many clients connect; they log in as `u0`..`uN-1`.
   *
   * @default {10}
   */
  clients?: number;
  /**
   * How many of them send: the first `senders`.
   *
   * @default {1}
   */
  senders?: number;
  /**
   * How many messages each sender sends.
   *
   * @default {1000}
   */
  messages?: number;
  /**
   * The size of each message body in bytes, at least 16.
   *
   * @default {64}
   */
  size?: number;
  /**
   * The most messages of its own a sender has un-echoed in flight.
   *
   * @default {16}
   */
  window?: number;
  /**
   * When set, the run is a hold: every client logs in, nothing is sent, and the
   * connections stay open for this many seconds.
   */
  hold?: number;
  /**
   * A hard stop, in seconds, connect included.
   *
   * @default {60, or the hold plus 60}
   */
  durationLimit?: number;
  /**
   * Stop when nothing arrives and nothing is sent for this many seconds while
   * running.
   *
   * @default {5}
   */
  stallTimeout?: number;
  /**
   * Bytes of each connection's read buffer.
   *
   * @default {64 MiB / clients, from 4 KiB to 64 KiB}
   */
  readBufferSize?: number;
  /**
   * How received bytes are decoded and checked: `scanner` checks each frame in the
   * read buffer without building strings; `codec` goes through the project's
   * `ClientDecoder` (strings for every field), several times slower, a cross-check
   * of the codec under load.
   *
   * @default {"scanner"}
   */
  decoder?: "scanner" | "codec";
  /** Receives progress lines. */
  onProgress?: (line: string) => void;
  /** Called once every client is logged in and a hold starts. */
  onHold?: () => void;
  /** Stops the run early, reported as `aborted`. */
  signal?: AbortSignal;
}

/** Latency percentiles, in microseconds. */
export interface LatencySummary {
  /** The median. */
  p50: number;
  /** The 90th percentile. */
  p90: number;
  /** The 99th percentile. */
  p99: number;
  /** The largest. */
  max: number;
}

/** Why a run stopped. */
export type StopReason =
  | "done"
  | "stall"
  | "duration-limit"
  | "connect failed"
  | "disconnect during login"
  | "aborted";

/** What a run measured. */
export interface LoadResult {
  /** `load` when messages were sent, `hold` for a hold. */
  mode: "load" | "hold";
  /** Clients connected. */
  clients: number;
  /** Clients that sent. */
  senders: number;
  /** Message body size in bytes. */
  size: number;
  /** Window of un-echoed messages per sender. */
  window: number;
  /** Messages each sender was to send. */
  messagesPerSender: number;
  /** Messages sent in all. */
  messagesSent: number;
  /** Deliveries due: messages sent × clients still connected. */
  deliveriesExpected: number;
  /** Deliveries received and valid. */
  deliveriesReceived: number;
  /** Deliveries due to a connected client that never arrived. */
  lost: number;
  /** Deliveries that arrived after a later message of the same sender. */
  orderViolations: number;
  /** Frames that failed a check, or could not be decoded. */
  invalidFrames: number;
  /** Connections the server closed, or that failed, during the run. */
  disconnects: number;
  /** Connections that could not be opened. */
  connectFailures: number;
  /** Whether the run finished (`stopReason` is `done`). */
  completed: boolean;
  /** Why it stopped. */
  stopReason: StopReason;
  /** Whether it finished with nothing lost, reordered, invalid or cut off. */
  ok: boolean;
  /** Seconds from the first message sent to the last delivery (or of the hold). */
  elapsedS: number;
  /** Messages sent per second. */
  messagesPerS: number;
  /** Deliveries received per second. */
  deliveriesPerS: number;
  /** Latency from send to each delivery. */
  latencyUs: LatencySummary;
  /** Deliveries whose latency was recorded. */
  latencySamples: number;
  /** Seconds from the first connect until every client had received a sync message. */
  connectS: number;
  /** Seconds from the first connect until every connection was open. */
  tcpConnectS: number;
  /** Sync rounds sent. */
  syncRounds: number;
  /** CPU seconds the load generator's process used while running or holding. */
  cpuS: number;
  /** `cpuS / elapsedS`: near 1 means the load generator was the bottleneck. */
  cpuUtil: number;
}

const enum Phase {
  Connect,
  Sync,
  Run,
  Hold,
  Done,
}

const SYNC_SIZE = 12; // "#SYNC:000001"
const MAX_CONNECTING = 512;
const MAX_USERNAME = 7; // "u" + 6 digits
const FIRST_SYNC_INTERVAL_MS = 2;
const LAST_SYNC_INTERVAL_MS = 200;
const READ_BUFFER_BUDGET = 64 * 1024 * 1024;

function defaultReadBufferSize(clients: number): number {
  let size = 65536;
  while (size > 4096 && size * clients > READ_BUFFER_BUDGET) size /= 2;
  return size;
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Invalid option ${name}: ${value} is not an integer from ${min} to ${max}`,
    );
  }
  return value;
}

function checkSeconds(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`Invalid option ${name}: ${value} is not a number of seconds`);
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One client connection and what the run knows about it. */
class LoadClient {
  readonly index: number;
  readonly conn: Deno.TcpConn;
  readonly output: OutputBuffer;
  reading: Promise<void> = Promise.resolve();
  open = true;
  /** Whether the server closed it, or it failed, before the run ended. */
  dropped = false;
  registered = false;
  gotFinal = false;
  nextSeq = 0;
  inflight = 0;

  constructor(index: number, conn: Deno.TcpConn, onWriteError: (error: unknown) => void) {
    this.index = index;
    this.conn = conn;
    this.output = new OutputBuffer(conn, onWriteError);
  }
}

/** The state of one run. */
class LoadRun {
  readonly #hostname: string;
  readonly #port: number;
  readonly #clientCount: number;
  readonly #senderCount: number;
  readonly #messages: number;
  readonly #size: number;
  readonly #window: number;
  readonly #hold: number | undefined;
  readonly #durationLimitMs: number;
  readonly #stallTimeoutMs: number;
  readonly #readBufferSize: number;
  readonly #decoder: "scanner" | "codec";
  readonly #maxText: number;
  readonly #progress: (line: string) => void;
  readonly #onHold: () => void;
  readonly #signal: AbortSignal | undefined;

  readonly #names: string[];
  readonly #clients: (LoadClient | undefined)[];
  readonly #pairLast: Uint32Array; // [receiver × senders + sender]: last sequence + 1
  readonly #pairCount: Uint32Array;
  readonly #template: Uint8Array; // a whole message frame: size, then the filler
  readonly #fillerTail: string;
  readonly #latency = new LatencyHistogram();
  readonly #done = Promise.withResolvers<void>();

  #phase = Phase.Connect;
  #stopReason: StopReason = "done";
  #epoch = 0; // performance.now() at the start, in ms
  #wallStartS = 0;
  #chunkNowUs = 0; // set before each chunk is decoded
  #chunkWallS = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #connected = 0;
  #connectFailures = 0;
  #disconnects = 0;
  #registered = 0;
  #finals = 0;
  #syncRound = 0;
  #finalRound = 0;
  #finalSent = false;
  #syncEchoed = false;
  #syncIntervalMs = FIRST_SYNC_INTERVAL_MS;
  #nextSyncAt = 0;
  #sendersDone = 0;
  #messagesSent = 0;
  #received = 0;
  #orderViolations = 0;
  #invalidFrames = 0;
  #tcpConnectMs = 0;
  #connectMs = 0;
  #runStartMs = 0;
  #runEndMs = 0;
  #lastReceiveMs = 0;
  #lastProgressMs = 0;
  #holdEndMs = 0;
  #cpuStart: ReturnType<typeof process.cpuUsage> | null = null;
  #current: LoadClient | undefined; // the client whose chunk is being scanned
  #nextIndex = 0;
  #cpuS = 0;

  constructor(options: LoadOptions) {
    this.#hostname = options.hostname ?? "127.0.0.1";
    this.#port = checkInteger("port", options.port, 1, 65535);
    this.#clientCount = checkInteger("clients", options.clients ?? 10, 1, MAX_SENDERS);
    this.#hold = options.hold === undefined ? undefined : checkSeconds("hold", options.hold);
    this.#senderCount = this.#hold === undefined
      ? checkInteger("senders", options.senders ?? 1, 0, this.#clientCount)
      : 0;
    this.#messages = checkInteger("messages", options.messages ?? 1000, 0, MAX_SEQUENCE - 1);
    this.#size = checkInteger("size", options.size ?? 64, BODY_HEADER_SIZE, 1 << 24);
    this.#window = checkInteger("window", options.window ?? 16, 1, 1 << 20);
    this.#durationLimitMs = 1000 *
      checkSeconds("duration limit", options.durationLimit ?? (this.#hold ?? 0) + 60);
    this.#stallTimeoutMs = 1000 * checkSeconds("stall timeout", options.stallTimeout ?? 5);
    this.#readBufferSize = checkInteger(
      "read buffer size",
      options.readBufferSize ?? defaultReadBufferSize(this.#clientCount),
      64,
      1 << 24,
    );
    this.#decoder = options.decoder ?? "scanner";
    if (this.#decoder !== "scanner" && this.#decoder !== "codec") {
      throw new RangeError(
        `Invalid option decoder: "${this.#decoder}" is not "scanner" or "codec"`,
      );
    }
    this.#maxText = Math.max(this.#size, SYNC_SIZE);
    if (this.#clientCount * this.#senderCount > 6e7) {
      throw new RangeError("Invalid options: clients × senders exceeds 60,000,000");
    }
    this.#progress = options.onProgress ?? (() => {});
    this.#onHold = options.onHold ?? (() => {});
    this.#signal = options.signal;

    this.#names = Array.from({ length: this.#clientCount }, (_, i) => `u${i}`);
    this.#clients = new Array(this.#clientCount);
    const pairs = this.#clientCount * Math.max(1, this.#senderCount);
    this.#pairLast = new Uint32Array(pairs);
    this.#pairCount = new Uint32Array(pairs);
    const body = filler(this.#size);
    this.#fillerTail = new TextDecoder().decode(body.subarray(BODY_HEADER_SIZE));
    this.#template = new Uint8Array(4 + this.#size);
    new DataView(this.#template.buffer).setUint32(0, this.#size);
    this.#template.set(body, 4);
  }

  async run(): Promise<LoadResult> {
    this.#epoch = performance.now();
    this.#wallStartS = Math.floor(Date.now() / 1000);
    const abort = () => this.#stop("aborted");
    this.#signal?.addEventListener("abort", abort);
    if (this.#signal?.aborted) this.#stop("aborted");
    this.#setTicker(20);
    this.#progress(
      `connecting ${this.#clientCount} clients to ${this.#hostname}:${this.#port}`,
    );
    const openers = Array.from(
      { length: Math.min(MAX_CONNECTING, this.#clientCount) },
      () => this.#openClients(),
    );
    try {
      await Promise.race([Promise.all(openers), this.#done.promise]);
      if (this.#phase === Phase.Connect) this.#startSync();
      await this.#done.promise;
    } finally {
      this.#signal?.removeEventListener("abort", abort);
      clearInterval(this.#ticker);
      this.#phase = Phase.Done;
      if (this.#cpuStart !== null) {
        const cpu = process.cpuUsage(this.#cpuStart);
        this.#cpuS = (cpu.user + cpu.system) / 1e6;
      }
      await Promise.allSettled(openers);
      await this.#closeAll();
    }
    return this.#result();
  }

  async #openClients(): Promise<void> {
    while (this.#nextIndex < this.#clientCount && this.#phase === Phase.Connect) {
      const i = this.#nextIndex++;
      let conn: Deno.TcpConn;
      try {
        conn = await Deno.connect({ hostname: this.#hostname, port: this.#port });
      } catch (error) {
        this.#connectFailures++;
        if (this.#connectFailures <= 5) this.#progress(`connect u${i}: ${describe(error)}`);
        this.#stop("connect failed");
        return;
      }
      if (this.#phase !== Phase.Connect) {
        conn.close();
        return;
      }
      conn.setNoDelay(true);
      const client = new LoadClient(i, conn, (error) => this.#lost(client, describe(error)));
      this.#clients[i] = client;
      this.#connected++;
      client.output.append(encodeString(this.#names[i]!));
      client.output.flush();
      client.reading = this.#decoder === "codec"
        ? this.#readWithCodec(client)
        : this.#readWithScanner(client);
    }
  }

  /** Reads through the project's `ClientDecoder`: every field becomes a string. */
  async #readWithCodec(client: LoadClient): Promise<void> {
    const buffer = new Uint8Array(this.#readBufferSize);
    const decoder = new ClientDecoder(
      (message) => this.#onMessage(client, message),
      { maxStringSize: this.#maxText },
    );
    try {
      while (true) {
        const n = await client.conn.read(buffer);
        if (n === null) {
          this.#lost(client, "closed by the server");
          return;
        }
        if (this.#phase === Phase.Done) return; // what arrives after the end is not counted
        const now = this.#beforeChunk();
        try {
          decoder.push(buffer.subarray(0, n));
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          this.#malformed(client, error.message);
          return;
        }
        this.#afterChunk(client, now);
      }
    } catch (error) {
      this.#lost(client, describe(error));
    }
  }

  /**
   * Reads with the byte scanner: frames are checked in the read buffer, and only
   * an incomplete frame is moved, to the buffer's start.
   */
  async #readWithScanner(client: LoadClient): Promise<void> {
    const maxFrame = 16 + MAX_USERNAME + this.#maxText;
    const buffer = new Uint8Array(Math.max(this.#readBufferSize, 2 * maxFrame));
    let held = 0;
    try {
      while (true) {
        const n = await client.conn.read(held === 0 ? buffer : buffer.subarray(held));
        if (n === null) {
          this.#lost(client, "closed by the server");
          return;
        }
        if (this.#phase === Phase.Done) return; // what arrives after the end is not counted
        const now = this.#beforeChunk();
        const end = held + n;
        this.#current = client;
        const used = scanFrames(buffer, end, MAX_USERNAME, this.#maxText, this.#onFrame);
        if (used < 0) {
          this.#malformed(client, "a size field exceeds what this run sends");
          return;
        }
        held = end - used;
        if (held > 0 && used > 0) buffer.copyWithin(0, used, end);
        this.#afterChunk(client, now);
      }
    } catch (error) {
      this.#lost(client, describe(error));
    }
  }

  #beforeChunk(): number {
    const now = performance.now();
    this.#chunkNowUs = (now - this.#epoch) * 1000;
    this.#chunkWallS = Date.now() / 1000;
    return now;
  }

  #afterChunk(client: LoadClient, now: number): void {
    this.#lastReceiveMs = this.#lastProgressMs = now;
    switch (this.#phase) {
      case Phase.Run:
        if (client.index < this.#senderCount) this.#topUp(client);
        if (
          this.#sendersDone >= this.#senderCount &&
          this.#received >= this.#messagesSent * this.#connected
        ) {
          this.#runEndMs = this.#lastReceiveMs;
          this.#stop("done");
        }
        break;
      case Phase.Sync:
        this.#advanceSync();
        break;
    }
  }

  #malformed(client: LoadClient, why: string): void {
    this.#invalidFrames++;
    this.#progress(`u${client.index}: malformed frame (${why}); dropping the connection`);
    this.#lost(client, "malformed frame");
  }

  /** Checks one frame in place, for {@linkcode scanFrames}. */
  readonly #onFrame: FrameHandler = (bytes, timestamp, userStart, textStart, textEnd) => {
    const client = this.#current!;
    if (!(timestamp >= this.#wallStartS - 2 && timestamp <= this.#chunkWallS + 2)) {
      this.#invalidFrames++;
      return;
    }
    const sender = userIndex(bytes, userStart, textStart - 4);
    const textSize = textEnd - textStart;
    if (textSize === SYNC_SIZE) {
      this.#onSync(client, sender, syncKind(bytes, textStart), readDecimalBytes(bytes, textStart));
      return;
    }
    if (textSize !== this.#size || this.#phase !== Phase.Run) {
      this.#invalidFrames++;
      return;
    }
    const template = this.#template;
    for (let i = textStart + BODY_HEADER_SIZE, j = 4 + BODY_HEADER_SIZE; i < textEnd; i++, j++) {
      if (bytes[i] !== template[j]) {
        this.#invalidFrames++;
        return;
      }
    }
    this.#onBody(
      client,
      sender,
      readSendTime(bytes, textStart),
      readDigitBytes(bytes, textStart + 8, 3),
      readDigitBytes(bytes, textStart + 11, 5),
    );
  };

  /** Checks one message decoded by `ClientDecoder`. */
  #onMessage(client: LoadClient, message: ChatMessage): void {
    const { timestamp, username, text } = message;
    if (!(timestamp >= this.#wallStartS - 2 && timestamp <= this.#chunkWallS + 2)) {
      this.#invalidFrames++;
      return;
    }
    if (text.length === SYNC_SIZE) {
      const kind = text.startsWith("#SYNC:")
        ? Sync.Sync
        : text.startsWith("#FINL:")
        ? Sync.Final
        : Sync.Invalid;
      this.#onSync(client, username === "u0" ? 0 : -1, kind, readDecimal(text, 6, SYNC_SIZE));
      return;
    }
    if (
      text.length !== this.#size || this.#phase !== Phase.Run || !text.endsWith(this.#fillerTail)
    ) {
      this.#invalidFrames++;
      return;
    }
    const s = readDigits(text, 8, 3);
    this.#onBody(
      client,
      username === this.#names[s] ? s : -1,
      readDigits(text, 0, 8),
      s,
      readDigits(text, 11, 5),
    );
  }

  /**
   * Accounts for one message body, from the user name's sender index and the
   * body's send time, sender and sequence number (-1 where they did not parse).
   */
  #onBody(client: LoadClient, sender: number, sent: number, s: number, q: number): void {
    if (
      s < 0 || s >= this.#senderCount || sender !== s || sent < 0 || sent > this.#chunkNowUs ||
      q < 0 || q >= this.#clients[s]!.nextSeq
    ) {
      this.#invalidFrames++;
      return;
    }
    const pair = client.index * this.#senderCount + s;
    const fresh = q + 1 > this.#pairLast[pair]!;
    if (fresh) this.#pairLast[pair] = q + 1;
    else this.#orderViolations++;
    this.#pairCount[pair]!++;
    this.#received++;
    this.#latency.record(this.#chunkNowUs - sent);
    if (client.index === s && fresh && client.inflight > 0) {
      if (--client.inflight === 0 && client.nextSeq === this.#messages) this.#sendersDone++;
    }
  }

  #onSync(client: LoadClient, sender: number, kind: Sync, round: number): void {
    if (sender !== 0 || kind === Sync.Invalid || round < 0 || this.#phase !== Phase.Sync) {
      this.#invalidFrames++; // also a sync message that arrives after the barrier
      return;
    }
    if (!client.registered) {
      client.registered = true;
      this.#registered++;
    }
    if (kind === Sync.Final && round === this.#finalRound % 1e6 && !client.gotFinal) {
      client.gotFinal = true;
      this.#finals++;
    }
    if (client.index === 0 && round === this.#syncRound % 1e6) this.#syncEchoed = true;
  }

  #startSync(): void {
    const now = performance.now();
    this.#tcpConnectMs = now - this.#epoch;
    this.#progress(
      `${this.#clientCount} connections open, user names sent after ${
        (this.#tcpConnectMs / 1000).toFixed(3)
      } s`,
    );
    this.#phase = Phase.Sync;
    this.#sendSync("SYNC");
    this.#nextSyncAt = now + this.#syncIntervalMs;
    this.#setTicker(1);
  }

  #sendSync(kind: "SYNC" | "FINL"): void {
    this.#syncRound++;
    this.#syncEchoed = false;
    const text = `#${kind}:${String(this.#syncRound % 1e6).padStart(6, "0")}`;
    const u0 = this.#clients[0]!;
    u0.output.append(encodeString(text));
    u0.output.flush();
  }

  #advanceSync(): void {
    const now = performance.now();
    if (!this.#finalSent && this.#registered === this.#clientCount) {
      this.#connectMs = now - this.#epoch;
      this.#progress(
        `${this.#clientCount} clients logged in after ${
          (this.#connectMs / 1000).toFixed(3)
        } s (${this.#syncRound} sync rounds)`,
      );
      this.#sendSync("FINL");
      this.#finalRound = this.#syncRound;
      this.#finalSent = true;
    } else if (!this.#finalSent && this.#syncEchoed && now >= this.#nextSyncAt) {
      this.#sendSync("SYNC");
      this.#nextSyncAt = now + this.#syncIntervalMs;
      this.#syncIntervalMs = Math.min(this.#syncIntervalMs * 2, LAST_SYNC_INTERVAL_MS);
    }
    if (this.#finalSent && this.#finals === this.#clientCount) this.#start();
  }

  #start(): void {
    this.#runStartMs = this.#lastReceiveMs = this.#lastProgressMs = performance.now();
    this.#cpuStart = process.cpuUsage();
    this.#setTicker(20);
    if (this.#hold !== undefined) {
      this.#phase = Phase.Hold;
      this.#holdEndMs = this.#runStartMs + this.#hold * 1000;
      this.#progress(`holding ${this.#clientCount} clients for ${this.#hold} s`);
      this.#onHold();
      return;
    }
    this.#phase = Phase.Run;
    this.#progress(
      `running: ${this.#senderCount} senders × ${this.#messages} messages of ${this.#size} bytes, window ${this.#window}`,
    );
    for (let s = 0; s < this.#senderCount; s++) {
      if (this.#messages === 0) this.#sendersDone++;
      else this.#topUp(this.#clients[s]!);
    }
    if (this.#sendersDone >= this.#senderCount && this.#messagesSent === 0) {
      this.#runEndMs = this.#runStartMs;
      this.#stop("done");
    }
  }

  /** Sends as many messages as the window allows, in one write. */
  #topUp(client: LoadClient): void {
    if (!client.open) return;
    const count = Math.min(this.#window - client.inflight, this.#messages - client.nextSeq);
    if (count <= 0) return;
    const frameSize = this.#template.length;
    const out = client.output.claim(count * frameSize);
    const now = performance.now();
    const sentUs = Math.floor((now - this.#epoch) * 1000);
    for (let j = 0, at = 0; j < count; j++, at += frameSize) {
      out.set(this.#template, at);
      writeBodyHeader(out, at + 4, sentUs, client.index, client.nextSeq + j);
    }
    client.inflight += count;
    client.nextSeq += count;
    this.#messagesSent += count;
    this.#lastProgressMs = now;
    client.output.flush();
  }

  #lost(client: LoadClient, why: string): void {
    if (!client.open) return;
    client.open = false;
    if (this.#phase === Phase.Done) return;
    client.dropped = true;
    this.#connected--;
    this.#disconnects++;
    if (this.#disconnects <= 5) {
      this.#progress(`client u${client.index} disconnected unexpectedly (${why})`);
    }
    try {
      client.conn.close();
    } catch {
      // already closed
    }
    const s = client.index;
    if (
      this.#phase === Phase.Run && s < this.#senderCount &&
      !(client.nextSeq === this.#messages && client.inflight === 0)
    ) {
      this.#sendersDone++; // it can send no more
    }
    if (this.#phase === Phase.Connect || this.#phase === Phase.Sync) {
      this.#stop("disconnect during login");
    }
  }

  #setTicker(periodMs: number): void {
    clearInterval(this.#ticker);
    this.#ticker = setInterval(() => this.#tick(), periodMs);
  }

  #tick(): void {
    const now = performance.now();
    if (now - this.#epoch > this.#durationLimitMs) {
      this.#stop("duration-limit");
      return;
    }
    switch (this.#phase) {
      case Phase.Sync:
        this.#advanceSync();
        break;
      case Phase.Hold:
        if (now >= this.#holdEndMs) {
          this.#runEndMs = now;
          this.#stop("done");
        }
        break;
      case Phase.Run:
        if (now - this.#lastProgressMs > this.#stallTimeoutMs) this.#stop("stall");
        break;
    }
  }

  #stop(reason: StopReason): void {
    if (this.#phase === Phase.Done) return;
    this.#phase = Phase.Done;
    this.#stopReason = reason;
    if (reason !== "done") this.#progress(`stopped early: ${reason}`);
    this.#done.resolve();
  }

  async #closeAll(): Promise<void> {
    const settling: Promise<void>[] = [];
    for (const client of this.#clients) {
      if (client === undefined) continue;
      if (client.open) {
        client.open = false;
        try {
          client.conn.close();
        } catch {
          // already closed
        }
      }
      settling.push(client.reading, client.output.close());
    }
    await Promise.allSettled(settling);
  }

  #result(): LoadResult {
    const running = this.#runStartMs > 0;
    const end = this.#runEndMs > 0 ? this.#runEndMs : performance.now();
    const elapsedS = running ? (end - this.#runStartMs) / 1000 : 0;
    const senders = this.#senderCount;
    let lost = 0;
    for (let r = 0; r < this.#clientCount; r++) {
      const receiver = this.#clients[r];
      if (receiver === undefined || receiver.dropped) continue;
      for (let s = 0; s < senders; s++) {
        const want = this.#clients[s]!.nextSeq;
        const got = this.#pairCount[r * senders + s]!;
        if (got < want) lost += want - got;
      }
    }
    const completed = this.#stopReason === "done";
    const latency = this.#latency;
    return {
      mode: this.#hold === undefined ? "load" : "hold",
      clients: this.#clientCount,
      senders,
      size: this.#size,
      window: this.#window,
      messagesPerSender: this.#messages,
      messagesSent: this.#messagesSent,
      deliveriesExpected: this.#messagesSent * this.#connected,
      deliveriesReceived: this.#received,
      lost,
      orderViolations: this.#orderViolations,
      invalidFrames: this.#invalidFrames,
      disconnects: this.#disconnects,
      connectFailures: this.#connectFailures,
      completed,
      stopReason: this.#stopReason,
      ok: completed && lost === 0 && this.#orderViolations === 0 && this.#invalidFrames === 0 &&
        this.#disconnects === 0 && this.#connectFailures === 0,
      elapsedS,
      messagesPerS: elapsedS > 0 ? this.#messagesSent / elapsedS : 0,
      deliveriesPerS: elapsedS > 0 ? this.#received / elapsedS : 0,
      latencyUs: {
        p50: latency.percentile(0.5),
        p90: latency.percentile(0.9),
        p99: latency.percentile(0.99),
        max: latency.max,
      },
      latencySamples: latency.count,
      connectS: this.#connectMs / 1000,
      tcpConnectS: this.#tcpConnectMs / 1000,
      syncRounds: this.#syncRound,
      cpuS: this.#cpuS,
      cpuUtil: elapsedS > 0 ? this.#cpuS / elapsedS : 0,
    };
  }
}

function readDecimal(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const enum Sync {
  Sync,
  Final,
  Invalid,
}

const SYNC_PREFIX = [35, 83, 89, 78, 67, 58]; // "#SYNC:"
const FINAL_PREFIX = [35, 70, 73, 78, 76, 58]; // "#FINL:"

function syncKind(bytes: Uint8Array, at: number): Sync {
  let sync = true;
  let final = true;
  for (let i = 0; i < 6; i++) {
    sync &&= bytes[at + i] === SYNC_PREFIX[i];
    final &&= bytes[at + i] === FINAL_PREFIX[i];
  }
  return sync ? Sync.Sync : final ? Sync.Final : Sync.Invalid;
}

function readDecimalBytes(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let i = at + 6; i < at + SYNC_SIZE; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The index N of a user name `uN` (canonical decimal), or -1. */
function userIndex(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 2 || bytes[start] !== 117 || (bytes[start + 1] === 48 && end - start > 2)) {
    return -1;
  }
  let value = 0;
  for (let i = start + 1; i < end; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Runs the load generator once against a server.
 *
 * Requires `--allow-net`.
 *
 * @example Ten clients, two senders, against a server on port 9000
 * ```ts ignore
 * import { runLoad } from "./load.ts";
 *
 * const result = await runLoad({ port: 9000, clients: 10, senders: 2, messages: 100 });
 * console.log(result.deliveriesPerS, result.latencyUs.p99, result.ok);
 * ```
 *
 * @param options What to run.
 * @returns What it measured; `ok` tells whether it was clean.
 * @throws {RangeError} When an option is out of range.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new LoadRun(options).run();
}

const USAGE = `Generates load on a chat server and checks every frame it relays.

INSTALL:
  deno install -g --allow-net -n wirechat-load bench/load.ts

USAGE:
  deno run --allow-net bench/load.ts [options]

OPTIONS:
  --host H              server host (127.0.0.1)
  --port P              server port (9000)
  --clients N           connections, logged in as u0..uN-1 (10)
  --senders S           the first S clients send (1)
  --messages M          messages per sender (1000)
  --size B              message body bytes, at least 16 (64)
  --window W            most un-echoed messages per sender; 1 is ping-pong (16)
  --hold T              log in, send nothing, hold T seconds
  --duration-limit T    hard stop after T seconds, connect included (60, or
                        the hold plus 60)
  --stall-timeout T     stop when nothing moves for T seconds while running (5)
  --read-buffer BYTES   read buffer per connection (64 MiB / clients, 4-64 KiB)
  --decoder D           scanner: check frames in place (default); codec: decode
                        with the project's ClientDecoder, several times slower
  --quiet               no progress lines on standard error
  -h, --help            print this help

Prints one JSON line. Exit status: 0 for a clean run, 1 for a misuse, 2 when
anything was lost, reordered, invalid or cut off.`;

function parseNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) {
    throw new RangeError(`Invalid option --${name}: "${value}" is not a number`);
  }
  return number;
}

/** Parses the CLI's flags into options. */
function parseOptions(args: string[]): LoadOptions & { quiet: boolean; help: boolean } {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "9000" },
      clients: { type: "string" },
      senders: { type: "string" },
      messages: { type: "string" },
      size: { type: "string" },
      window: { type: "string" },
      hold: { type: "string" },
      "duration-limit": { type: "string" },
      "stall-timeout": { type: "string" },
      "read-buffer": { type: "string" },
      decoder: { type: "string", default: "scanner" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const options: LoadOptions & { quiet: boolean; help: boolean } = {
    hostname: values.host,
    port: parseNumber("port", values.port)!,
    decoder: values.decoder as "scanner" | "codec",
    quiet: values.quiet,
    help: values.help,
  };
  const numbers = {
    clients: "clients",
    senders: "senders",
    messages: "messages",
    size: "size",
    window: "window",
    hold: "hold",
    durationLimit: "duration-limit",
    stallTimeout: "stall-timeout",
    readBufferSize: "read-buffer",
  } as const;
  for (const [key, flag] of Object.entries(numbers)) {
    const value = parseNumber(flag, values[flag]);
    if (value !== undefined) options[key as keyof typeof numbers] = value;
  }
  return options;
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  let run: LoadRun;
  const controller = new AbortController();
  try {
    options = parseOptions(Deno.args);
    if (options.help) {
      console.log(USAGE);
      return 0;
    }
    run = new LoadRun({
      ...options,
      signal: controller.signal,
      onProgress: options.quiet ? () => {} : (line) => console.error(`load: ${line}`),
    });
  } catch (error) {
    console.error(`load: ${describe(error)}\n\n${USAGE}`);
    return 1;
  }
  const abort = () => controller.abort();
  Deno.addSignalListener("SIGINT", abort);
  try {
    const result = await run.run();
    console.log(JSON.stringify(result));
    return result.ok ? 0 : 2;
  } finally {
    Deno.removeSignalListener("SIGINT", abort);
  }
}

if (import.meta.main) Deno.exit(await main());
