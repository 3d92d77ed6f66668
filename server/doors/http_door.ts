/**
 * The HTTP door under the web and metrics doors: our own accept loop (which
 * survives running out of file descriptors), each connection admitted at accept
 * like any other, then handed to `node:http` (a server that never listens) as a
 * small duplex, over TLS when the door has a certificate. The door owns the
 * header deadline: `node:http` under Deno enforces no `headersTimeout`.
 *
 * @module
 */

import http from "node:http";
import type { Duplex } from "node:stream";
import {
  acceptLoop,
  closeQuietly,
  type Door,
  type DoorHost,
  isRefusal,
  listenTcp,
  type Ticket,
  tuneConn,
} from "./door.ts";
import { ConnDuplex } from "./conn_duplex.ts";
import { isTlsHandshake, readHello, refuseOverTls, startTls, type TlsContext } from "./tls_door.ts";
import { oneLine } from "./tls_files.ts";
import type { Link, NetOrigin } from "../session/link.ts";

/** The default of {@linkcode HttpDoorOptions.headerTimeoutMs}. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
// How long a refused peer's request is read (and dropped) after the answer, so
// that closing does not reset the connection before the answer is read.
const LINGER_MS = 1000;

/** Where an HTTP door listens, and how. */
export interface HttpDoorOptions {
  /** The door's name: `"web"`, `"metrics"`. */
  readonly name: string;
  /** The address to listen on. */
  readonly hostname: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
  /** The certificate, for HTTPS; plain HTTP without one. */
  readonly tls?: TlsContext | undefined;
  /**
   * Milliseconds a connection has to send a complete request head (the TLS
   * handshake included), from accept and again after each response: a slow or
   * idle connection is closed when they run out.
   *
   * @default {10000}
   */
  readonly headerTimeoutMs?: number;
}

/** A request to upgrade the connection (a WebSocket), as the door hands it over. */
export interface HttpUpgrade {
  /** The door and the peer's address. */
  readonly origin: NetOrigin;
  /**
   * Opens a chat session on the upgraded connection. Not calling it means the
   * handler refuses: it answers and destroys the socket, and the door releases
   * the connection's place.
   */
  open(link: Link): void;
}

/** What an HTTP door does with requests. */
export interface HttpHandlers {
  /** Answers a request. */
  request(request: http.IncomingMessage, response: http.ServerResponse): void;
  /**
   * Takes a request with `Upgrade:` (its socket is the handler's from now on);
   * without it such requests are answered 426... by `node:http` (closed).
   */
  upgrade?(
    request: http.IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    upgrade: HttpUpgrade,
  ): void;
}

// One accepted connection, from the door's side.
interface Connection {
  readonly origin: NetOrigin;
  readonly ticket: Ticket;
  /** Closes the connection, whatever stage it is at. */
  readonly end: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  upgraded: boolean;
  opened: boolean;
}

/**
 * Opens an HTTP door. Every accepted connection is admitted at once (a refusal
 * is answered 503 with its reason, then closed); its place is released when it
 * closes, unless an upgrade opened a session on it. A connection that has not
 * sent a complete request head within `headerTimeoutMs` (from accept, or from
 * the end of its last response) is closed and logged. A client that speaks plain
 * HTTP to an HTTPS door is answered 400 in clear. Requires `--allow-net`.
 *
 * @example A door that says hello
 * ```ts ignore
 * const door = openHttpDoor({ name: "hello", hostname: "127.0.0.1", port: 0 }, host, {
 *   request: (_request, response) => response.end("hello\n"),
 * });
 * ```
 *
 * @param options Where to listen, the certificate, the header deadline.
 * @param host The server: admission.
 * @param handlers What to do with requests and upgrades.
 * @returns The door, accepting; closing it closes the connections not upgraded.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function openHttpDoor(
  options: HttpDoorOptions,
  host: DoorHost,
  handlers: HttpHandlers,
): Door {
  const headerTimeoutMs = options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
  const connections = new Map<Duplex, Connection>();
  const server = http.createServer();
  // It never listens, but must think it does: a server that does not listen
  // closes each keep-alive connection after its first response.
  let listening = true;
  Object.defineProperty(server, "listening", { get: () => listening });
  const log = host.log;
  const name = options.name;

  // The header deadline, from accept or from the end of the last response.
  const arm = (connection: Connection) => {
    clearTimeout(connection.timer);
    connection.timer = setTimeout(() => {
      log.repeated(
        `${name}-header-timeout`,
        "info",
        `${connection.origin.peer} closed on the ${name} door: no complete HTTP request ` +
          `within ${headerTimeoutMs} ms`,
      );
      connection.end();
    }, headerTimeoutMs);
  };

  server.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    const socket = request.socket as Duplex;
    const connection = connections.get(socket);
    if (connection !== undefined) {
      clearTimeout(connection.timer);
      connection.timer = undefined;
      response.once("finish", () => {
        if (!socket.destroyed) arm(connection);
      });
    }
    try {
      handlers.request(request, response);
    } catch (error) {
      log.error(`${name} door: ${oneLine(error)}`);
      socket.destroy();
    }
  });

  server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Uint8Array) => {
    const connection = connections.get(socket);
    if (connection === undefined || handlers.upgrade === undefined) {
      socket.destroy();
      return;
    }
    clearTimeout(connection.timer);
    connection.timer = undefined;
    connection.upgraded = true;
    connections.delete(socket);
    try {
      handlers.upgrade(request, socket, head, {
        origin: connection.origin,
        open(link) {
          connection.opened = true;
          connection.ticket.open(link);
        },
      });
    } catch (error) {
      log.error(`${name} door: ${oneLine(error)}`);
      socket.destroy();
    }
  });

  server.on("clientError", (error: Error & { code?: string }, socket: Duplex) => {
    const connection = connections.get(socket);
    if (connection !== undefined && error.code?.startsWith("HPE_")) {
      log.repeated(
        `${name}-bad-request`,
        "info",
        `${connection.origin.peer} closed on the ${name} door: bad HTTP request (${error.code})`,
      );
      if (socket.writable) {
        socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      }
    }
    socket.destroy();
  });

  const start = (socket: Duplex, connection: Connection) => {
    connections.set(socket, connection);
    socket.once("close", () => {
      clearTimeout(connection.timer);
      connections.delete(socket);
      if (!connection.opened) connection.ticket.release();
    });
    server.emit("connection", socket);
  };

  const listener = listenTcp(options.hostname, options.port);
  const door = acceptLoop(listener, name, (conn, origin) => {
    tuneConn(conn);
    let socket: Duplex | undefined;
    let closed = false;
    const end = () => {
      closed = true;
      if (socket === undefined) closeQuietly(conn);
      else socket.destroy();
    };
    const admitted = host.admit(origin, end);
    if (isRefusal(admitted)) {
      const answer = httpAnswer(503, admitted.refused);
      if (options.tls === undefined) answerAndClose(conn, answer);
      else refuseOverTls(conn, options.tls, answer, httpAnswer(400, PLAIN_ON_TLS_TEXT));
      return;
    }
    const connection: Connection = {
      origin,
      ticket: admitted,
      end,
      timer: undefined,
      upgraded: false,
      opened: false,
    };
    arm(connection); // through the TLS handshake too
    if (options.tls === undefined) {
      socket = new ConnDuplex(conn);
      start(socket, connection);
      return;
    }
    const context = options.tls;
    readHello(conn).then((head) => {
      if (head === null || closed) {
        clearTimeout(connection.timer);
        closeQuietly(conn);
        admitted.release();
        return;
      }
      if (!isTlsHandshake(head)) {
        clearTimeout(connection.timer);
        log.repeated(
          `${name}-not-tls`,
          "info",
          `${origin.peer} does not speak TLS on the ${name} door: answered 400`,
        );
        answerAndClose(conn, httpAnswer(400, PLAIN_ON_TLS_TEXT)).finally(() => admitted.release());
        return;
      }
      const secure = socket = startTls(conn, head, context);
      secure.on("error", (error: Error) => {
        if (connection.upgraded) return;
        log.repeated(
          `${name}-tls`,
          "info",
          `${origin.peer} TLS failed on the ${name} door: ${oneLine(error)}`,
        );
      });
      start(secure, connection);
    });
  }, (line) => log.error(line));

  return {
    name,
    addr: door.addr,
    async close() {
      listening = false;
      await door.close();
      for (const socket of [...connections.keys()]) socket.destroy();
    },
  };
}

/** What a plain HTTP client hears on an HTTPS door. */
export const PLAIN_ON_TLS_TEXT = "this port speaks HTTPS: use https:// or wss://";

/**
 * A whole HTTP/1.1 answer that closes the connection: a status and one line of
 * plain text.
 *
 * @example
 * ```ts
 * import { httpAnswer } from "./http_door.ts";
 * import assert from "node:assert/strict";
 *
 * const text = new TextDecoder().decode(httpAnswer(503, "server full"));
 * assert.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
 * assert.ok(text.endsWith("\r\n\r\nserver full\n"));
 * ```
 *
 * @param status The status code.
 * @param text The body, one line.
 * @returns The bytes.
 */
export function httpAnswer(status: number, text: string): Uint8Array {
  const body = new TextEncoder().encode(text + "\n");
  const head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\n` +
    "content-type: text/plain; charset=utf-8\r\n" +
    `content-length: ${body.length}\r\n` +
    "connection: close\r\n\r\n";
  const encoded = new TextEncoder().encode(head);
  const bytes = new Uint8Array(encoded.length + body.length);
  bytes.set(encoded);
  bytes.set(body, encoded.length);
  return bytes;
}

// Writes `answer`, says no more, reads what the peer still sends for a moment
// (so that its request in flight does not reset the connection), then closes.
async function answerAndClose(conn: Deno.Conn, answer: Uint8Array): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), LINGER_MS);
  try {
    for (let at = 0; at < answer.length;) at += await conn.write(answer.subarray(at));
    await (conn as Deno.TcpConn).closeWrite();
    const sink = new Uint8Array(1024);
    while (await conn.read(sink) !== null) { /* dropped */ }
  } catch {
    // Gone already, or closed at the end of the linger.
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}
