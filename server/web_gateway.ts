/**
 * The WebSocket door: a `Deno.serve` handler that serves the chat page and hands
 * each WebSocket at `/ws` to the server's sessions as a {@linkcode Link}.
 *
 * @module
 */

import { APP_JS, INDEX_HTML, STYLE_HASH } from "./web_assets.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../protocol/limits.ts";
import { formatHostPort } from "../cli/host_port.ts";
import type { LinkOrigin } from "./link.ts";
import { CloseCode, WebSocketLink, type WebSocketLinkOptions } from "./websocket_link.ts";

/** Options of {@linkcode createWebGateway}. */
export interface WebGatewayOptions {
  /**
   * Receives each accepted WebSocket once it is open: the server's admission and
   * session code. Returning a string refuses the client: the link is closed with
   * 1013 (try again later) and that string as the reason. A throw closes it with
   * 1011.
   *
   * @param link The WebSocket as a link; `closeWith` closes it with a code.
   * @param origin Door `"web"` and the peer's address.
   * @returns Nothing to accept the client, or why it is refused.
   */
  open(link: WebSocketLink, origin: LinkOrigin): string | void;
  /**
   * Origins (`scheme://host[:port]`) whose pages may open a WebSocket, besides the
   * page's own origin. Others get 403.
   *
   * @default {[]}
   */
  allowedOrigins?: readonly string[];
  /**
   * The server speaks plain HTTP behind a proxy that terminates TLS (`--web-plain`):
   * the page's own origin is then also `https://` and the request's host, as the
   * browser sees it.
   *
   * @default {false}
   */
  behindTlsProxy?: boolean;
  /**
   * The server's limit on a login, in bytes; the page checks it before sending.
   *
   * @default {25}
   */
  maxUsernameSize?: number;
  /**
   * The server's limit on a message, in bytes; the page checks it before sending.
   *
   * @default {3000}
   */
  maxMessageSize?: number;
  /**
   * The room's name, shown by the page instead of the host (a cluster's `--room`).
   *
   * @default {undefined}
   */
  room?: string;
  /**
   * The rest of each link's options (its slow-consumer bound); its largest
   * message is one client frame: `max(maxUsernameSize, maxMessageSize) + 4`.
   *
   * @default {{}}
   */
  link?: Omit<WebSocketLinkOptions, "maxMessageBytes">;
}

/** A `Deno.serve` handler. */
export type WebGatewayHandler = (request: Request, info: Deno.ServeHandlerInfo) => Response;

/**
 * The Content-Security-Policy of the page: its own script and connections only,
 * its one inline style by hash, nothing else.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src '${STYLE_HASH}'`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const COMMON_HEADERS = {
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * Creates the handler of the web door, for `Deno.serve`:
 *
 * - `GET /`: the page, with a strict Content-Security-Policy (no inline script);
 * - `GET /app.js`: its script;
 * - `GET /config.json`: the server's limits, `{ maxUsernameSize, maxMessageSize }`, and
 *   `room` when given;
 * - `GET /ws`: a WebSocket, after the Origin check: a request whose `Origin` is
 *   neither the page's own `scheme://host` nor in `allowedOrigins` gets 403; a
 *   request without `Origin` (not a browser) is accepted.
 *
 * The page and script are embedded strings (`server/web_assets.ts`): serving them needs
 * no `--allow-read`. Requires `--allow-net` for `Deno.serve`.
 *
 * @example Serving the page and refusing a foreign page's WebSocket
 * ```ts
 * import { createWebGateway } from "@wirechat/wirechat/server";
 * import assert from "node:assert/strict";
 *
 * const handler = createWebGateway({
 *   open(link, origin) {
 *     // The server's admission and session code goes here; a string refuses.
 *     if (origin.door !== "web") return "Unexpected door";
 *     link.close();
 *     return undefined;
 *   },
 *   allowedOrigins: ["https://chat.example.com"],
 * });
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
 * const base = `http://127.0.0.1:${server.addr.port}`;
 * const page = await fetch(base);
 * assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
 * await page.body?.cancel();
 * const refused = await fetch(`${base}/ws`, { headers: { origin: "https://evil.example" } });
 * assert.equal(refused.status, 403);
 * await refused.body?.cancel();
 * await server.shutdown();
 * ```
 *
 * @param options The sessions' entry point, allowed origins and limits.
 * @returns The handler.
 */
export function createWebGateway(options: WebGatewayOptions): WebGatewayHandler {
  const allowed = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const maxUsernameSize = options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE;
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const linkOptions: WebSocketLinkOptions = {
    ...options.link,
    maxMessageBytes: Math.max(maxUsernameSize, maxMessageSize) + 4,
  };
  const config = JSON.stringify({ maxUsernameSize, maxMessageSize, room: options.room });

  return (request, info) => {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "Method not allowed", { allow: "GET, HEAD" });
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return new Response(INDEX_HTML, {
          headers: {
            ...COMMON_HEADERS,
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": CONTENT_SECURITY_POLICY,
          },
        });
      case "/app.js":
        return new Response(APP_JS, {
          headers: { ...COMMON_HEADERS, "content-type": "text/javascript; charset=utf-8" },
        });
      case "/config.json":
        return new Response(config, {
          headers: { ...COMMON_HEADERS, "content-type": "application/json" },
        });
      case "/ws":
        return upgrade(request, url, info);
      default:
        return text(404, "Not found");
    }
  };

  function isOwnOrigin(origin: string, url: URL): boolean {
    if (origin === url.origin) return true;
    return options.behindTlsProxy === true && url.protocol === "http:" &&
      origin === new URL(`https://${url.host}`).origin;
  }

  function upgrade(request: Request, url: URL, info: Deno.ServeHandlerInfo): Response {
    const origin = request.headers.get("origin");
    if (origin !== null && !isOwnOrigin(origin, url) && !allowed.has(origin)) {
      return text(403, "Origin not allowed");
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return text(426, "Upgrade required: this is a WebSocket endpoint", {
        upgrade: "websocket",
      });
    }
    // The peer's address must be read before the upgrade takes the request over.
    const linkOrigin = originOf(info);
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request);
    } catch {
      return text(400, "Bad WebSocket request");
    }
    const { socket, response } = upgraded;
    const link = new WebSocketLink(socket, linkOptions);
    socket.addEventListener("open", () => {
      let refusal: string | void;
      try {
        refusal = options.open(link, linkOrigin);
      } catch {
        link.closeWith(CloseCode.InternalError, "Internal error");
        return;
      }
      if (typeof refusal === "string") link.closeWith(CloseCode.TryAgainLater, refusal);
    }, { once: true });
    return response;
  }
}

/** Door `"web"` and the peer's address, from what `Deno.serve` says of the request. */
function originOf(info: Deno.ServeHandlerInfo): LinkOrigin {
  const address = info.remoteAddr;
  if (address.transport === "tcp" || address.transport === "udp") {
    return {
      door: "web",
      peer: formatHostPort(address.hostname, address.port),
      hostname: address.hostname,
    };
  }
  return { door: "web", peer: "unix", hostname: "unix" };
}

/**
 * An origin as browsers send it: `scheme://host[:port]`, lower case, without a
 * default port or a path.
 */
function normalizeOrigin(origin: string): string {
  const url = new URL(origin);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`Invalid origin: "${origin}" is not http:// or https://`);
  }
  return url.origin;
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body + "\n", {
    status,
    headers: { ...COMMON_HEADERS, "content-type": "text/plain; charset=utf-8", ...headers },
  });
}
