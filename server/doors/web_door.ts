/**
 * The web door: the chat page over HTTP(S) and its WebSocket endpoint `/ws`, on
 * the HTTP door (our accept loop, `node:http`) with `npm:ws` for the WebSocket,
 * loaded only when the door opens: a server without `--web` loads no package.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Door, DoorHost } from "./door.ts";
import { httpAnswer, type HttpUpgrade, openHttpDoor } from "./http_door.ts";
import { TlsContext, transportOf } from "./tls_door.ts";
import type { TlsCertifiedKey } from "./tls_files.ts";
import { createWebGateway, type WebGatewayOptions } from "./web_gateway.ts";
import { WebSocketLink, type WebSocketLinkOptions, type WsSocket } from "./websocket_link.ts";
import { formatHostPort } from "../../cli/host_port.ts";
import type { TLSSocket } from "node:tls";

/** Where the web door listens, and what it accepts. */
export interface WebDoorOptions extends Omit<WebGatewayOptions, "secure"> {
  /** The address to listen on. */
  readonly hostname: string;
  /** The port; 0 picks a free one. */
  readonly port: number;
  /** The certificate, for HTTPS and WSS; plain HTTP and WS without one. */
  readonly tls?: TlsCertifiedKey | undefined;
  /**
   * Milliseconds a connection has to send a complete request head.
   *
   * @default {10000}
   */
  readonly headerTimeoutMs?: number;
  /** The rest of each WebSocket link's options (its queue and write bounds). */
  readonly link?: Omit<WebSocketLinkOptions, "maxMessageBytes" | "transport">;
}

// What the door uses of npm:ws's WebSocketServer.
interface WsServer {
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    done: (socket: WsSocket) => void,
  ): void;
}

/** The web door: a {@linkcode Door} whose certificate (if it has one) can be replaced. */
export interface WebDoor extends Door {
  /** Whether it speaks HTTPS and WSS. */
  readonly secure: boolean;
  /**
   * Replaces the certificate for new connections, as the TLS door does.
   *
   * @param cert The new certificate chain, PEM.
   * @param key Its private key, PEM.
   * @returns A promise that resolves once new connections get the new pair.
   * @throws {Error} With a one-line message when the pair is not usable (the old
   * one stays), or when the door has no certificate.
   */
  reload(cert: string, key: string): Promise<void>;
}

/**
 * Opens the web door. Every connection counts against the server's limits from
 * accept (a refusal is answered 503); the page is served by
 * {@linkcode createWebGateway}; a WebSocket at `/ws` that passes its Host and
 * Origin checks is upgraded by `npm:ws` (`maxPayload`: one client frame, so a
 * larger message is refused with 1009 before it is buffered; no compression)
 * and handed to the server as a {@linkcode WebSocketLink}. Requires `--allow-net`,
 * and the `ws` package (`npm:ws@^8`), imported when the door opens.
 *
 * @example A web door beside the others
 * ```ts ignore
 * const door = openWebDoor({ hostname: "0.0.0.0", port: 8080, hosts: ["chat.example.com"] }, hub);
 * ```
 *
 * @param options Where to listen, the certificate, the origins and hosts allowed.
 * @param host The server: admission and sessions.
 * @returns The door, accepting (a WebSocket waits for `ws` to load, if it must).
 * @throws {Error} With a one-line message when the certificate is not usable.
 * @throws {Deno.errors.AddrInUse} When the port is taken.
 */
export function openWebDoor(options: WebDoorOptions, host: DoorHost): WebDoor {
  const secure = options.tls !== undefined;
  const gateway = createWebGateway({ ...options, secure });
  const linkOptions = { ...options.link, maxMessageBytes: gateway.maxMessageBytes };
  const log = host.log;
  let failed: string | undefined;
  const servers = loadWs().then(
    ({ WebSocketServer }) =>
      new WebSocketServer({
        noServer: true,
        maxPayload: gateway.maxMessageBytes,
        perMessageDeflate: false,
        clientTracking: false,
      }) as unknown as WsServer,
    (error) => {
      failed = `the web door cannot load the ws package: ${(error as Error).message}`;
      log.error(failed);
      return undefined;
    },
  );

  const upgrade = async (
    request: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    upgrade: HttpUpgrade,
  ) => {
    const refusal = gateway.checkUpgrade(request);
    if (refusal !== undefined) {
      log.repeated(
        "web-upgrade-refused",
        "info",
        `${upgrade.origin.peer} refused on the web door: ${refusal.text} ` +
          `(Host ${quoteHeader(request.headers.host)}, Origin ${
            quoteHeader(request.headers.origin)
          })`,
      );
      socket.once("finish", () => socket.destroy());
      socket.end(httpAnswer(refusal.status, refusal.text));
      return;
    }
    const server = await servers;
    if (server === undefined || socket.destroyed) {
      socket.end(httpAnswer(503, failed ?? "Connection closed"));
      socket.destroy();
      return;
    }
    server.handleUpgrade(request, socket, head, (ws) => {
      const transport = secure ? transportOf(socket as TLSSocket) : undefined;
      upgrade.open(new WebSocketLink(ws, { ...linkOptions, transport, socket }));
    });
  };

  const context = options.tls === undefined ? undefined : new TlsContext(options.tls);
  const door = openHttpDoor(
    {
      name: "web",
      hostname: options.hostname,
      port: options.port,
      tls: context,
      ...(options.headerTimeoutMs === undefined
        ? {}
        : { headerTimeoutMs: options.headerTimeoutMs }),
    },
    host,
    {
      request: (request, response) => gateway.request(request, response),
      upgrade: (request, socket, head, handle) => {
        upgrade(request, socket, head, handle).catch((error) => {
          log.error(`web door: ${(error as Error).message}`);
          socket.destroy();
        });
      },
    },
  );
  const scheme = secure ? "https" : "http";
  log.info(`web page on ${scheme}://${formatHostPort(door.addr.hostname, door.addr.port)}/`);
  return {
    name: door.name,
    addr: door.addr,
    secure,
    reload(cert, key) {
      try {
        if (context === undefined) throw new Error("The web door has no certificate");
        context.reload(cert, key);
      } catch (error) {
        return Promise.reject(error);
      }
      log.info(`TLS certificate reloaded on the web door`);
      return Promise.resolve();
    },
    async close() {
      await door.close();
      await servers; // the import settles before the door says it is closed
    },
  };
}

/**
 * Imports `npm:ws`. At load, `ws` reads the environment variable
 * `WS_NO_BUFFER_UTIL` (which would need `--allow-env`) unless `node:http` offers
 * `websocketMask` and `websocketUnmask`, as Bun's does: they are given here, the
 * same XOR loops `ws` runs without its optional native module, so that `--web`
 * needs no permission beyond `--allow-net`.
 */
async function loadWs(): Promise<typeof import("ws")> {
  const http = (await import("node:http")).default as unknown as Record<string, unknown>;
  if (typeof http.websocketMask !== "function") {
    Object.assign(http, {
      websocketMask(
        source: Uint8Array,
        mask: Uint8Array,
        output: Uint8Array,
        offset: number,
        length: number,
      ): void {
        for (let i = 0; i < length; i++) output[offset + i] = source[i]! ^ mask[i & 3]!;
      },
      websocketUnmask(buffer: Uint8Array, mask: Uint8Array): void {
        for (let i = 0; i < buffer.length; i++) buffer[i]! ^= mask[i & 3]!;
      },
    });
  }
  return await import("ws");
}

function quoteHeader(value: string | undefined): string {
  return value === undefined ? "none" : JSON.stringify(value.slice(0, 100));
}
