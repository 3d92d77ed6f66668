/**
 * One client connection, from any door: it reads and decodes what the client
 * sends, and, once logged in, writes the room's log to the client from its own
 * cursor on.
 *
 * @module
 */

import { ProtocolError } from "../../protocol/errors.ts";
import { encodeString } from "../../protocol/encode.ts";
import { SCRAM_LOGIN } from "../../protocol/scram.ts";
import { AuthPhase } from "./auth_phase.ts";
import { ServerDecoder, type ServerDecoderSink } from "../../protocol/server_decoder.ts";
import type { Admitted } from "./admission.ts";
import type { Link, LinkOrigin } from "./link.ts";
import { RatePacer } from "./rate_limit.ts";
import { closeForProtocolError } from "../doors/websocket_link.ts";
import { ReadGate } from "../room/read_gate.ts";
import { voiceFrame, writeLastFrame } from "./voice.ts";
import { PrivateFrames } from "./private_frames.ts";
import { MIN_READ_SIZE, nextReadSize } from "./read_size.ts";
import type { Member } from "../room/room.ts";
import {
  describe,
  keepHead,
  LOOKS_LIKE_HTTP,
  LOOKS_LIKE_TLS,
  looksLikeHttp,
  looksLikeTls,
  whyText,
} from "./disconnect.ts";
import type { DisconnectReason, SessionHost } from "./session_host.ts";
import { STALL_MS, WriteWatch } from "./write_watch.ts";

export { LOOKS_LIKE_HTTP, looksLikeHttp, looksLikeTls, whyText } from "./disconnect.ts";

const NO_BYTES = new Uint8Array(0);

/**
 * A client connection, from accept to close. It is the decoder's sink (login,
 * message) and, once logged in, a member of the room. Before each read it passes
 * its read gate: its own rate limit, and the room's gate (the room's back-pressure,
 * a congested backplane).
 */
export class Session implements ServerDecoderSink, Member {
  readonly #link: Link;
  readonly #origin: LinkOrigin;
  readonly #host: SessionHost<Session>;
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
  #private: PrivateFrames | undefined;
  // The user name as a string field for each frame; made with the first message.
  #sender: Uint8Array | undefined;
  #cursor = 0;
  #closed = false;
  #buffer = new Uint8Array(MIN_READ_SIZE); // the next read's
  #grown = false; // the last read grew #buffer
  // The connection's first bytes, kept until there are four: an HTTP request's
  // method tells a browser from a chat client when the login fails.
  #head: Uint8Array | undefined = NO_BYTES;
  #running = 1; // the read loop, and a write while one is in flight
  #gate: ReadGate | undefined; // made when the rate limit first pauses reads
  #rate: RatePacer | undefined; // made with the first message: an idle client costs nothing
  // Messages read while the login's claim is decided; undefined otherwise.
  #early: Uint8Array[] | undefined;
  #writes: WriteWatch | undefined; // made with the first write
  #last = false; // a last frame (why it is closed) is being written
  #wake: (() => void) | undefined; // ends a wait for the room's gate when closing
  #auth: AuthPhase | undefined; // an authentication under way (accounts)

  /** A session on `link` (from `origin`), holding `entry` in the limits, owned by `host`. */
  constructor(link: Link, origin: LinkOrigin, entry: Admitted, host: SessionHost<Session>) {
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

  /** Room member: whether the client's socket refuses data (see {@linkcode WriteWatch}). */
  refusing(now: number): boolean {
    return this.#writes?.refusing(now) ?? false;
  }

  /**
   * Reads the connection until it ends; never throws. Its frame is held by every
   * idle connection: what it does per read lives in small methods beside it.
   */
  async run(): Promise<void> {
    this.#host.readBuffer(this.#buffer.length);
    try {
      if (!this.#host.opening.isOpen) await this.#waitFor(this.#host.opening);
      while (true) {
        const gate = this.#closedGate();
        if (gate !== undefined) await this.#waitFor(gate);
        if (this.#closed) return;
        const read = await this.#link.read(this.#buffer);
        if (this.#closed || this.#took(read)) return;
      }
    } catch (error) {
      this.#failed(error);
    } finally {
      this.#host.readBuffer(-this.#buffer.length);
      this.#stopped();
    }
  }

  // The gate that holds the next read back: the rate's, the claim's, the room's.
  #closedGate(): ReadGate | undefined {
    if (this.#gate !== undefined && !this.#gate.isOpen) return this.#gate;
    const room = this.#host.room.gate;
    return this.username !== undefined && !room.isOpen ? room : undefined;
  }

  // A read's result: the bytes decoded, the next buffer sized; true when it is over.
  #took(read: number | null): boolean {
    if (read === null) {
      this.#ended();
      return true;
    }
    const buffer = this.#buffer;
    const bytes = read === buffer.length ? buffer : buffer.subarray(0, read);
    this.#host.traffic.bytesIn += read;
    if (this.#head !== undefined) this.#head = keepHead(this.#head, bytes);
    this.#decoder.push(bytes);
    if (this.#closed) return true;
    this.#pace();
    const size = nextReadSize(buffer.length, read, this.#grown);
    this.#grown = size > buffer.length;
    if (size !== buffer.length) {
      this.#host.readBuffer(size - buffer.length);
      this.#buffer = new Uint8Array(size);
    }
    return false;
  }

  // The stream ended: the client left, or its link failed in its own terms.
  #ended(): void {
    const failure = this.#link.failure;
    if (failure !== undefined) {
      this.close({ text: `protocol error: ${failure}`, level: "warn", cause: "protocol error" });
      return;
    }
    this.#decoder.end();
    this.close({ text: "left", level: "info", cause: "left" });
  }

  // A read or the decoder failed: the client is told why when it can hear it.
  #failed(error: unknown): void {
    // A read interrupted by our own close is not news.
    if (this.#closed) return;
    if (!(error instanceof ProtocolError)) {
      this.close(this.#describe(error));
    } else if (this.#link.closeWith !== undefined) {
      // A WebSocket says why in its close frame.
      const { code, reason } = closeForProtocolError(error);
      this.#link.closeWith(code, reason);
      this.close(this.#describe(error));
    } else if (this.#head !== undefined && looksLikeHttp(this.#head)) {
      this.close(LOOKS_LIKE_HTTP);
    } else if (this.#head !== undefined && looksLikeTls(this.#head)) {
      // A voice frame starts with a zero byte: no TLS record, so a TLS client
      // stops at once and says the server does not speak TLS.
      this.#closeSaying(LOOKS_LIKE_TLS, "this port does not speak TLS: connect without --tls");
    } else {
      this.#closeSaying(this.#describe(error), whyText(error));
    }
  }

  /** Decoder sink: the client logged in (or, with the accounts marker, starts to). */
  login(username: string): void {
    if (username !== SCRAM_LOGIN) return this.#claim(username, false);
    const gate = this.#gate ??= new ReadGate();
    const fail = (reason: DisconnectReason, why: string) => this.#closeSaying(reason, why);
    this.#auth = AuthPhase.start(this.#host.authenticate?.(this), this.#link, {
      gate,
      traffic: this.#host.traffic,
      closed: () => this.closed,
      fail,
      proven: (name) => this.#claim(name, true),
    });
  }

  #claim(username: string, proven: boolean): void {
    const refusal = this.#host.refuseLogin(username, proven);
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
        this.#pace();
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
    this.#cursor = this.#host.room.join(this);
    this.#host.loggedIn(this);
    this.#host.room.welcome(this);
  }

  /** Decoder sink: the client sent a message. */
  message(text: Uint8Array): void {
    if (this.#auth?.active) return this.#auth.message(text);
    if (this.#early !== undefined) {
      this.#early.push(text.slice()); // the login's claim is being decided
      return;
    }
    if (this.username === undefined) return; // a refused login, being closed
    const { rate, burst } = this.#host.rate;
    if (
      rate > 0 && !(this.#rate ??= new RatePacer(rate, burst, performance.now())).pass(
        text,
        performance.now(),
      )
    ) {
      if (this.#link.pausable === false) {
        // Its reads cannot be paused: past its burst, it goes.
        this.#link.closeWith?.(1008, "Message rate exceeded");
        this.close({ text: "message rate exceeded", level: "warn", cause: "protocol error" });
      }
      return;
    }
    this.#host.received(this, this.#sender ??= encodeString(this.username), text);
  }

  /**
   * Room member: writes the next committed bytes from the cursor on, once. No
   * async function: a write per member per batch is the server's hottest path, and
   * two callbacks cost less than a suspended frame.
   */
  write(): void {
    const cursor = this.#cursor;
    let bytes: Uint8Array | undefined;
    let own = false; // a private frame, not the log
    if (this.#closed || this.#last) {
      bytes = undefined;
    } else if (cursor >= this.privateAt) {
      bytes = this.#private!.head;
      own = true;
    } else {
      bytes = this.#host.room.log.read(cursor);
      // Stop where the next private frame is due.
      if (bytes !== undefined && cursor + bytes.length > this.privateAt) {
        bytes = bytes.subarray(0, this.privateAt - cursor);
      }
    }
    if (bytes === undefined) {
      this.#host.room.written(this);
      return;
    }
    this.#running++;
    (this.#writes ??= new WriteWatch()).started();
    const size = bytes.length;
    let pending: Promise<number>;
    try {
      pending = this.#link.write(bytes);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (written) => {
        // A partial write just moves the cursor less far; the rest goes next time.
        if (own) this.#wrotePrivate(written);
        else this.#cursor += written;
        this.#host.traffic.bytesOut += written;
        this.#writes!.wrote(written, size);
        this.#writeEnded();
      },
      (error) => {
        if (!this.#closed) this.close(this.#describe(error));
        this.#writeEnded();
      },
    );
  }

  #writeEnded(): void {
    this.#writes!.ended();
    this.#stopped();
    this.#host.room.written(this);
  }

  /**
   * Presence: this member's name was lost (taken elsewhere while this node was
   * away): it is told why, from `*`, and disconnected.
   */
  dismiss(why: string): void {
    if (this.#closed || this.#last) return;
    this.#closeSaying({ text: `name lost: ${why}`, level: "warn", cause: "name taken" }, why);
  }

  /** Whether one more private frame would be queued (none is while it holds its maximum). */
  canQueuePrivate(): boolean {
    return this.#private?.full !== true;
  }

  /** Room member: queues a frame for this client alone, due at log position `at`. */
  queuePrivate(frame: Uint8Array, at: number): boolean {
    const queue = this.#private ??= new PrivateFrames();
    if (!queue.push(frame, at)) return false;
    this.privateAt = queue.dueAt;
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

  /** Closes the connection, once, saying `reason` in the log; nothing more is written. */
  close(reason: DisconnectReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rate?.stop();
    this.#auth?.stop();
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
    if (this.#private!.wrote(written)) this.#private = undefined;
    this.privateAt = this.#private?.dueAt ?? Infinity;
  }

  // A refused login: the client receives `frame`, then the connection is closed.
  #refuse(text: string, frame: Uint8Array): void {
    this.#closeAfter({ text: `login refused: ${text}`, level: "info", cause: "name taken" }, frame);
  }

  // The client is told why in one frame from `*` (when nothing of the log is half
  // written), then the connection is closed.
  #closeSaying(reason: DisconnectReason, why: string): void {
    if (this.#writes?.busy) this.close(reason);
    else this.#closeAfter(reason, voiceFrame(why));
  }

  // Writes `frame` (for at most STALL_MS: a peer that does not read gets nothing
  // more), then closes; the room writes nothing more meanwhile.
  async #closeAfter(reason: DisconnectReason, frame: Uint8Array): Promise<void> {
    this.#running++;
    this.#last = true;
    const traffic = this.#host.traffic;
    await writeLastFrame(
      this.#link,
      frame,
      STALL_MS,
      (count) => traffic.bytesOut += count,
      () => this.#closed,
    );
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
  #pace(): void {
    if (this.#rate?.due !== true) return;
    this.#rate.pace(this.#gate ??= new ReadGate(), (text) => {
      this.#host.received(this, this.#sender!, text);
      return !this.#closed;
    });
  }

  #describe(error: unknown): DisconnectReason {
    return describe(error, (fault) => this.#link.describeError?.(fault));
  }

  #stopped(): void {
    if (--this.#running === 0) this.#host.ended(this);
  }
}
