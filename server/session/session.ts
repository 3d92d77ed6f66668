/**
 * One client connection, from any door: it reads and decodes what the client
 * sends, and, once logged in, writes the room's log to the client from its own
 * cursor on.
 *
 * @module
 */

import { ProtocolError } from "../../protocol/errors.ts";
import { encodeString } from "../../protocol/encode.ts";
import { ServerDecoder, type ServerDecoderSink } from "../../protocol/server_decoder.ts";
import type { Admitted } from "./admission.ts";
import type { Link, LinkOrigin } from "./link.ts";
import { TokenBucket } from "./rate_limit.ts";
import { describeTlsError } from "../doors/tls_door.ts";
import { closeForProtocolError } from "../doors/websocket_link.ts";
import { ReadGate } from "../room/read_gate.ts";
import { voiceFrame } from "./voice.ts";
import type { Member, Room } from "../room/room.ts";
import { errorMessage } from "../../cli/error_message.ts";

/**
 * Why the server ended a connection, and how loudly to log it. (The client's
 * `SessionEnd`, in client/session_end.ts, is how a client command's session
 * ended: another thing, hence another name.)
 */
export interface DisconnectReason {
  /** What happened, for the log: "left", "login timeout", ... */
  readonly text: string;
  /** `warn` for a peer's misbehaviour, `info` for ordinary departures. */
  readonly level: "info" | "warn" | "debug";
  /** What ended it, for those who count or announce departures. */
  readonly cause?: DisconnectCause;
}

/** What ended a connection, for those who count or announce departures. */
export type DisconnectCause =
  | "left"
  | "evicted"
  | "login timeout"
  | "slow consumer"
  | "protocol error"
  | "name taken";

/** @deprecated Use {@linkcode DisconnectReason}: the old name, kept for the modules that import it. */
export type SessionEnd = DisconnectReason;

/** What a session needs from the server that owns it. */
export interface SessionHost {
  /** The limits for the decoder. */
  readonly limits: { readonly maxUsernameSize: number; readonly maxMessageSize: number };
  /** Messages per second and burst per connection; `rate` 0 turns the limit off. */
  readonly rate: { readonly rate: number; readonly burst: number };
  /** The room the session joins once logged in. */
  readonly room: Room;
  /** Bytes read from and written to clients so far; sessions add to them. */
  readonly traffic: { bytesIn: number; bytesOut: number };
  /**
   * Decides whether a login may proceed.
   *
   * @returns `undefined` to let it in, or why not: the text for the log and the
   * frame the newcomer receives before it is closed; or a promise of either (a
   * claim across a cluster), during which the session reads nothing more.
   */
  refuseLogin(
    username: string,
  ): LoginRefusal | undefined | Promise<LoginRefusal | undefined>;
  /** A login let in by {@linkcode refuseLogin} was closed before it could join. */
  loginAbandoned(username: string): void;
  /** The session logged in (it is in the room already). */
  loggedIn(session: Session): void;
  /** The session received a message (its bytes are valid during the call only). */
  received(session: Session, sender: Uint8Array, text: Uint8Array): void;
  /** The session closed its connection. */
  closed(session: Session, reason: DisconnectReason): void;
  /** The session is closed and nothing of it runs any more: no read, no write. */
  ended(session: Session): void;
  /** The bytes the session holds for reads grew (or shrank, when negative). */
  readBuffer(delta: number): void;
}

/** Why a login is refused: the text for the log and the frame for the newcomer. */
export interface LoginRefusal {
  /** The reason, for the log. */
  readonly text: string;
  /** The frame the newcomer receives before it is closed. */
  readonly frame: Uint8Array;
}

// Idle connections dominate a chat server's memory: each keeps one read pending, and
// that read holds its buffer. Reads start small and grow fourfold while they fill the
// buffer; a read that does not fill it means the client paused, and the next read
// goes back to at most SETTLED_READ_SIZE, so a connection that sent a burst and went
// quiet costs what an idle one does.
const MIN_READ_SIZE = 64;
const SETTLED_READ_SIZE = 1024;
const MAX_READ_SIZE = 64 * 1024;
// Private frames (answers to /who) a session holds at most; more are not queued.
const MAX_PRIVATE_FRAMES = 4;

/**
 * A write in flight this long means the client's socket takes no data: it is
 * refusing, as much as after a partial write.
 */
export const STALL_MS = 250;

// The first four bytes of an HTTP request (RFC 9110 methods, and HTTP/2's "PRI *"):
// read as a login's size they are over a gigabyte, so no client sends them.
const HTTP_START = /^(GET |HEAD|POST|PUT |DELE|CONN|OPTI|TRAC|PATC|PRI )/;

const NO_BYTES = new Uint8Array(0);

/** The end of a connection that spoke HTTP to the chat port. */
export const LOOKS_LIKE_HTTP: DisconnectReason = {
  text: "looks like HTTP (a browser or curl pointed at the chat port; " +
    "the web page is served by --web)",
  level: "info",
  cause: "protocol error",
};

/** The end of a connection that began a TLS handshake on the plain port. */
export const LOOKS_LIKE_TLS: DisconnectReason = {
  text: "looks like TLS (a TLS client pointed at the plain port; TLS is served by --tls)",
  level: "info",
  cause: "protocol error",
};

/**
 * Whether the first bytes of a connection are a TLS handshake record (`16 03`):
 * read as a login's size they are over 350 MB, so no chat client sends them.
 *
 * @param head The first bytes read, at least two for a yes.
 * @returns `true` for the start of a TLS ClientHello.
 */
export function looksLikeTls(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x16 && head[1] === 0x03;
}

/**
 * What a client is told, from `*`, before its connection is closed for a
 * protocol error (the *Why* extension): its own words, without the codec's
 * prefix.
 *
 * @example
 * ```ts
 * import { whyText } from "./session.ts";
 * import { ProtocolError } from "../../protocol/errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ProtocolError(
 *   "SIZE_LIMIT",
 *   "Cannot decode frame: message size 40 exceeds the limit of 20 bytes",
 * );
 * assert.equal(whyText(error), "message of 40 bytes over the limit of 20");
 * ```
 *
 * @param error What the decoder threw.
 * @returns One line for the client.
 */
export function whyText(error: ProtocolError): string {
  const size = /(message|user name) size (\d+) exceeds the limit of (\d+)/.exec(error.message) ??
    /(user name): its size (\d+) exceeds the limit of (\d+)/.exec(error.message);
  if (size !== null) return `${size[1]} of ${size[2]} bytes over the limit of ${size[3]}`;
  return error.message.replace(/^Cannot decode frame: /, "").replace(
    /^Invalid user name/,
    "invalid user name",
  );
}

/**
 * Whether the first bytes of a connection are the start of an HTTP request.
 *
 * @param head The first bytes read, at least four for a yes.
 * @returns `true` for `GET `, `POST`, `HEAD` and the other methods.
 */
export function looksLikeHttp(head: Uint8Array): boolean {
  return head.length >= 4 && HTTP_START.test(String.fromCharCode(...head.subarray(0, 4)));
}

function describe(error: unknown): DisconnectReason {
  const tls = describeTlsError(error);
  if (tls !== undefined) return { text: tls, level: "info", cause: "protocol error" };
  if (error instanceof ProtocolError) {
    return {
      text: `protocol error: ${error.message} (${error.code})`,
      level: "warn",
      cause: "protocol error",
    };
  }
  if (error instanceof Deno.errors.ConnectionReset) {
    return { text: "connection reset by peer", level: "info" };
  }
  if (error instanceof Deno.errors.BrokenPipe) return { text: "connection lost", level: "info" };
  const message = errorMessage(error);
  return { text: `connection error: ${message}`, level: "warn" };
}

function nextReadSize(size: number, read: number): number {
  if (read === size) return size < MAX_READ_SIZE ? size * 4 : size;
  let next = MIN_READ_SIZE;
  while (next <= read && next < SETTLED_READ_SIZE) next *= 4;
  return Math.min(next, size);
}

/**
 * A client connection, from accept to close. It is the decoder's sink (login,
 * message) and, once logged in, a member of the room. Before each read it passes
 * its read gate: its own rate limit, and the room's gate (the room's back-pressure,
 * a congested backplane).
 */
export class Session implements ServerDecoderSink, Member {
  readonly #link: Link;
  readonly #origin: LinkOrigin;
  readonly #host: SessionHost;
  readonly #decoder: ServerDecoder;
  /** The connection's place in the server's limits, from its door's admission. */
  readonly entry: Admitted;
  /** The user name, once logged in. */
  username: string | undefined;
  /** Room member: set by the room while a write is due or in flight. */
  scheduled = false;
  /** Room member: the log position at which it joined (history before it). */
  joinedAt = 0;
  /** Room member: where its next private frame is due; `Infinity` when none is. */
  privateAt = Infinity;
  // Frames for this client alone, each due at a log position; undefined when none.
  #private: { frame: Uint8Array; readonly at: number }[] | undefined;
  // The user name as a string field, ready to copy into each frame.
  #sender: Uint8Array | undefined;
  #cursor = 0;
  #closed = false;
  // The connection's first bytes, kept until there are four: an HTTP request's
  // method tells a browser from a chat client when the login fails.
  #head: Uint8Array | undefined = NO_BYTES;
  #running = 1; // the read loop, and a write while one is in flight
  #gate: ReadGate | undefined; // made when the rate limit first pauses reads
  #bucket: TokenBucket | undefined;
  #rateTimer: ReturnType<typeof setTimeout> | undefined;
  // Messages read past the rate, copied, waiting for their tokens (one read's worth).
  #held: Uint8Array[] | undefined;
  // Messages read while the login's claim is decided; undefined otherwise.
  #early: Uint8Array[] | undefined;
  #writeStartedAt = 0;
  #lastWritePartial = false;
  #last = false; // a last frame (why it is closed) is being written
  #wake: (() => void) | undefined; // ends a wait for the room's gate when closing

  /**
   * @param link The client's connection.
   * @param origin Its door and address.
   * @param entry Its place in the server's limits.
   * @param host The server that owns it.
   */
  constructor(link: Link, origin: LinkOrigin, entry: Admitted, host: SessionHost) {
    this.#link = link;
    this.#origin = origin;
    this.entry = entry;
    this.#host = host;
    this.#decoder = new ServerDecoder(this, host.limits);
  }

  /** The peer's address, as `host:port`. */
  get peer(): string {
    return this.#origin.peer;
  }

  /** The door the client came through. */
  get door(): string {
    return this.#origin.door;
  }

  /** Whether the connection is closed, or about to be (its last frame going out). */
  get closed(): boolean {
    return this.#closed || this.#last;
  }

  /** Room member: the log position up to which this session has written. */
  get cursor(): number {
    return this.#cursor;
  }

  /**
   * Room member: whether the client's socket refuses data: its last write was
   * partial, or a write has been in flight for {@linkcode STALL_MS} or more.
   */
  refusing(now: number): boolean {
    return this.#lastWritePartial ||
      (this.#writeStartedAt !== 0 && now - this.#writeStartedAt >= STALL_MS);
  }

  /** Reads the connection until it ends; never throws. */
  async run(): Promise<void> {
    let buffer = new Uint8Array(MIN_READ_SIZE);
    this.#host.readBuffer(MIN_READ_SIZE);
    const roomGate = this.#host.room.gate;
    try {
      while (true) {
        if (this.#gate !== undefined && !this.#gate.isOpen) await this.#gate.wait();
        if (this.username !== undefined && !roomGate.isOpen) await this.#waitFor(roomGate);
        if (this.#closed) return;
        const read = await this.#link.read(buffer);
        if (this.#closed) return;
        if (read === null) {
          const failure = this.#link.failure;
          if (failure !== undefined) {
            this.close({
              text: `protocol error: ${failure}`,
              level: "warn",
              cause: "protocol error",
            });
            return;
          }
          this.#decoder.end();
          this.close({ text: "left", level: "info", cause: "left" });
          return;
        }
        this.#host.traffic.bytesIn += read;
        if (this.#head !== undefined) this.#keepHead(buffer.subarray(0, read));
        this.#decoder.push(read === buffer.length ? buffer : buffer.subarray(0, read));
        if (this.#closed) return;
        if (this.#held !== undefined && this.#rateTimer === undefined) this.#holdReads();
        const size = nextReadSize(buffer.length, read);
        if (size !== buffer.length) {
          this.#host.readBuffer(size - buffer.length);
          buffer = new Uint8Array(size);
        }
      }
    } catch (error) {
      // A read interrupted by our own close is not news.
      if (this.#closed) return;
      if (!(error instanceof ProtocolError)) {
        this.close(describe(error));
      } else if (this.#link.closeWith !== undefined) {
        // A WebSocket says why in its close frame.
        const { code, reason } = closeForProtocolError(error);
        this.#link.closeWith(code, reason);
        this.close(describe(error));
      } else if (this.#head !== undefined && looksLikeHttp(this.#head)) {
        this.close(LOOKS_LIKE_HTTP);
      } else if (this.#head !== undefined && looksLikeTls(this.#head)) {
        // A voice frame starts with a zero byte: no TLS record, so a TLS client
        // stops at once and says the server does not speak TLS.
        this.#closeSaying(LOOKS_LIKE_TLS, "this port does not speak TLS: connect without --tls");
      } else {
        this.#closeSaying(describe(error), whyText(error));
      }
    } finally {
      this.#host.readBuffer(-buffer.length);
      this.#stopped();
    }
  }

  #keepHead(bytes: Uint8Array): void {
    const head = this.#head!;
    const kept = new Uint8Array(Math.min(4, head.length + bytes.length));
    kept.set(head);
    kept.set(bytes.subarray(0, kept.length - head.length), head.length);
    this.#head = kept;
    // Four bytes decide; a logged-in session never needs them.
    if (kept.length === 4 && !looksLikeHttp(kept) && !looksLikeTls(kept)) this.#head = undefined;
  }

  /** Decoder sink: the client logged in. */
  login(username: string): void {
    const refusal = this.#host.refuseLogin(username);
    if (refusal instanceof Promise) {
      // Nothing more is read, and what was read already waits, until it is decided.
      this.#early = [];
      (this.#gate ??= new ReadGate()).close("claim");
      refusal.then((decided) => {
        const early = this.#early!;
        this.#early = undefined;
        if (this.#closed) {
          if (decided === undefined) this.#host.loginAbandoned(username);
          return;
        }
        if (decided !== undefined) {
          this.#refuse(decided.text, decided.frame);
          return;
        }
        this.#enter(username);
        for (const text of early) {
          this.message(text);
          if (this.#closed) return;
        }
        this.#gate!.open("claim");
        if (this.#held !== undefined && this.#rateTimer === undefined) this.#holdReads();
      });
      return;
    }
    if (refusal !== undefined) {
      this.#refuse(refusal.text, refusal.frame);
      return;
    }
    this.#enter(username);
  }

  #enter(username: string): void {
    this.username = username;
    this.#sender = encodeString(username);
    this.#cursor = this.#host.room.join(this);
    this.#host.loggedIn(this);
    this.#host.room.welcome(this);
  }

  /** Decoder sink: the client sent a message. */
  message(text: Uint8Array): void {
    if (this.#early !== undefined) {
      this.#early.push(text.slice()); // the login's claim is being decided
      return;
    }
    if (this.#sender === undefined) return; // a refused login, being closed
    const { rate, burst } = this.#host.rate;
    // The bucket is made with the first message: an idle client costs nothing here.
    const bucket = rate > 0
      ? this.#bucket ??= new TokenBucket(rate, burst, performance.now())
      : undefined;
    if (bucket !== undefined && (this.#held !== undefined || !bucket.take(performance.now()))) {
      if (this.#link.pausable === false) {
        // Its reads cannot be paused: past its burst, it goes.
        this.#link.closeWith?.(1008, "Message rate exceeded");
        this.close({ text: "message rate exceeded", level: "warn", cause: "protocol error" });
        return;
      }
      (this.#held ??= []).push(text.slice());
      return;
    }
    this.#host.received(this, this.#sender!, text);
  }

  /** Room member: writes the next committed bytes from the cursor on, once. */
  async write(): Promise<void> {
    const room = this.#host.room;
    const cursor = this.#cursor;
    let bytes: Uint8Array | undefined;
    let own = false; // a private frame, not the log
    if (this.#closed || this.#last) {
      bytes = undefined;
    } else if (cursor >= this.privateAt) {
      bytes = this.#private![0]!.frame;
      own = true;
    } else {
      bytes = room.log.read(cursor);
      // Stop where the next private frame is due.
      if (bytes !== undefined && cursor + bytes.length > this.privateAt) {
        bytes = bytes.subarray(0, this.privateAt - cursor);
      }
    }
    if (bytes !== undefined) {
      this.#running++;
      this.#writeStartedAt = performance.now();
      try {
        // A partial write just moves the cursor less far; the rest goes next time.
        const written = await this.#link.write(bytes);
        if (own) this.#wrotePrivate(written);
        else this.#cursor += written;
        this.#host.traffic.bytesOut += written;
        this.#lastWritePartial = written < bytes.length;
      } catch (error) {
        if (!this.#closed) this.close(describe(error));
      }
      this.#writeStartedAt = 0;
      this.#stopped();
    }
    room.written(this);
  }

  /** Whether one more private frame would be queued (none is while it holds its maximum). */
  canQueuePrivate(): boolean {
    return (this.#private?.length ?? 0) < MAX_PRIVATE_FRAMES;
  }

  /** Room member: queues a frame for this client alone, due at log position `at`. */
  queuePrivate(frame: Uint8Array, at: number): boolean {
    const queue = this.#private ??= [];
    if (queue.length >= MAX_PRIVATE_FRAMES) return false;
    queue.push({ frame, at });
    if (queue.length === 1) this.privateAt = at;
    return true;
  }

  /** Room member: disconnects this session for lagging `lag` bytes behind. */
  dropSlow(lag: number): void {
    this.close({
      text: `slow consumer: ${lag} bytes behind`,
      level: "warn",
      cause: "slow consumer",
    });
  }

  /**
   * Closes the connection, once; what it has not written yet is dropped.
   *
   * @param reason Why, for the log.
   */
  close(reason: DisconnectReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#rateTimer);
    this.#gate?.release();
    this.#wake?.();
    try {
      this.#link.close();
    } catch {
      // Already closed by the runtime.
    }
    this.#host.closed(this, reason);
  }

  #wrotePrivate(written: number): void {
    const queue = this.#private!;
    const head = queue[0]!;
    if (written < head.frame.length) {
      head.frame = head.frame.subarray(written);
      return;
    }
    queue.shift();
    if (queue.length > 0) {
      this.privateAt = queue[0]!.at;
    } else {
      this.#private = undefined;
      this.privateAt = Infinity;
    }
  }

  // A refused login: the client receives `frame`, then the connection is closed.
  #refuse(text: string, frame: Uint8Array): void {
    this.#closeAfter({ text: `login refused: ${text}`, level: "info", cause: "name taken" }, frame);
  }

  // The client is told why in one frame from `*` (when nothing of the log is half
  // written), then the connection is closed.
  #closeSaying(reason: DisconnectReason, why: string): void {
    if (this.#writeStartedAt !== 0 || this.#lastWritePartial) this.close(reason);
    else this.#closeAfter(reason, voiceFrame(why));
  }

  // Writes `frame` (for at most STALL_MS: a peer that does not read gets nothing
  // more), then closes; the room writes nothing more meanwhile.
  async #closeAfter(reason: DisconnectReason, frame: Uint8Array): Promise<void> {
    this.#running++;
    this.#last = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<void>((resolve) => timer = setTimeout(resolve, STALL_MS));
    const written = (async () => {
      for (let at = 0; at < frame.length && !this.#closed;) {
        const count = await this.#link.write(frame.subarray(at));
        this.#host.traffic.bytesOut += count;
        at += count;
      }
    })().catch(() => {});
    await Promise.race([written, stalled]);
    clearTimeout(timer);
    this.close(reason);
    this.#stopped();
  }

  #waitFor(gate: ReadGate): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      gate.wait().then(resolve);
    }).finally(() => this.#wake = undefined);
  }

  // Past its rate: no more reads until the messages held have gone out at the rate.
  #holdReads(): void {
    const gate = this.#gate ??= new ReadGate();
    gate.close("rate");
    const release = () => {
      this.#rateTimer = undefined;
      const bucket = this.#bucket!;
      const held = this.#held!;
      let sent = 0;
      while (sent < held.length && bucket.take(performance.now())) {
        this.#host.received(this, this.#sender!, held[sent++]!);
        if (this.#closed) return;
      }
      if (sent < held.length) {
        held.splice(0, sent);
        this.#rateTimer = setTimeout(release, bucket.delay(performance.now()));
      } else {
        this.#held = undefined;
        gate.open("rate");
      }
    };
    this.#rateTimer = setTimeout(release, this.#bucket!.delay(performance.now()));
  }

  #stopped(): void {
    if (--this.#running === 0) this.#host.ended(this);
  }
}
