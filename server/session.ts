/**
 * One client connection: it reads and decodes what the client sends, and, once
 * logged in, writes the room's log to the client from its own cursor on.
 *
 * @module
 */

import { encodeString, ProtocolError, ServerDecoder, type ServerDecoderSink } from "../mod.ts";
import type { Member, Room } from "./room.ts";

/** Why a connection ended, and how loudly to log it. */
export interface CloseReason {
  /** What happened, for the log: "left", "login timeout", ... */
  readonly text: string;
  /** `warn` for a peer's misbehaviour, `info` for ordinary departures. */
  readonly level: "info" | "warn" | "debug";
}

/** What a session needs from the server that owns it. */
export interface SessionHost {
  /** The limits for the decoder. */
  readonly limits: { readonly maxUsernameSize: number; readonly maxMessageSize: number };
  /** The room the session joins once logged in. */
  readonly room: Room;
  /** The session logged in (it is in the room already). */
  loggedIn(session: Session): void;
  /** The session received a message (its bytes are valid during the call only). */
  received(session: Session, sender: Uint8Array, text: Uint8Array): void;
  /** The session closed its connection. */
  closed(session: Session, reason: CloseReason): void;
  /** The session is closed and nothing of it runs any more: no read, no write. */
  ended(session: Session): void;
}

// Idle connections dominate a chat server's memory: each keeps one read pending, and
// that read holds its buffer. Start small; grow while reads fill the buffer.
const MIN_READ_SIZE = 64;
const MAX_READ_SIZE = 64 * 1024;

function describe(error: unknown): CloseReason {
  if (error instanceof ProtocolError) {
    return { text: `protocol error: ${error.message} (${error.code})`, level: "warn" };
  }
  if (error instanceof Deno.errors.ConnectionReset) {
    return { text: "connection reset by peer", level: "info" };
  }
  if (error instanceof Deno.errors.BrokenPipe) return { text: "connection lost", level: "info" };
  const message = error instanceof Error ? error.message : String(error);
  return { text: `connection error: ${message}`, level: "warn" };
}

/**
 * A client connection, from accept to close. It is the decoder's sink (login,
 * message) and, once logged in, a member of the room.
 */
export class Session implements ServerDecoderSink, Member {
  readonly #conn: Deno.TcpConn;
  readonly #host: SessionHost;
  readonly #decoder: ServerDecoder;
  /** When the connection was accepted (milliseconds since the epoch). */
  readonly connectedAt: number = Date.now();
  /** The user name, once logged in. */
  username: string | undefined;
  /** Room member: set by the room while a write is due or in flight. */
  scheduled = false;
  // The user name as a string field, ready to copy into each frame.
  #sender: Uint8Array | undefined;
  #cursor = 0;
  #closed = false;
  #running = 1; // the read loop, and a write while one is in flight

  /**
   * @param conn The accepted connection.
   * @param host The server that owns it.
   */
  constructor(conn: Deno.TcpConn, host: SessionHost) {
    this.#conn = conn;
    this.#host = host;
    this.#decoder = new ServerDecoder(this, host.limits);
  }

  /** The peer's address, as `host:port`. */
  get peer(): string {
    const { hostname, port } = this.#conn.remoteAddr;
    return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Room member: the log position up to which this session has written. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Reads the connection until it ends; never throws. */
  async run(): Promise<void> {
    let buffer = new Uint8Array(MIN_READ_SIZE);
    try {
      while (true) {
        const read = await this.#conn.read(buffer);
        if (this.#closed) return;
        if (read === null) {
          this.#decoder.end();
          this.close({ text: "left", level: "info" });
          return;
        }
        this.#decoder.push(read === buffer.length ? buffer : buffer.subarray(0, read));
        if (this.#closed) return;
        if (read === buffer.length) {
          if (buffer.length < MAX_READ_SIZE) buffer = new Uint8Array(buffer.length * 4);
        } else if (read < buffer.length >> 4 && buffer.length > MIN_READ_SIZE) {
          buffer = new Uint8Array(buffer.length >> 2);
        }
      }
    } catch (error) {
      // A read interrupted by our own close is not news.
      if (!this.#closed) this.close(describe(error));
    } finally {
      this.#stopped();
    }
  }

  /** Decoder sink: the client logged in. */
  login(username: string): void {
    this.username = username;
    this.#sender = encodeString(username);
    this.#cursor = this.#host.room.join(this);
    this.#host.loggedIn(this);
  }

  /** Decoder sink: the client sent a message. */
  message(text: Uint8Array): void {
    this.#host.received(this, this.#sender!, text);
  }

  /** Room member: writes the next committed bytes from the cursor on, once. */
  async write(): Promise<void> {
    const room = this.#host.room;
    const bytes = this.#closed ? undefined : room.log.read(this.#cursor);
    if (bytes !== undefined) {
      this.#running++;
      try {
        // A partial write just moves the cursor less far; the rest goes next time.
        this.#cursor += await this.#conn.write(bytes);
      } catch (error) {
        if (!this.#closed) this.close(describe(error));
      }
      this.#stopped();
    }
    room.written(this);
  }

  /** Room member: disconnects this session for lagging `lag` bytes behind. */
  dropSlow(lag: number): void {
    this.close({ text: `slow consumer: ${lag} bytes behind`, level: "warn" });
  }

  /**
   * Closes the connection, once; what it has not written yet is dropped.
   *
   * @param reason Why, for the log.
   */
  close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
    this.#host.closed(this, reason);
  }

  #stopped(): void {
    if (--this.#running === 0) this.#host.ended(this);
  }
}
