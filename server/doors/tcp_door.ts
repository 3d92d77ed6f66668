/**
 * The plain TCP door: the seed protocol as it is.
 *
 * @module
 */

import {
  acceptLoop,
  closeQuietly,
  type Door,
  type DoorHost,
  isRefusal,
  listenTcp,
  tuneConn,
} from "./door.ts";
import { voiceFrame } from "../session/voice.ts";

/** Where the TCP door listens. */
export interface TcpDoorOptions {
  /** The address to listen on. */
  readonly hostname: string;
  /** The port (0: any free one). */
  readonly port: number;
}

/**
 * Opens the plain TCP door. Requires `--allow-net`.
 *
 * @param options Where to listen.
 * @param host The server: admission and sessions.
 * @returns The door, accepting.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function openTcpDoor(options: TcpDoorOptions, host: DoorHost): Door {
  const listener = listenTcp(options.hostname, options.port);
  return acceptLoop(listener, "tcp", (conn, origin) => {
    tuneConn(conn);
    const admitted = host.admit(origin, () => closeQuietly(conn));
    if (isRefusal(admitted)) refuseConn(conn, admitted.refused);
    else admitted.open(conn);
  }, (line) => host.log.error(line));
}

/**
 * Tells a refused peer why in one `*` frame (the *Why* extension), then closes.
 * The frame is small and the socket new, so the write never waits on the peer.
 *
 * @param conn The connection refused.
 * @param text Why.
 */
export function refuseConn(conn: Deno.Conn, text: string): void {
  conn.write(voiceFrame(text)).catch(() => {}).finally(() => closeQuietly(conn));
}
