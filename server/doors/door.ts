/**
 * Doors: the listeners through which clients reach the room.
 *
 * @module
 */

import type { Link, LinkOrigin } from "../session/link.ts";
import { NetOrigin } from "../session/link.ts";
import { errorMessage } from "../../cli/error_message.ts";

/** A listener that hands each accepted client to the server as a link. */
export interface Door {
  /** The door's name: `"tcp"`, `"tls"`, `"web"`. */
  readonly name: string;
  /** Where it listens (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Stops accepting; resolves once the accept loop has ended. */
  close(): Promise<void>;
}

/** What a door calls for each client it accepts. */
export type OpenLink = (link: Link, origin: LinkOrigin) => void;

/** What a door tells about a failure to accept, for the log. */
export type AcceptFailed = (message: string) => void;

const MAX_ACCEPT_BACKOFF_MS = 1000;

/**
 * Accepts from `listener` until it is closed, handing each connection to `open`.
 * A failed accept (out of file descriptors, most likely) is reported and retried
 * after a growing pause; it never ends the loop.
 *
 * @param listener The listener to accept from.
 * @param name The door's name, for each link's origin.
 * @param open Receives each accepted connection.
 * @param failed Receives a line for each failed accept.
 * @param prepare Called on each connection before it is handed over.
 * @returns The door.
 */
export function acceptLoop<C extends Deno.Conn>(
  listener: Deno.Listener<C, Deno.NetAddr>,
  name: string,
  open: (conn: C, origin: LinkOrigin) => void,
  failed: AcceptFailed,
  prepare?: (conn: C) => void,
): Door {
  let closing = false;
  let backoff: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;
  const loop = async () => {
    let delay = 0;
    while (!closing) {
      let conn: C;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closing || error instanceof Deno.errors.BadResource) break;
        delay = Math.min(delay * 2 || 10, MAX_ACCEPT_BACKOFF_MS);
        const door = name === "tcp" ? "" : ` on the ${name} door`;
        failed(`accept failed${door}: ${errorMessage(error)}; retrying in ${delay} ms`);
        await new Promise<void>((wake) => backoff = { timer: setTimeout(wake, delay), wake });
        backoff = undefined;
        continue;
      }
      delay = 0;
      const { hostname, port } = conn.remoteAddr as Deno.NetAddr;
      prepare?.(conn);
      open(conn, new NetOrigin(name, hostname, port));
    }
  };
  const ended = loop();
  return {
    name,
    addr: listener.addr,
    close() {
      closing = true;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      if (backoff !== undefined) {
        clearTimeout(backoff.timer);
        backoff.wake();
      }
      return ended;
    },
  };
}

// The kernel's queue of connections not yet accepted: large enough for a storm of
// connections (the usual 511 overflows, and each overflow costs a client a 1 s retry).
const LISTEN_BACKLOG = 4096;

/**
 * Opens the plain TCP door. Requires `--allow-net`.
 *
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function openTcpDoor(
  hostname: string,
  port: number,
  open: OpenLink,
  failed: AcceptFailed,
): Door {
  const listener = Deno.listen({ hostname, port, tcpBacklog: LISTEN_BACKLOG });
  return acceptLoop(listener, "tcp", open, failed, (conn) => {
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch {
      // The peer is already gone; the first read will say so.
    }
  });
}
