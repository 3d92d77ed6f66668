/**
 * A WebSocket (of `npm:ws`, over a connection the web door accepted) seen as a
 * {@linkcode Link}: the bytes of binary messages in, one server frame per
 * message out; reads paused while the session does not read.
 *
 * @module
 */

import { takeChunks } from "./chunk_queue.ts";
import type { Duplex } from "node:stream";
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

/**
 * What {@linkcode WebSocketLink} uses of an `npm:ws` WebSocket (version 8); the
 * link never imports `ws` itself.
 */
export interface WsSocket {
  /** 1 while open. */
  readonly readyState: number;
  /** Sends one message; `callback` runs once it is handed to the socket. */
  send(data: Uint8Array, options: { binary: boolean }, callback: (error?: Error) => void): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Destroys the socket at once. */
  terminate(): void;
  /** Stops reading the socket. */
  pause(): void;
  /** Reads the socket again. */
  resume(): void;
  /** Adds a listener: `message`, `close`, `error`. */
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** Options of a {@linkcode WebSocketLink}. */
export interface WebSocketLinkOptions {
  /**
   * The largest message accepted, in bytes, as the WebSocket server enforces it
   * (`maxPayload`): it closes the link with 1009 as soon as a frame announces
   * more, before any of it is buffered. Here only for the words of the log.
   *
   * @default {3004}
   */
  maxMessageBytes?: number;
  /**
   * Received bytes queued for a session that is not reading before the link
   * stops reading the socket (the sender's bytes then wait in TCP's window).
   *
   * @default {16384}
   */
  maxQueuedBytes?: number;
  /**
   * The most bytes one {@linkcode WebSocketLink.write} sends, in whole frames;
   * the write resolves once they are handed to the connection.
   *
   * @default {65536}
   */
  maxWriteBytes?: number;
  /**
   * Milliseconds a closing handshake may take before the connection is destroyed.
   *
   * @default {1000}
   */
  closeGrace?: number;
  /**
   * The stream under the WebSocket's socket when that socket is TLS: paused and
   * resumed with it (a `node:tls` socket keeps reading its stream when paused).
   */
  transport?: Duplex | undefined;
  /**
   * The stream the WebSocket runs on (its socket): once the WebSocket has ended
   * it (the closing handshake, whoever started it), a peer that keeps its side
   * open is cut off after `closeGrace`, not the 30 seconds `ws` waits.
   */
  socket?: Duplex | undefined;
}

// Close codes that say the peer found a protocol error (RFC 6455, 7.4.1).
const PEER_PROTOCOL_ERRORS = new Set([1002, 1003, 1007, 1009, 1010]);
// The close code `ws` sends for each of its errors (lib/receiver.js).
const WS_ERROR_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.MessageTooBig,
  WS_ERR_INVALID_UTF8: CloseCode.InvalidPayload,
  WS_ERR_INVALID_CLOSE_CODE: CloseCode.ProtocolError,
};

const TIMESTAMP = 8;
const SIZE = 4;
const OPEN = 1;

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
 * Adapts a server-side `npm:ws` WebSocket to the {@linkcode Link} a session reads.
 *
 * - `read` returns the bytes of received binary messages, split or joined in any
 *   way, then `null` once the socket is closed and what arrived before is read.
 * - The link is pausable: past `maxQueuedBytes` not yet read it pauses the
 *   socket, so a session that stops reading (a sender past its rate) holds its
 *   peer back, as over TCP.
 * - `write` sends exactly one server frame per WebSocket message and resolves
 *   once they are handed to the connection: a peer that does not read stalls
 *   the write, which the room's slow-consumer rule sees.
 * - A text message closes the link with 1003, an empty one with 1002 (no frame of
 *   the protocol is empty); `ws` itself closes with 1009 a message over its
 *   `maxPayload`, with 1007 bad UTF-8 in a close reason, with 1002 a bad frame.
 *   Each is a {@linkcode WebSocketLink.failure}: the session logs a protocol
 *   error, not a departure.
 *
 * @example Reading what a client sent, over a socket of one's own
 * ```ts
 * import { WebSocketLink, type WsSocket } from "@wirechat/wirechat/server";
 * import { EventEmitter } from "node:events";
 * import assert from "node:assert/strict";
 *
 * const socket = Object.assign(new EventEmitter(), {
 *   readyState: 1,
 *   send() {},
 *   close() {},
 *   terminate() {},
 *   pause() {},
 *   resume() {},
 * }) as unknown as WsSocket & EventEmitter;
 * const link = new WebSocketLink(socket);
 * socket.emit("message", new Uint8Array([0, 0, 0, 3]), true);
 * socket.emit("message", new Uint8Array([98, 111, 98]), true); // "bob"
 * const buffer = new Uint8Array(16);
 * let read = 0;
 * while (read < 7) read += (await link.read(buffer.subarray(read)))!;
 * assert.deepEqual(buffer.subarray(0, 7), new Uint8Array([0, 0, 0, 3, 98, 111, 98]));
 * ```
 */
export class WebSocketLink implements Link {
  /** Not reading holds the peer back. */
  readonly pausable = true;
  readonly #socket: WsSocket;
  readonly #maxMessageBytes: number;
  readonly #maxQueuedBytes: number;
  readonly #maxWriteBytes: number;
  readonly #closeGrace: number;
  readonly #transport: Duplex | undefined;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #closeCode: number | undefined;
  #closeReason = "";
  #failure: string | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #socketClosed = false;

  /**
   * Wraps `socket`, open.
   *
   * @param socket The server side of a WebSocket (`npm:ws`).
   * @param options Limits.
   */
  constructor(socket: WsSocket, options: WebSocketLinkOptions = {}) {
    this.#socket = socket;
    this.#maxMessageBytes = options.maxMessageBytes ?? 3004;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024;
    this.#maxWriteBytes = options.maxWriteBytes ?? 64 * 1024;
    this.#closeGrace = options.closeGrace ?? 1000;
    this.#transport = options.transport;
    options.socket?.once("finish", () => this.#cutOffLater());
    socket.on("message", (data: Uint8Array, isBinary: boolean) => this.#received(data, isBinary));
    socket.on("close", (code: number, reason: Uint8Array) => {
      const text = new TextDecoder().decode(reason);
      if (this.#closeCode === undefined && PEER_PROTOCOL_ERRORS.has(code)) {
        this.#failure ??= `the client closed with ${code}${text === "" ? "" : ` (${text})`}`;
      }
      this.#closeCode ??= code;
      if (this.#closeReason === "") this.#closeReason = text;
      this.#socketClosed = true;
      clearTimeout(this.#graceTimer);
      this.#ended();
    });
    socket.on("error", (error: Error & { code?: string }) => {
      const code = WS_ERROR_CODES[error.code ?? ""] ?? CloseCode.ProtocolError;
      const what = code === CloseCode.MessageTooBig
        ? `Message over the limit of ${this.#maxMessageBytes} bytes`
        : error.message;
      this.#failure ??= `${what} (WebSocket close ${code})`;
      this.#closeCode ??= code;
      this.#queue = []; // what came before the fault goes with it
      this.#queued = 0;
      // ws has sent its close frame; a peer that does not answer is cut off.
      this.#cutOffLater();
      this.#ended();
    });
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
   * Why the link refused the peer (a text message, an empty one, one over the
   * limit, a bad frame), or the peer's own close code for a protocol error;
   * `undefined` for an ordinary end.
   */
  get failure(): string | undefined {
    return this.#failure;
  }

  /**
   * Reads the next received bytes into `buffer` (one read at a time): the rest of
   * the oldest message, and as much of the following ones as fits.
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
    const copied = takeChunks(this.#queue, buffer);
    this.#queued -= copied;
    if (this.#paused && this.#queued < this.#maxQueuedBytes && !this.#closed) {
      this.#paused = false;
      this.#socket.resume();
      this.#transport?.resume();
    }
    return copied;
  }

  /**
   * Sends the whole server frames at the start of `bytes` (up to
   * `maxWriteBytes`), one WebSocket message each, and resolves once they are
   * handed to the connection.
   *
   * @param bytes Whole frames of the server→client format.
   * @returns How many bytes were sent, always a frame boundary.
   * @throws {Deno.errors.BrokenPipe} When the link is closed.
   * @throws {RangeError} When `bytes` does not start with a whole frame.
   */
  write(bytes: Uint8Array): Promise<number> {
    if (bytes.length === 0) return Promise.resolve(0);
    if (this.#closed || this.#socket.readyState !== OPEN) {
      return Promise.reject(new Deno.errors.BrokenPipe("Cannot write: the WebSocket is closed"));
    }
    let start = 0;
    const ends: number[] = [];
    while (start < bytes.length) {
      const end = frameEnd(bytes, start);
      if (end < 0) break;
      if (start > 0 && end > this.#maxWriteBytes) break;
      ends.push(end);
      start = end;
    }
    if (ends.length === 0) {
      return Promise.reject(
        new RangeError(`Cannot write: ${bytes.length} bytes end inside a frame`),
      );
    }
    return new Promise((resolve, reject) => {
      let from = 0;
      ends.forEach((end, index) => {
        const last = index === ends.length - 1;
        this.#socket.send(bytes.subarray(from, end), { binary: true }, (error) => {
          if (!last) return;
          if (error) reject(new Deno.errors.BrokenPipe(`Cannot write: ${error.message}`));
          else resolve(end);
        });
        from = end;
      });
    });
  }

  /** Closes the link normally (1000); what was received and not read is dropped. */
  close(): void {
    this.closeWith(CloseCode.Normal, "");
  }

  /**
   * Closes the link with a close code and a reason the peer sees; what was
   * received and not read is dropped. A peer that does not answer the close
   * within `closeGrace` is cut off. Later calls do nothing.
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
      this.#cutOffLater();
    } catch {
      this.#socket.terminate();
    }
    this.#ended();
  }

  // Terminates the socket in `closeGrace` unless it closes first.
  #cutOffLater(): void {
    if (this.#graceTimer !== undefined || this.#socketClosed) return;
    this.#graceTimer = setTimeout(() => this.#socket.terminate(), this.#closeGrace);
  }

  #fail(code: number, reason: string): void {
    this.#failure = `${reason} (WebSocket close ${code})`;
    this.closeWith(code, reason);
  }

  #received(data: Uint8Array, isBinary: boolean): void {
    if (this.#closeCode !== undefined) return;
    if (!isBinary) {
      this.#fail(CloseCode.UnsupportedData, "Text messages are not accepted: send binary");
      return;
    }
    if (data.length === 0) {
      // No frame of this protocol is empty: a flood of them would cost the event
      // loop without ever reaching the rate limit.
      this.#fail(CloseCode.ProtocolError, "Empty message");
      return;
    }
    this.#queue.push(data);
    this.#queued += data.length;
    if (!this.#paused && this.#queued >= this.#maxQueuedBytes) {
      this.#paused = true;
      this.#socket.pause();
      this.#transport?.pause();
    }
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
