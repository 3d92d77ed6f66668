/**
 * The byte link between a session and its client, whatever door it came through.
 *
 * @module
 */

import { formatHostPort } from "../../cli/host_port.ts";

/**
 * A client's connection as a session sees it: bytes in, bytes out. TCP and TLS
 * connections are links as they are (`Deno.Conn` has these methods); a WebSocket
 * gateway adapts its messages to one.
 */
export interface Link {
  /**
   * Reads into `buffer`.
   *
   * @returns The number of bytes read, or `null` at the end of the stream.
   */
  read(buffer: Uint8Array): Promise<number | null>;
  /**
   * Writes some of `bytes` (always whole frames of the room's log, starting at a
   * frame boundary or where the last partial write stopped).
   *
   * @returns How many bytes were taken: fewer than `bytes.length` means the peer
   * refused the rest for now.
   */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes the link; a pending read or write then fails or ends. */
  close(): void;
  /**
   * `false` when not reading does not hold the peer back (a WebSocket): a sender
   * past its rate is then closed instead of paused.
   */
  readonly pausable?: boolean;
  /** Closes with a code and a reason the peer sees (a WebSocket's close frame). */
  closeWith?(code: number, reason: string): void;
  /**
   * Why the stream ended, when the link itself refused what the peer sent (a
   * WebSocket message over the limit, not UTF-8 text, a bad opcode): the session
   * then names a protocol error rather than a departure. `undefined` otherwise.
   */
  readonly failure?: string | undefined;
  /**
   * Words an error its read or write threw, in the link's own terms (a TLS
   * alert, a handshake cut short); `undefined` to let the session word it.
   */
  describeError?(error: unknown): string | undefined;
}

/** Where a link comes from: its door, and its peer's address. */
export interface LinkOrigin {
  /** The door's name: `"tcp"`, `"tls"` or `"web"`. */
  readonly door: string;
  /** The peer's address for the log, as `host:port` (`[v6]:port`). */
  readonly peer: string;
  /** The peer's host, as the per-address limit counts it. */
  readonly hostname: string;
}

/**
 * The origin of a connection from a network door. Its `peer` text is made only
 * when asked for (a log line), not for every connection.
 *
 * @example
 * ```ts
 * import { NetOrigin } from "./link.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new NetOrigin("tcp", "::1", 9000).peer, "[::1]:9000");
 * ```
 */
export class NetOrigin implements LinkOrigin {
  /** The door's name. */
  readonly door: string;
  /** The peer's host. */
  readonly hostname: string;
  /** The peer's port. */
  readonly port: number;

  /**
   * @param door The door's name.
   * @param hostname The peer's host.
   * @param port The peer's port.
   */
  constructor(door: string, hostname: string, port: number) {
    this.door = door;
    this.hostname = hostname;
    this.port = port;
  }

  /** The peer's address, as `host:port` (`[v6]:port`). */
  get peer(): string {
    return formatHostPort(this.hostname, this.port);
  }
}
