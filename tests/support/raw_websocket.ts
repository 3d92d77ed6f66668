/**
 * A WebSocket client written by hand over TCP, for hostile tests: it can send
 * frames no browser sends (a header announcing 60 MB, empty binary frames, bad
 * opcodes) and read the close frame the server answers with.
 *
 * @module
 */

import { within } from "./deadline.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An upgraded connection and what the server answered to the upgrade. */
export interface RawWebSocket {
  /** The connection, past the upgrade's answer. */
  readonly conn: Deno.Conn;
  /** The answer's status line and headers. */
  readonly head: string;
}

/**
 * Connects and asks for a WebSocket at `/ws`.
 *
 * @param port The web door's port.
 * @param headers Extra headers (Host, Origin).
 * @returns The connection, after the answer's head (101 or anything else).
 */
export async function openRawWebSocket(
  port: number,
  headers: Record<string, string> = {},
): Promise<RawWebSocket> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const all: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...headers,
  };
  const request = "GET /ws HTTP/1.1\r\n" +
    Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
  await conn.write(encoder.encode(request));
  let head = "";
  const byte = new Uint8Array(1);
  while (!head.endsWith("\r\n\r\n")) {
    const read = await within(conn.read(byte), "the upgrade's answer", 5000);
    if (read === null) break;
    head += decoder.decode(byte);
  }
  return { conn, head };
}

/**
 * A client frame (masked with a zero mask, so the payload reads as it is).
 *
 * @param opcode 1 text, 2 binary, 8 close...
 * @param payload The payload sent.
 * @param announced The length the header announces, when it is not the payload's.
 * @returns The bytes of the frame.
 */
export function clientFrame(opcode: number, payload: Uint8Array, announced = payload.length) {
  const header: number[] = [0x80 | opcode];
  if (announced < 126) header.push(0x80 | announced);
  else if (announced < 65536) header.push(0x80 | 126, announced >> 8, announced & 0xff);
  else {
    header.push(0x80 | 127, 0, 0, 0, 0);
    header.push((announced >>> 24) & 0xff, (announced >>> 16) & 0xff);
    header.push((announced >>> 8) & 0xff, announced & 0xff);
  }
  header.push(0, 0, 0, 0); // the mask
  const frame = new Uint8Array(header.length + payload.length);
  frame.set(header);
  frame.set(payload, header.length);
  return frame;
}

/**
 * Reads server frames until a close frame or the end of the stream.
 *
 * @param conn The upgraded connection.
 * @returns The close code (or `undefined` when the stream ended without one),
 * and how many data frames came before.
 */
export async function readUntilClose(
  conn: Deno.Conn,
): Promise<{ code: number | undefined; reason: string; frames: number }> {
  let pending = new Uint8Array(0);
  let frames = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    // Whole frames in `pending`?
    while (pending.length >= 2) {
      let length = pending[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (pending.length < 4) break;
        length = (pending[2]! << 8) | pending[3]!;
        at = 4;
      } else if (length === 127) {
        if (pending.length < 10) break;
        length = new DataView(pending.buffer, pending.byteOffset).getUint32(6);
        at = 10;
      }
      if (pending.length < at + length) break;
      const opcode = pending[0]! & 0x0f;
      const payload = pending.subarray(at, at + length);
      if (opcode === 8) {
        const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : undefined;
        return { code, reason: decoder.decode(payload.subarray(2)), frames };
      }
      frames++;
      pending = pending.slice(at + length);
    }
    const read = await within(conn.read(buffer).catch(() => null), "a close frame", 5000);
    if (read === null) return { code: undefined, reason: "", frames };
    const joined = new Uint8Array(pending.length + read);
    joined.set(pending);
    joined.set(buffer.subarray(0, read), pending.length);
    pending = joined;
  }
}
