/**
 * A WebSocket seen as a {@linkcode Link}: the bytes of binary messages in, one
 * server frame per message out.
 *
 * @module
 */

import type { Link } from "../session/link.ts";
import type { ProtocolError } from "../../protocol/errors.ts";
import { readU32 } from "../../protocol/integers.ts";

/**
 * Close codes a session uses on a WebSocket (RFC 6455, section 7.4.1).
 *
 * @example The code for a sender past its rate burst
 * ```ts
 * import { CloseCode } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CloseCode.PolicyViolation, 1008); // link.closeWith(1008, "Sending too fast")
 * ```
 */
export const CloseCode = {
  /** The session ended normally. */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** The peer broke the protocol (a bad frame, a bad user name). */
  ProtocolError: 1002,
  /** The peer sent a kind of message the server does not take (text). */
  UnsupportedData: 1003,
  /** The peer sent bytes that are not UTF-8 where text was due. */
  InvalidPayload: 1007,
  /** The peer broke a rule of the server (its rate burst). */
  PolicyViolation: 1008,
  /** One message was larger than the server takes. */
  MessageTooBig: 1009,
  /** The server failed. */
  InternalError: 1011,
  /** The server cannot take the peer now (its limits on connections). */
  TryAgainLater: 1013,
} as const;

/**
 * The close code and reason for a client that broke the protocol: 1009 for a
 * string over its size limit, 1007 for bytes that are not UTF-8, 1008 for a
 * refused user name, 1002 for anything else.
 *
 * @example Closing a session whose decoder threw
 * ```ts
 * import { closeForProtocolError } from "@wirechat/wirechat/server";
 * import { ProtocolError } from "@wirechat/wirechat";
 * import assert from "node:assert/strict";
 *
 * const error = new ProtocolError("INVALID_UTF8", "Cannot decode frame: invalid UTF-8");
 * assert.deepEqual(closeForProtocolError(error), {
 *   code: 1007,
 *   reason: "Cannot decode frame: invalid UTF-8",
 * });
 * ```
 *
 * @param error What the session's decoder threw.
 * @returns What to pass to {@linkcode WebSocketLink.closeWith}.
 */
export function closeForProtocolError(error: ProtocolError): { code: number; reason: string } {
  const code = error.code === "SIZE_LIMIT"
    ? CloseCode.MessageTooBig
    : error.code === "INVALID_UTF8"
    ? CloseCode.InvalidPayload
    : error.code === "INVALID_USERNAME"
    ? CloseCode.PolicyViolation
    : CloseCode.ProtocolError;
  return { code, reason: error.message };
}

/** Options of a {@linkcode WebSocketLink}. */
export interface WebSocketLinkOptions {
  /**
   * The largest WebSocket message accepted, in bytes; a larger one closes the
   * link with 1009 after it arrives (Deno cannot refuse it earlier). The gateway
   * passes `max(maxUsernameSize, maxMessageSize) + 4`: one whole client frame.
   *
   * @default {3004}
   */
  maxMessageBytes?: number;
  /**
   * The most received bytes queued for a session that is not reading (Deno cannot
   * pause a WebSocket's reads); past it the link closes with 1008.
   *
   * @default {1048576}
   */
  maxQueuedBytes?: number;
  /**
   * The slow-consumer bound: {@linkcode WebSocketLink.write} sends frames while
   * the socket's `bufferedAmount` is under it.
   *
   * @default {65536}
   */
  highWaterMark?: number;
  /**
   * Milliseconds a write waits for `bufferedAmount` to fall under the bound
   * before it returns 0.
   *
   * @default {100}
   */
  drainWait?: number;
}

// Close codes that say the peer found a protocol error (RFC 6455, 7.4.1).
const PEER_PROTOCOL_ERRORS = new Set([1002, 1003, 1007, 1009, 1010]);

const TIMESTAMP = 8;
const SIZE = 4;
const DRAIN_POLL = 5;

/**
 * The end of the server frame (u64 timestamp, u32 size + user name, u32 size +
 * text) that starts at `start`, or -1 when `bytes` ends inside it.
 */
function frameEnd(bytes: Uint8Array, start: number): number {
  let at = start + TIMESTAMP;
  if (at + SIZE > bytes.length) return -1;
  at += SIZE + readU32(bytes, at);
  if (at + SIZE > bytes.length) return -1;
  at += SIZE + readU32(bytes, at);
  return at > bytes.length ? -1 : at;
}

/**
 * Adapts a server-side WebSocket to the {@linkcode Link} a session reads.
 *
 * - `read` returns the bytes of received binary messages, split or joined in any
 *   way (a message larger than the buffer takes several reads), then `null` once
 *   the socket is closed and what arrived before is read.
 * - `write` sends exactly one server frame per WebSocket message.
 * - A text message closes the link with 1003; a binary message over
 *   `maxMessageBytes` closes it with 1009.
 *
 * The slow-consumer rule: `write` sends whole frames while `socket.bufferedAmount`
 * is under `highWaterMark`, and returns how many bytes it sent. When the socket is
 * already at the bound it waits up to `drainWait` milliseconds for it to drain,
 * then returns 0: the bytes stay in the room's log, where the room's own lag limit
 * (`maxQueueBytes`) drops the client if it keeps not reading. A client thus holds
 * at most `highWaterMark` plus one frame in its socket's buffer.
 *
 * @example Reading what a browser sent, in any split
 * ```ts
 * import { WebSocketLink } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * const accepted = Promise.withResolvers<WebSocketLink>();
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
 *   const { socket, response } = Deno.upgradeWebSocket(request);
 *   accepted.resolve(new WebSocketLink(socket, { maxMessageBytes: 3004 }));
 *   return response;
 * });
 * const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}`);
 * await new Promise((resolve) => client.onopen = resolve);
 * client.send(new Uint8Array([0, 0, 0]));
 * client.send(new Uint8Array([3, 98, 111, 98])); // "bob", its size split across messages
 * const link = await accepted.promise;
 * const buffer = new Uint8Array(16);
 * let read = 0;
 * while (read < 7) read += (await link.read(buffer.subarray(read)))!;
 * assert.deepEqual(buffer.subarray(0, 7), new Uint8Array([0, 0, 0, 3, 98, 111, 98]));
 * const closed = new Promise((resolve) => client.onclose = resolve);
 * link.close();
 * await closed;
 * await server.shutdown();
 * ```
 */
export class WebSocketLink implements Link {
  /** Not reading a WebSocket does not hold its peer back. */
  readonly pausable = false;
  readonly #socket: WebSocket;
  readonly #maxMessageBytes: number;
  readonly #maxQueuedBytes: number;
  readonly #highWaterMark: number;
  readonly #drainWait: number;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  #closeCode: number | undefined;
  #closeReason = "";
  #failure: string | undefined;

  /**
   * Wraps `socket`, which may still be connecting; its `binaryType` becomes
   * `"arraybuffer"`.
   *
   * @param socket The server side of a WebSocket.
   * @param options Limits.
   */
  constructor(socket: WebSocket, options: WebSocketLinkOptions = {}) {
    this.#socket = socket;
    this.#maxMessageBytes = options.maxMessageBytes ?? 3004;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
    this.#highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.#drainWait = options.drainWait ?? 100;
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (event) => this.#received(event.data));
    socket.addEventListener("close", (event) => {
      if (this.#closeCode === undefined && PEER_PROTOCOL_ERRORS.has(event.code)) {
        this.#failure = `the client closed with ${event.code}${
          event.reason === "" ? "" : ` (${event.reason})`
        }`;
      }
      this.#closeCode ??= event.code;
      if (this.#closeReason === "") this.#closeReason = event.reason;
      this.#ended();
    });
    socket.addEventListener("error", () => this.#ended());
  }

  /**
   * How the link closed: the close code and reason sent or received, or
   * `undefined` while it is open.
   */
  get closeStatus(): { readonly code: number; readonly reason: string } | undefined {
    return this.#closeCode === undefined
      ? undefined
      : { code: this.#closeCode, reason: this.#closeReason };
  }

  /**
   * Reads the next received bytes into `buffer` (one read at a time): the rest of the oldest message,
   * and as much of the following ones as fits.
   *
   * @param buffer Where to copy the bytes.
   * @returns How many bytes were copied, or `null` once the socket is closed and
   * every byte received before was read.
   */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#queue.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    let copied = 0;
    while (copied < buffer.length && this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const count = Math.min(head.length, buffer.length - copied);
      buffer.set(head.subarray(0, count), copied);
      copied += count;
      if (count === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(count);
    }
    this.#queued -= copied;
    return copied;
  }

  /**
   * Sends the whole server frames at the start of `bytes`, one WebSocket message
   * each, while the socket's `bufferedAmount` is under the bound.
   *
   * @param bytes Whole frames of the server→client format.
   * @returns How many bytes were sent, always a frame boundary: fewer than
   * `bytes.length`, 0 included, when the peer is not reading fast enough.
   * @throws {Deno.errors.BrokenPipe} When the link is closed.
   * @throws {RangeError} When `bytes` does not start with a whole frame.
   */
  async write(bytes: Uint8Array): Promise<number> {
    if (bytes.length === 0) return 0;
    if (!(await this.#drained())) return 0;
    let start = 0;
    while (start < bytes.length && this.#socket.bufferedAmount < this.#highWaterMark) {
      const end = frameEnd(bytes, start);
      if (end < 0) {
        if (start > 0) break;
        throw new RangeError(`Cannot write: ${bytes.length} bytes end inside a frame`);
      }
      this.#socket.send(bytes.subarray(start, end));
      start = end;
    }
    return start;
  }

  /** Closes the link normally (1000); what was received and not read is dropped. */
  close(): void {
    this.closeWith(CloseCode.Normal, "");
  }

  /**
   * Closes the link with a close code and a reason the peer sees; what was
   * received and not read is dropped. Later calls do nothing.
   *
   * @param code A close code from {@linkcode CloseCode}: 1008 for a sender past
   * its rate burst, 1002 or 1007 for a protocol error, 1013 for a refusal.
   * @param reason A short reason, at most 123 bytes of UTF-8 (longer is cut).
   */
  closeWith(code: number, reason: string): void {
    if (this.#closeCode !== undefined) return;
    this.#closeCode = code;
    this.#closeReason = truncateReason(reason);
    this.#queue = [];
    this.#queued = 0;
    try {
      this.#socket.close(code, this.#closeReason);
    } catch {
      // The socket is already closed.
    }
    this.#ended();
  }

  /**
   * Why the link refused the peer (a text message, one over the limit, an empty
   * one), or the peer's own close code for a protocol error; `undefined` for an
   * ordinary end.
   */
  get failure(): string | undefined {
    return this.#failure;
  }

  #fail(code: number, reason: string): void {
    this.#failure = `${reason} (WebSocket close ${code})`;
    this.closeWith(code, reason);
  }

  #received(data: unknown): void {
    if (this.#closeCode !== undefined) return;
    if (!(data instanceof ArrayBuffer)) {
      this.#fail(CloseCode.UnsupportedData, "Text messages are not accepted: send binary");
      return;
    }
    if (data.byteLength > this.#maxMessageBytes) {
      this.#fail(
        CloseCode.MessageTooBig,
        `Message of ${data.byteLength} bytes exceeds the limit of ${this.#maxMessageBytes}`,
      );
      return;
    }
    if (this.#queued + data.byteLength > this.#maxQueuedBytes) {
      this.#fail(CloseCode.PolicyViolation, "Sending faster than the server reads");
      return;
    }
    if (data.byteLength === 0) {
      // No frame of this protocol is empty: a flood of them would cost the event
      // loop without ever reaching the rate limit.
      this.#fail(CloseCode.ProtocolError, "Empty message");
      return;
    }
    this.#queue.push(new Uint8Array(data));
    this.#queued += data.byteLength;
    this.#signal();
  }

  #ended(): void {
    this.#closed = true;
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #drained(): Promise<boolean> {
    const deadline = Date.now() + this.#drainWait;
    for (;;) {
      if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) {
        throw new Deno.errors.BrokenPipe("Cannot write: the WebSocket is closed");
      }
      if (this.#socket.bufferedAmount < this.#highWaterMark) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL));
    }
  }
}

const REASON_BYTES = 123;

/** Cuts `reason` to the 123 bytes of UTF-8 a close frame holds, at a character boundary. */
function truncateReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).length <= REASON_BYTES) return reason;
  let cut = "";
  for (const character of reason) {
    if (encoder.encode(cut + character).length > REASON_BYTES) break;
    cut += character;
  }
  return cut;
}
