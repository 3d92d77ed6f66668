/**
 * The door contract: how every listener hands its connections to the server.
 *
 * A door accepts connections in {@linkcode acceptLoop} (which survives running out
 * of file descriptors), asks the server to admit each one the moment it is
 * accepted ({@linkcode DoorHost.admit}), and then either opens a chat session on it
 * ({@linkcode Ticket.open}) or lets it go ({@linkcode Ticket.release}). Every
 * connection, whatever its door and whatever it turns out to speak, counts against
 * the server's limits from accept to close, and the login deadline reaches it
 * through the `close` the door gave when it was admitted.
 *
 * @module
 */

import type { Link, LinkOrigin } from "../session/link.ts";
import { NetOrigin } from "../session/link.ts";
import { errorMessage } from "../../cli/error_message.ts";

/** A listener that hands each accepted client to the server. */
export interface Door {
  /** The door's name: `"tcp"`, `"tls"`, `"web"`, `"metrics"`. */
  readonly name: string;
  /** Where it listens (with the real port when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  /** Stops accepting; resolves once the accept loop has ended. */
  close(): Promise<void>;
}

/** Why the server ends a connection, in words for the log and for the peer. */
export interface CloseReason {
  /** What happened, for the log: `"login timeout"`, `"server full (100 clients)"`. */
  readonly text: string;
}

/**
 * A connection's place within the server's limits, from accept to close. Exactly
 * one of {@linkcode Ticket.open} and {@linkcode Ticket.release} is called, once.
 */
export interface Ticket {
  /** When the connection was accepted, in milliseconds of `Date.now()`. */
  readonly connectedAt: number;
  /**
   * Opens a chat session on the connection: from now on the session owns the
   * ticket, reads `link`, and closes it.
   */
  open(link: Link): void;
  /** The connection was closed without a session: its place is free again. */
  release(): void;
}

/** What the server answers to a door that asks to admit a connection. */
export type Admitted = Ticket | { readonly refused: string };

/** What a door needs from the server. */
export interface DoorHost {
  /**
   * Admits a connection just accepted, or says why not (the door then tells the
   * peer in its own terms and closes the connection at once).
   *
   * @param origin The door and the peer's address.
   * @param close Ends the connection from the server's side (the login deadline,
   * eviction, shutdown) while no session owns it; the door then releases the
   * ticket once the connection is closed.
   */
  admit(origin: LinkOrigin, close: (reason: CloseReason) => void): Admitted;
  /** Lines for the log, from the door. */
  readonly log: DoorLog;
}

/** Where a door writes its log lines; none of them may block. */
export interface DoorLog {
  /** A failure the operator should see: an accept that failed. */
  error(line: string): void;
  /** A line repeated under load, summarised once a second by the logger. */
  repeated(key: string, level: "info" | "warn" | "error", line: string): void;
  /** An ordinary event. */
  info(line: string): void;
}

/** Whether `admitted` is a refusal. */
export function isRefusal(admitted: Admitted): admitted is { readonly refused: string } {
  return "refused" in admitted;
}

const MAX_ACCEPT_BACKOFF_MS = 1000;

/**
 * Accepts from `listener` until it is closed, handing each connection to `open`.
 * A failed accept (out of file descriptors, most likely) is reported and retried
 * after a growing pause; it never ends the loop.
 *
 * @param listener The listener to accept from.
 * @param name The door's name, for each connection's origin.
 * @param open Receives each accepted connection.
 * @param failed Receives a line for each failed accept.
 * @returns The door.
 */
export function acceptLoop<C extends Deno.Conn>(
  listener: Deno.Listener<C, Deno.NetAddr>,
  name: string,
  open: (conn: C, origin: NetOrigin) => void,
  failed: (line: string) => void,
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
      try {
        open(conn, new NetOrigin(name, hostname, port));
      } catch (error) {
        // A door's own fault with one connection never ends its accept loop.
        failed(`${name} door: ${errorMessage(error)}`);
        closeQuietly(conn);
      }
    }
  };
  const ended = loop();
  return {
    name,
    addr: listener.addr,
    close() {
      closing = true;
      closeQuietly(listener);
      if (backoff !== undefined) {
        clearTimeout(backoff.timer);
        backoff.wake();
      }
      return ended;
    },
  };
}

/** The kernel's queue of connections not yet accepted: large enough for a storm of logins. */
export const LISTEN_BACKLOG = 4096;

/**
 * Listens on a plain TCP port for a door. Requires `--allow-net`.
 *
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function listenTcp(hostname: string, port: number): Deno.TcpListener {
  return Deno.listen({ hostname, port, tcpBacklog: LISTEN_BACKLOG });
}

/** Turns Nagle's algorithm off and keep-alive on; a peer already gone is not an error. */
export function tuneConn(conn: Deno.Conn): void {
  try {
    (conn as Deno.TcpConn).setNoDelay(true);
    (conn as Deno.TcpConn).setKeepAlive(true);
  } catch {
    // The peer is already gone; the first read will say so.
  }
}

/** Closes anything closable, ignoring that it was closed already. */
export function closeQuietly(closable: { close(): void }): void {
  try {
    closable.close();
  } catch {
    // Already closed.
  }
}
