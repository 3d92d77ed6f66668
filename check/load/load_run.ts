/**
 * One run of the load generator: connect, sync, then run or hold, checking every
 * frame; see `load.ts` for the whole story.
 *
 * @module
 */

import process from "node:process";
import { ClientDecoder } from "../../protocol/client_decoder.ts";
import { encodeString } from "../../protocol/encode.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import type { ChatMessage } from "../../protocol/frames.ts";
import { writeU32 } from "../../protocol/integers.ts";
import { type FrameHandler, scanFrames } from "./frame_scanner.ts";
import { LatencyHistogram } from "./latency_histogram.ts";
import { type LoadOptions, portFor } from "./load_options.ts";
import type { LoadResult, StopReason } from "./load_result.ts";
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
import {
  MAX_USER_INDEX,
  MAX_USERNAME,
  readDecimal,
  readSyncRound,
  Sync,
  SYNC_SIZE,
  syncKind,
  userIndex,
} from "./sync_message.ts";
import { errorMessage } from "../../cli/error_message.ts";

/** What a run counts as it goes. */
interface LoadCounters {
  /** Connections open and not dropped. */
  connected: number;
  connectFailures: number;
  disconnects: number;
  /** Clients that received a sync message. */
  registered: number;
  /** Clients that received the final sync message. */
  finals: number;
  syncRound: number;
  finalRound: number;
  sendersDone: number;
  messagesSent: number;
  received: number;
  orderViolations: number;
  invalidFrames: number;
}

/** When things happened, in `performance.now()` milliseconds (0: not yet). */
interface LoadMarks {
  tcpConnectMs: number;
  connectMs: number;
  runStartMs: number;
  runEndMs: number;
  lastReceiveMs: number;
  lastProgressMs: number;
  holdEndMs: number;
}

const enum Phase {
  Connect,
  Sync,
  Run,
  Hold,
  Done,
}

const MAX_CONNECTING = 512;
const STATUS_INTERVAL_MS = 1000;
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

/** One client connection and what the run knows about it. */
class LoadClient {
  readonly index: number;
  readonly conn: Deno.TcpConn | Deno.TlsConn;
  readonly output: OutputBuffer;
  reading: Promise<void> = Promise.resolve();
  open = true;
  /** Whether the server closed it, or it failed, before the run ended. */
  dropped = false;
  registered = false;
  gotFinal = false;
  /** The last round of the leader it received, or -1. */
  lastRound = -1;
  nextSeq = 0;
  /** When it received its last message body, in microseconds since the epoch of the run. */
  lastBodyUs = 0;
  inflight = 0;

  constructor(
    index: number,
    conn: Deno.TcpConn | Deno.TlsConn,
    onWriteError: (error: unknown) => void,
  ) {
    this.index = index;
    this.conn = conn;
    this.output = new OutputBuffer(conn, onWriteError);
  }
}

/** The state of one run. */
export class LoadRun {
  readonly #hostname: string;
  readonly #ports: number | readonly number[];
  readonly #caCerts: string[] | undefined;
  readonly #clientCount: number;
  readonly #senderCount: number;
  readonly #messages: number;
  readonly #size: number;
  readonly #window: number;
  readonly #hold: number | undefined;
  readonly #sync: boolean;
  readonly #durationLimitMs: number;
  readonly #stallTimeoutMs: number;
  readonly #readBufferSize: number;
  readonly #decoder: "scanner" | "codec";
  readonly #maxText: number;
  readonly #progress: (line: string) => void;
  readonly #onStatus: (line: string) => void;
  #lastStatusMs = 0;
  readonly #onHold: () => void;
  readonly #signal: AbortSignal | undefined;
  readonly #firstIndex: number;
  readonly #leader: Uint8Array | undefined; // the leader's user name, as UTF-8
  readonly #maxUsername: number;
  readonly #onRound: (round: number, atMs: number) => void;
  readonly #holdUntil: AbortSignal | undefined;
  /** With a leader: how many clients have received each round not yet complete. */
  readonly #roundCounts = new Map<number, number>();

  readonly #names: string[];
  readonly #clients: (LoadClient | undefined)[];
  readonly #pairLast: Uint32Array; // [receiver × senders + sender]: last sequence + 1
  readonly #pairCount: Uint32Array;
  readonly #template: Uint8Array; // a whole message frame: size, then the filler
  readonly #fillerTail: string;
  readonly #latency = new LatencyHistogram();
  readonly #done = Promise.withResolvers<void>();

  readonly #counts: LoadCounters = {
    connected: 0,
    connectFailures: 0,
    disconnects: 0,
    registered: 0,
    finals: 0,
    syncRound: 0,
    finalRound: 0,
    sendersDone: 0,
    messagesSent: 0,
    received: 0,
    orderViolations: 0,
    invalidFrames: 0,
  };
  readonly #marks: LoadMarks = {
    tcpConnectMs: 0,
    connectMs: 0,
    runStartMs: 0,
    runEndMs: 0,
    lastReceiveMs: 0,
    lastProgressMs: 0,
    holdEndMs: 0,
  };
  #phase = Phase.Connect;
  #stopReason: StopReason = "done";
  #epoch = 0; // performance.now() at the start, in ms
  #wallStartS = 0;
  #chunkNowUs = 0; // set before each chunk is decoded
  #chunkWallS = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #finalSent = false;
  #syncEchoed = false;
  #syncIntervalMs = FIRST_SYNC_INTERVAL_MS;
  #nextSyncAt = 0;
  #cpuStart: ReturnType<typeof process.cpuUsage> | null = null;
  #current: LoadClient | undefined; // the client whose chunk is being scanned
  #nextIndex = 0;
  #cpuS = 0;

  /**
   * Checks the options and prepares the run.
   *
   * @param options What to run.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options: LoadOptions) {
    this.#hostname = options.hostname ?? "127.0.0.1";
    this.#ports = typeof options.port === "number"
      ? checkInteger("port", options.port, 1, 65535)
      : options.port.map((port) => checkInteger("port", port, 1, 65535));
    if (typeof this.#ports !== "number" && this.#ports.length === 0) {
      throw new RangeError("Invalid option port: no port given");
    }
    this.#caCerts = options.tls === undefined ? undefined : [...options.tls.caCerts];
    this.#clientCount = checkInteger("clients", options.clients ?? 10, 1, MAX_SENDERS);
    this.#firstIndex = checkInteger(
      "first index",
      options.firstIndex ?? 0,
      0,
      MAX_USER_INDEX + 1 - this.#clientCount,
    );
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
    this.#onStatus = options.onStatus ?? (() => {});
    this.#onHold = options.onHold ?? (() => {});
    this.#sync = options.sync ?? true;
    if (!this.#sync && this.#hold === undefined) {
      throw new RangeError("Invalid option sync: only a hold may skip the sync");
    }
    this.#signal = options.signal;
    this.#holdUntil = options.holdUntil;
    this.#onRound = options.onRound ?? (() => {});
    if (options.leader !== undefined) {
      if (this.#hold === undefined) {
        throw new RangeError("Invalid options: a leader needs a hold");
      }
      this.#leader = new TextEncoder().encode(options.leader);
      if (this.#leader.length === 0 || this.#leader.length > 255) {
        throw new RangeError(
          `Invalid option leader: "${options.leader}" is not a user name of 1 to 255 bytes`,
        );
      }
    }
    this.#maxUsername = Math.max(MAX_USERNAME, this.#leader?.length ?? 0);

    this.#names = Array.from(
      { length: this.#clientCount },
      (_, i) => `u${this.#firstIndex + i}`,
    );
    this.#clients = new Array(this.#clientCount);
    const pairs = this.#clientCount * Math.max(1, this.#senderCount);
    this.#pairLast = new Uint32Array(pairs);
    this.#pairCount = new Uint32Array(pairs);
    const body = filler(this.#size);
    this.#fillerTail = new TextDecoder().decode(body.subarray(BODY_HEADER_SIZE));
    this.#template = new Uint8Array(4 + this.#size);
    writeU32(this.#template, 0, this.#size);
    this.#template.set(body, 4);
  }

  /** Runs it, once. */
  async run(): Promise<LoadResult> {
    this.#epoch = performance.now();
    this.#wallStartS = Math.floor(Date.now() / 1000);
    const abort = () => this.#stop("aborted");
    this.#signal?.addEventListener("abort", abort);
    if (this.#signal?.aborted) this.#stop("aborted");
    const endHold = () => this.#endHold();
    this.#holdUntil?.addEventListener("abort", endHold);
    if (this.#holdUntil?.aborted) this.#endHold();
    this.#setTicker(20);
    this.#progress(
      `connecting ${this.#clientCount} clients to ${this.#hostname}:${this.#ports}${
        this.#caCerts === undefined ? "" : " over TLS"
      }`,
    );
    const openers = Array.from(
      { length: Math.min(MAX_CONNECTING, this.#clientCount) },
      () => this.#openClients(),
    );
    try {
      await Promise.race([Promise.all(openers), this.#done.promise]);
      if (this.#phase === Phase.Connect) {
        if (this.#leader === undefined) this.#startSync();
        else this.#awaitLeader();
      }
      await this.#done.promise;
    } finally {
      this.#signal?.removeEventListener("abort", abort);
      this.#holdUntil?.removeEventListener("abort", endHold);
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
      let conn: Deno.TcpConn | Deno.TlsConn;
      try {
        conn = await this.#connect(portFor(i, this.#ports));
      } catch (error) {
        this.#counts.connectFailures++;
        if (this.#counts.connectFailures <= 5) {
          this.#progress(`connect u${i}: ${errorMessage(error)}`);
        }
        this.#stop("connect failed");
        return;
      }
      if (this.#phase !== Phase.Connect) {
        conn.close();
        return;
      }
      const client = new LoadClient(i, conn, (error) => this.#lost(client, errorMessage(error)));
      this.#clients[i] = client;
      this.#counts.connected++;
      client.output.append(encodeString(this.#names[i]!));
      client.output.flush();
      client.reading = this.#decoder === "codec"
        ? this.#readWithCodec(client)
        : this.#readWithScanner(client);
    }
  }

  /** Opens one connection without Nagle's delay: TCP, or TLS with the handshake done. */
  async #connect(port: number): Promise<Deno.TcpConn | Deno.TlsConn> {
    const tcp = await Deno.connect({ hostname: this.#hostname, port });
    tcp.setNoDelay(true);
    if (this.#caCerts === undefined) return tcp;
    let conn: Deno.TlsConn | undefined;
    try {
      conn = await Deno.startTls(tcp, { hostname: this.#hostname, caCerts: this.#caCerts });
      await conn.handshake();
      return conn;
    } catch (error) {
      (conn ?? tcp).close();
      throw error;
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
      this.#lost(client, errorMessage(error));
    }
  }

  /**
   * Reads with the byte scanner: frames are checked in the read buffer, and only
   * an incomplete frame is moved, to the buffer's start.
   */
  async #readWithScanner(client: LoadClient): Promise<void> {
    const maxFrame = 16 + this.#maxUsername + this.#maxText;
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
        const used = scanFrames(buffer, end, this.#maxUsername, this.#maxText, this.#onFrame);
        if (used < 0) {
          this.#malformed(client, "a size field exceeds what this run sends");
          return;
        }
        held = end - used;
        if (held > 0 && used > 0) buffer.copyWithin(0, used, end);
        this.#afterChunk(client, now);
      }
    } catch (error) {
      this.#lost(client, errorMessage(error));
    }
  }

  #beforeChunk(): number {
    const now = performance.now();
    this.#chunkNowUs = (now - this.#epoch) * 1000;
    this.#chunkWallS = Date.now() / 1000;
    return now;
  }

  #afterChunk(client: LoadClient, now: number): void {
    this.#marks.lastReceiveMs = this.#marks.lastProgressMs = now;
    switch (this.#phase) {
      case Phase.Run:
        if (client.index < this.#senderCount) this.#topUp(client);
        if (
          this.#counts.sendersDone >= this.#senderCount &&
          this.#counts.received >= this.#counts.messagesSent * this.#counts.connected
        ) {
          this.#marks.runEndMs = this.#marks.lastReceiveMs;
          this.#stop("done");
        }
        break;
      case Phase.Sync:
        if (this.#leader === undefined) this.#advanceSync();
        break;
    }
  }

  #malformed(client: LoadClient, why: string): void {
    this.#counts.invalidFrames++;
    this.#progress(`u${client.index}: malformed frame (${why}); dropping the connection`);
    this.#lost(client, "malformed frame");
  }

  /** Checks one frame in place, for {@linkcode scanFrames}. */
  readonly #onFrame: FrameHandler = (bytes, timestamp, userStart, textStart, textEnd) => {
    const client = this.#current!;
    if (!(timestamp >= this.#wallStartS - 2 && timestamp <= this.#chunkWallS + 2)) {
      this.#counts.invalidFrames++;
      return;
    }
    if (this.#leader !== undefined) {
      this.#onLeaderFrame(client, bytes, userStart, textStart, textEnd);
      return;
    }
    const index = userIndex(bytes, userStart, textStart - 4);
    const sender = index < 0 ? -1 : index - this.#firstIndex;
    const textSize = textEnd - textStart;
    if (textSize === SYNC_SIZE) {
      this.#onSync(client, sender, syncKind(bytes, textStart), readSyncRound(bytes, textStart));
      return;
    }
    if (textSize !== this.#size || this.#phase !== Phase.Run) {
      this.#counts.invalidFrames++;
      return;
    }
    const template = this.#template;
    for (let i = textStart + BODY_HEADER_SIZE, j = 4 + BODY_HEADER_SIZE; i < textEnd; i++, j++) {
      if (bytes[i] !== template[j]) {
        this.#counts.invalidFrames++;
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

  /**
   * Counts one frame of a run with a leader, where nothing but the leader's rounds
   * may arrive, each client receiving them in increasing order.
   */
  #onLeaderFrame(
    client: LoadClient,
    bytes: Uint8Array,
    userStart: number,
    textStart: number,
    textEnd: number,
  ): void {
    const leader = this.#leader!;
    let valid = textStart - 4 - userStart === leader.length && textEnd - textStart === SYNC_SIZE &&
      syncKind(bytes, textStart) === Sync.Sync;
    for (let i = 0; valid && i < leader.length; i++) valid = bytes[userStart + i] === leader[i];
    if (!valid && this.#counts.invalidFrames < 5) {
      const decoder = new TextDecoder();
      this.#progress(
        `u${this.#firstIndex + client.index}: a frame not from the leader: [${
          decoder.decode(bytes.subarray(userStart, textStart - 4))
        }] ${JSON.stringify(decoder.decode(bytes.subarray(textStart, textEnd)))}`,
      );
    }
    this.#onLeaderRound(client, valid ? readSyncRound(bytes, textStart) : -1);
  }

  /** Counts round `round` (-1: not a round) received by `client`. */
  #onLeaderRound(client: LoadClient, round: number): void {
    if (round <= client.lastRound || this.#phase === Phase.Done) {
      this.#counts.invalidFrames++; // not a round, a repeat, or out of order
      return;
    }
    client.lastRound = round;
    const count = (this.#roundCounts.get(round) ?? 0) + 1;
    if (count < this.#clientCount) {
      this.#roundCounts.set(round, count);
      return;
    }
    // Every client has it: an earlier round some client missed can no longer complete.
    for (const key of this.#roundCounts.keys()) if (key <= round) this.#roundCounts.delete(key);
    this.#onRound(round, performance.timeOrigin + this.#epoch + this.#chunkNowUs / 1000);
    if (this.#phase === Phase.Connect || this.#phase === Phase.Sync) {
      const now = performance.now();
      if (this.#marks.tcpConnectMs === 0) this.#marks.tcpConnectMs = now - this.#epoch;
      this.#marks.connectMs = now - this.#epoch;
      this.#progress(
        `${this.#clientCount} clients logged in after ${
          (this.#marks.connectMs / 1000).toFixed(3)
        } s (round ${round} of ${new TextDecoder().decode(this.#leader)})`,
      );
      this.#start();
    }
  }

  /** Checks one message decoded by `ClientDecoder`. */
  #onMessage(client: LoadClient, message: ChatMessage): void {
    const { timestamp, username, text } = message;
    if (!(timestamp >= this.#wallStartS - 2 && timestamp <= this.#chunkWallS + 2)) {
      this.#counts.invalidFrames++;
      return;
    }
    if (this.#leader !== undefined) {
      const isRound = username === new TextDecoder().decode(this.#leader) &&
        text.length === SYNC_SIZE && text.startsWith("#SYNC:");
      this.#onLeaderRound(client, isRound ? readDecimal(text, 6, SYNC_SIZE) : -1);
      return;
    }
    if (text.length === SYNC_SIZE) {
      const kind = text.startsWith("#SYNC:")
        ? Sync.Sync
        : text.startsWith("#FINL:")
        ? Sync.Final
        : Sync.Invalid;
      this.#onSync(
        client,
        username === this.#names[0] ? 0 : -1,
        kind,
        readDecimal(text, 6, SYNC_SIZE),
      );
      return;
    }
    if (
      text.length !== this.#size || this.#phase !== Phase.Run || !text.endsWith(this.#fillerTail)
    ) {
      this.#counts.invalidFrames++;
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
      this.#counts.invalidFrames++;
      return;
    }
    const pair = client.index * this.#senderCount + s;
    const fresh = q + 1 > this.#pairLast[pair]!;
    if (fresh) this.#pairLast[pair] = q + 1;
    else this.#counts.orderViolations++;
    this.#pairCount[pair]!++;
    this.#counts.received++;
    client.lastBodyUs = this.#chunkNowUs;
    this.#latency.record(this.#chunkNowUs - sent);
    if (client.index === s && fresh && client.inflight > 0) {
      if (--client.inflight === 0 && client.nextSeq === this.#messages) this.#counts.sendersDone++;
    }
  }

  #onSync(client: LoadClient, sender: number, kind: Sync, round: number): void {
    if (sender !== 0 || kind === Sync.Invalid || round < 0 || this.#phase !== Phase.Sync) {
      this.#counts.invalidFrames++; // also a sync message that arrives after the barrier
      return;
    }
    if (!client.registered) {
      client.registered = true;
      this.#counts.registered++;
    }
    if (kind === Sync.Final && round === this.#counts.finalRound % 1e6 && !client.gotFinal) {
      client.gotFinal = true;
      this.#counts.finals++;
    }
    if (client.index === 0 && round === this.#counts.syncRound % 1e6) this.#syncEchoed = true;
  }

  #startSync(): void {
    const now = performance.now();
    this.#marks.tcpConnectMs = now - this.#epoch;
    this.#progress(
      `${this.#clientCount} connections open, user names sent after ${
        (this.#marks.tcpConnectMs / 1000).toFixed(3)
      } s`,
    );
    if (!this.#sync) {
      this.#marks.connectMs = this.#marks.tcpConnectMs;
      this.#start();
      return;
    }
    this.#phase = Phase.Sync;
    this.#sendSync("SYNC");
    this.#nextSyncAt = now + this.#syncIntervalMs;
    this.#setTicker(1);
  }

  /** With a leader: every connection is open; the leader's rounds tell when all are in. */
  #awaitLeader(): void {
    this.#marks.tcpConnectMs = performance.now() - this.#epoch;
    this.#progress(
      `${this.#clientCount} connections open, user names sent after ${
        (this.#marks.tcpConnectMs / 1000).toFixed(3)
      } s; waiting for the rounds of ${new TextDecoder().decode(this.#leader)}`,
    );
    this.#phase = Phase.Sync;
  }

  /** Ends a hold now, as done; before the hold, the run is aborted. */
  #endHold(): void {
    if (this.#phase === Phase.Hold) {
      this.#marks.runEndMs = performance.now();
      this.#stop("done");
    } else {
      this.#stop("aborted");
    }
  }

  #sendSync(kind: "SYNC" | "FINL"): void {
    this.#counts.syncRound++;
    this.#syncEchoed = false;
    const text = `#${kind}:${String(this.#counts.syncRound % 1e6).padStart(6, "0")}`;
    const u0 = this.#clients[0]!;
    u0.output.append(encodeString(text));
    u0.output.flush();
  }

  #advanceSync(): void {
    const now = performance.now();
    if (!this.#finalSent && this.#counts.registered === this.#clientCount) {
      this.#marks.connectMs = now - this.#epoch;
      this.#progress(
        `${this.#clientCount} clients logged in after ${
          (this.#marks.connectMs / 1000).toFixed(3)
        } s (${this.#counts.syncRound} sync rounds)`,
      );
      this.#sendSync("FINL");
      this.#counts.finalRound = this.#counts.syncRound;
      this.#finalSent = true;
    } else if (!this.#finalSent && this.#syncEchoed && now >= this.#nextSyncAt) {
      this.#sendSync("SYNC");
      this.#nextSyncAt = now + this.#syncIntervalMs;
      this.#syncIntervalMs = Math.min(this.#syncIntervalMs * 2, LAST_SYNC_INTERVAL_MS);
    }
    if (this.#finalSent && this.#counts.finals === this.#clientCount) this.#start();
  }

  #start(): void {
    this.#marks.runStartMs = this.#marks.lastReceiveMs = this.#marks.lastProgressMs = performance
      .now();
    this.#lastStatusMs = this.#marks.runStartMs;
    this.#cpuStart = process.cpuUsage();
    this.#setTicker(20);
    if (this.#hold !== undefined) {
      this.#phase = Phase.Hold;
      this.#marks.holdEndMs = this.#marks.runStartMs + this.#hold * 1000;
      this.#progress(`holding ${this.#clientCount} clients for ${this.#hold} s`);
      this.#onHold();
      return;
    }
    this.#phase = Phase.Run;
    this.#progress(
      `running: ${this.#senderCount} senders × ${this.#messages} messages of ${this.#size} bytes, window ${this.#window}`,
    );
    for (let s = 0; s < this.#senderCount; s++) {
      if (this.#messages === 0) this.#counts.sendersDone++;
      else this.#topUp(this.#clients[s]!);
    }
    if (this.#counts.sendersDone >= this.#senderCount && this.#counts.messagesSent === 0) {
      this.#marks.runEndMs = this.#marks.runStartMs;
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
    this.#counts.messagesSent += count;
    this.#marks.lastProgressMs = now;
    client.output.flush();
  }

  #lost(client: LoadClient, why: string): void {
    if (!client.open) return;
    client.open = false;
    try {
      client.conn.close(); // also after the end: #closeAll closes only the open ones
    } catch {
      // already closed
    }
    if (this.#phase === Phase.Done) return;
    client.dropped = true;
    this.#counts.connected--;
    this.#counts.disconnects++;
    if (this.#counts.disconnects <= 5) {
      this.#progress(`client ${this.#names[client.index]} disconnected unexpectedly (${why})`);
    }
    const s = client.index;
    if (
      this.#phase === Phase.Run && s < this.#senderCount &&
      !(client.nextSeq === this.#messages && client.inflight === 0)
    ) {
      this.#counts.sendersDone++; // it can send no more
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
        if (this.#leader === undefined) this.#advanceSync();
        break;
      case Phase.Hold:
        if (now >= this.#marks.holdEndMs) {
          this.#marks.runEndMs = now;
          this.#stop("done");
        }
        break;
      case Phase.Run:
        if (now - this.#marks.lastProgressMs > this.#stallTimeoutMs) this.#stop("stall");
        else if (now - this.#lastStatusMs >= STATUS_INTERVAL_MS) this.#status(now);
        break;
    }
  }

  /** Tells `onStatus` how far the run has come. */
  #status(now: number): void {
    this.#lastStatusMs = now;
    const seconds = (now - this.#marks.runStartMs) / 1000;
    const due = this.#senderCount * this.#messages * this.#counts.connected;
    this.#onStatus(
      `${seconds.toFixed(0)} s: ${this.#counts.messagesSent} of ${
        this.#senderCount * this.#messages
      } messages sent, ${this.#counts.received} of ${due} deliveries, ${
        Math.round(this.#counts.received / Math.max(seconds, 0.001))
      }/s`,
    );
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
    const running = this.#marks.runStartMs > 0;
    const end = this.#marks.runEndMs > 0 ? this.#marks.runEndMs : performance.now();
    const elapsedS = running ? (end - this.#marks.runStartMs) / 1000 : 0;
    const senders = this.#senderCount;
    let lost = 0;
    const rates: number[] = [];
    for (let r = 0; r < this.#clientCount; r++) {
      const receiver = this.#clients[r];
      if (receiver === undefined || receiver.dropped) continue;
      let received = 0;
      for (let s = 0; s < senders; s++) {
        const want = this.#clients[s]!.nextSeq;
        const got = this.#pairCount[r * senders + s]!;
        received += got;
        if (got < want) lost += want - got;
      }
      // Its own rate: what it received over the time it took, from the start of the run.
      const ownS = (receiver.lastBodyUs / 1000 - this.#marks.runStartMs + this.#epoch) / 1000;
      rates.push(received > 0 && ownS > 0 ? received / ownS : 0);
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
      messagesSent: this.#counts.messagesSent,
      deliveriesExpected: this.#counts.messagesSent * this.#counts.connected,
      deliveriesReceived: this.#counts.received,
      lost,
      orderViolations: this.#counts.orderViolations,
      invalidFrames: this.#counts.invalidFrames,
      disconnects: this.#counts.disconnects,
      connectFailures: this.#counts.connectFailures,
      completed,
      stopReason: this.#stopReason,
      ok: completed && lost === 0 && this.#counts.orderViolations === 0 &&
        this.#counts.invalidFrames === 0 &&
        this.#counts.disconnects === 0 && this.#counts.connectFailures === 0,
      elapsedS,
      messagesPerS: elapsedS > 0 ? this.#counts.messagesSent / elapsedS : 0,
      deliveriesPerS: elapsedS > 0 ? this.#counts.received / elapsedS : 0,
      perClient: {
        min: rates.length === 0 ? 0 : Math.min(...rates),
        avg: rates.length === 0 ? 0 : rates.reduce((a, b) => a + b, 0) / rates.length,
        max: rates.length === 0 ? 0 : Math.max(...rates),
      },
      latencyUs: {
        p50: latency.percentile(0.5),
        p90: latency.percentile(0.9),
        p99: latency.percentile(0.99),
        max: latency.max,
      },
      latencySamples: latency.count,
      connectS: this.#marks.connectMs / 1000,
      tcpConnectS: this.#marks.tcpConnectMs / 1000,
      syncRounds: this.#counts.syncRound,
      cpuS: this.#cpuS,
      cpuUtil: elapsedS > 0 ? this.#cpuS / elapsedS : 0,
    };
  }
}
