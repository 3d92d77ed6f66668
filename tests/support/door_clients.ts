/**
 * Clients of every door of a server process, for the door matrix: a chat client
 * over TCP, TLS, WebSocket or WebSocket over TLS, written by hand so that it can
 * also misbehave, and plain HTTP requests.
 *
 * @module
 */

import { ClientDecoder } from "../../protocol/client_decoder.ts";
import type { ChatMessage } from "../../protocol/frames.ts";
import { encodeString } from "../../protocol/encode.ts";
import { within } from "./deadline.ts";
import { clientFrame } from "./raw_websocket.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The doors of the matrix. */
export type DoorName = "tcp" | "tls" | "ws" | "wss" | "http" | "metrics";

/** Where a server's doors listen, and the CA its certificate is signed by. */
export interface DoorPorts {
  /** Port by door. */
  readonly ports: Partial<Record<DoorName, number>>;
  /** The test CA, PEM. */
  readonly ca: string;
}

/** Opens a TCP connection to a door, over TLS for `tls` and `wss`. */
export async function connectDoor(server: DoorPorts, door: DoorName): Promise<Deno.Conn> {
  const port = server.ports[door];
  if (port === undefined) throw new Error(`The server has no ${door} door`);
  if (door === "tls" || door === "wss") {
    const conn = await Deno.connectTls({ hostname: "localhost", port, caCerts: [server.ca] });
    await within(conn.handshake(), `the ${door} handshake`, 5000);
    return conn;
  }
  return await Deno.connect({ hostname: "127.0.0.1", port });
}

/** Writes all of `bytes`; a connection the server closed is not an error here. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  try {
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
  } catch {
    // Closed by the server: what the test looks at is what it answered.
  }
}

/** Reads until the end of the stream (or a reset) within 5 seconds; the bytes read. */
export async function readToEnd(conn: Deno.Conn, limit = 1 << 20): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(16 * 1024);
  for (;;) {
    const read = await within(conn.read(buffer).catch(() => null), "the end of the stream", 5000);
    if (read === null) break;
    if (total < limit) parts.push(buffer.slice(0, read));
    total += read;
  }
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** Sends one HTTP/1.1 request that closes the connection; the answer's status and text. */
export async function httpGet(
  server: DoorPorts,
  door: DoorName,
  path: string,
): Promise<{ status: number; text: string }> {
  const conn = await connectDoor(server, door);
  try {
    await writeAll(
      conn,
      encoder.encode(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`),
    );
    const text = decoder.decode(await readToEnd(conn));
    return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text };
  } finally {
    conn.close();
  }
}

/** The upgrade request of a WebSocket at `/ws`. */
export function upgradeRequest(port: number): Uint8Array {
  return encoder.encode(
    `GET /ws HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nupgrade: websocket\r\n` +
      "connection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "sec-websocket-version: 13\r\n\r\n",
  );
}

/**
 * A chat client of any chat door, by hand: frames of the protocol over TCP or
 * TLS, or inside binary WebSocket messages; it records what it receives.
 */
export class DoorClient {
  /** The door. */
  readonly door: DoorName;
  /** The connection (upgraded, for a WebSocket). */
  readonly conn: Deno.Conn;
  /** Every message received. */
  readonly messages: ChatMessage[] = [];
  /** The WebSocket close code received, if any. */
  closeCode: number | undefined;
  /** Resolves when the stream ends. */
  readonly ended: Promise<void>;
  readonly #decoder = new ClientDecoder((message) => this.messages.push(message));
  #pending = new Uint8Array(0);

  private constructor(door: DoorName, conn: Deno.Conn, rest: Uint8Array) {
    this.door = door;
    this.conn = conn;
    this.ended = this.#read(rest);
  }

  /** Connects to a chat door (and upgrades, for a WebSocket). */
  static async open(server: DoorPorts, door: DoorName): Promise<DoorClient> {
    const conn = await connectDoor(server, door);
    if (door !== "ws" && door !== "wss") return new DoorClient(door, conn, new Uint8Array(0));
    await writeAll(conn, upgradeRequest(server.ports[door]!));
    // The answer's head, byte by byte; what follows is WebSocket frames.
    let head = "";
    const byte = new Uint8Array(1);
    while (!head.endsWith("\r\n\r\n")) {
      const read = await within(conn.read(byte), "the upgrade's answer", 5000);
      if (read === null) throw new Error(`The upgrade failed: ${head}`);
      head += decoder.decode(byte);
    }
    if (!head.startsWith("HTTP/1.1 101")) {
      conn.close();
      throw new Error(`The upgrade failed: ${head.split("\r\n")[0]}`);
    }
    return new DoorClient(door, conn, new Uint8Array(0));
  }

  /** Connects and logs in as `username`. */
  static async login(server: DoorPorts, door: DoorName, username: string): Promise<DoorClient> {
    const client = await DoorClient.open(server, door);
    await client.send(encodeString(username));
    return client;
  }

  /** Whether the door wraps frames in WebSocket messages. */
  get websocket(): boolean {
    return this.door === "ws" || this.door === "wss";
  }

  /** Sends bytes of the protocol: as they are, or as one binary WebSocket message. */
  send(bytes: Uint8Array): Promise<void> {
    return writeAll(this.conn, this.websocket ? clientFrame(2, bytes) : bytes);
  }

  /** Sends bytes as they are, whatever the door. */
  sendRaw(bytes: Uint8Array): Promise<void> {
    return writeAll(this.conn, bytes);
  }

  /** Waits (5 s at most) for a message with this text. */
  async waitForText(text: string, milliseconds = 5000): Promise<ChatMessage> {
    const deadline = Date.now() + milliseconds;
    for (;;) {
      const found = this.messages.find((message) => message.text === text);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for "${text}" on ${this.door}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits (5 s at most) for the end of the stream. */
  waitForEnd(): Promise<void> {
    return within(this.ended, `the end of the ${this.door} connection`, 5000);
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
  }

  async #read(rest: Uint8Array): Promise<void> {
    this.#take(rest);
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const read = await this.conn.read(buffer).catch(() => null);
      if (read === null) return;
      this.#take(buffer.subarray(0, read));
    }
  }

  #take(bytes: Uint8Array): void {
    if (!this.websocket) {
      this.#decoder.push(bytes);
      return;
    }
    const joined = new Uint8Array(this.#pending.length + bytes.length);
    joined.set(this.#pending);
    joined.set(bytes, this.#pending.length);
    let at = 0;
    while (joined.length - at >= 2) {
      let length = joined[at + 1]! & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (joined.length - at < 4) break;
        length = (joined[at + 2]! << 8) | joined[at + 3]!;
        start = at + 4;
      } else if (length === 127) {
        if (joined.length - at < 10) break;
        length = new DataView(joined.buffer, joined.byteOffset + at + 6, 4).getUint32(0);
        start = at + 10;
      }
      if (joined.length < start + length) break;
      const opcode = joined[at]! & 0x0f;
      const payload = joined.subarray(start, start + length);
      if (opcode === 2) this.#decoder.push(payload);
      if (opcode === 8 && payload.length >= 2) this.closeCode = (payload[0]! << 8) | payload[1]!;
      at = start + length;
    }
    this.#pending = joined.slice(at);
  }
}
