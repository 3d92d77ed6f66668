/**
 * What the web door says over HTTP: the chat page, its script and limits, and
 * the checks a WebSocket request passes (its Host, its Origin) before the
 * upgrade. Pure request handling for `node:http`; the door does the I/O.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { APP_JS, INDEX_HTML, STYLE_HASH } from "./web_assets.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../../protocol/limits.ts";

/** Options of {@linkcode createWebGateway}. */
export interface WebGatewayOptions {
  /**
   * Origins (`scheme://host[:port]`) whose pages may open a WebSocket, besides the
   * page's own origin. Others get 403.
   *
   * @default {[]}
   */
  allowedOrigins?: readonly string[];
  /**
   * Host names the page is served under, besides IP literals and `localhost`: a
   * WebSocket request whose `Host` is none of them gets 403 (DNS rebinding).
   *
   * @default {[]}
   */
  hosts?: readonly string[];
  /**
   * The door speaks HTTPS: the page's own origin is `https://` and its host.
   *
   * @default {false}
   */
  secure?: boolean;
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
}

/** Why a WebSocket request is refused before its upgrade. */
export interface UpgradeRefusal {
  /** The HTTP status: 403, 404, 405. */
  readonly status: number;
  /** One line for the client and the log. */
  readonly text: string;
}

/** The web door's answers: see {@linkcode createWebGateway}. */
export interface WebGateway {
  /** The largest WebSocket message, in bytes: one client frame. */
  readonly maxMessageBytes: number;
  /** Answers a request that is not an upgrade. */
  request(request: IncomingMessage, response: ServerResponse): void;
  /** Checks a WebSocket upgrade request: `undefined` lets it through. */
  checkUpgrade(request: IncomingMessage): UpgradeRefusal | undefined;
}

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
 * Creates the answers of the web door:
 *
 * - `GET /`: the page, with a strict Content-Security-Policy (no inline script);
 * - `GET /app.js`: its script;
 * - `GET /config.json`: the server's limits, `{ maxUsernameSize, maxMessageSize }`, and
 *   `room` when given;
 * - `GET /ws` with `Upgrade: websocket`: let through to the WebSocket server only
 *   when its `Host` is an IP literal, `localhost` or one of `hosts`, and its
 *   `Origin` is the page's own `scheme://host` or in `allowedOrigins`; else 403.
 *   A request without `Origin` (not a browser) passes. `/ws` without an upgrade
 *   gets 426.
 *
 * The page and script are embedded strings (`server/doors/web_assets.ts`):
 * serving them needs no `--allow-read`.
 *
 * @example A foreign page's WebSocket is refused
 * ```ts
 * import { createWebGateway } from "@wirechat/wirechat/server";
 * import type { IncomingMessage } from "node:http";
 * import assert from "node:assert/strict";
 *
 * const gateway = createWebGateway({ allowedOrigins: ["https://chat.example.com"] });
 * const request = (headers: Record<string, string>) =>
 *   ({ url: "/ws", method: "GET", headers }) as unknown as IncomingMessage;
 * assert.equal(gateway.checkUpgrade(request({ host: "127.0.0.1:8080" })), undefined);
 * assert.equal(
 *   gateway.checkUpgrade(request({ host: "127.0.0.1:8080", origin: "https://evil.example" }))
 *     ?.status,
 *   403,
 * );
 * assert.equal(gateway.checkUpgrade(request({ host: "evil.example:8080" }))?.status, 403);
 * ```
 *
 * @param options Allowed origins and hosts, and limits.
 * @returns The gateway.
 */
export function createWebGateway(options: WebGatewayOptions = {}): WebGateway {
  const allowed = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const hosts = new Set((options.hosts ?? []).map((host) => host.toLowerCase()));
  const maxUsernameSize = options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE;
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const config = JSON.stringify({ maxUsernameSize, maxMessageSize, room: options.room });
  const scheme = options.secure === true ? "https" : "http";

  function isOwnOrigin(origin: string, host: string): boolean {
    if (origin === originOf(scheme, host)) return true;
    return options.behindTlsProxy === true && scheme === "http" &&
      origin === originOf("https", host);
  }

  function checkUpgrade(request: IncomingMessage): UpgradeRefusal | undefined {
    if (pathOf(request) !== "/ws") return { status: 404, text: "Not found" };
    const host = request.headers.host ?? "";
    if (!isServedHost(host, hosts)) return { status: 403, text: "Host not served" };
    const origin = request.headers.origin;
    if (origin !== undefined && !isOwnOrigin(origin, host) && !allowed.has(origin)) {
      return { status: 403, text: "Origin not allowed" };
    }
    return undefined;
  }

  return {
    maxMessageBytes: Math.max(maxUsernameSize, maxMessageSize) + 4,
    request(request, response) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return text(response, 405, "Method not allowed", { allow: "GET, HEAD" });
      }
      switch (pathOf(request)) {
        case "/":
        case "/index.html":
          return send(response, 200, INDEX_HTML, {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": CONTENT_SECURITY_POLICY,
          });
        case "/app.js":
          return send(response, 200, APP_JS, {
            "content-type": "text/javascript; charset=utf-8",
          });
        case "/config.json":
          return send(response, 200, config, { "content-type": "application/json" });
        case "/ws": {
          const refusal = checkUpgrade(request);
          if (refusal !== undefined) return text(response, refusal.status, refusal.text);
          if (request.headers.upgrade?.toLowerCase() === "websocket") {
            return text(response, 400, "Bad WebSocket request");
          }
          return text(response, 426, "Upgrade required: this is a WebSocket endpoint", {
            upgrade: "websocket",
          });
        }
        default:
          return text(response, 404, "Not found");
      }
    },
    checkUpgrade,
  };
}

/**
 * Whether a `Host` header names this server: an IP literal (`127.0.0.1`,
 * `[::1]`), `localhost`, or one of `hosts` (lower case), with or without a port.
 *
 * @example
 * ```ts
 * import { isServedHost } from "./web_gateway.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isServedHost("127.0.0.1:8080", new Set()));
 * assert.ok(isServedHost("[::1]:8080", new Set()));
 * assert.ok(isServedHost("LOCALHOST", new Set()));
 * assert.ok(isServedHost("chat.example.com", new Set(["chat.example.com"])));
 * assert.ok(!isServedHost("evil.example:8080", new Set()));
 * ```
 *
 * @param host The header's value.
 * @param hosts The names given with `--web-host`, lower case.
 * @returns Whether the server serves that host.
 */
export function isServedHost(host: string, hosts: ReadonlySet<string>): boolean {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::\d{1,5})?$/.exec(host.trim());
  if (match === null) return false;
  const name = match[1]!.toLowerCase();
  if (name.startsWith("[")) return true; // an IPv6 literal, checked by the pattern
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return true;
  return name === "localhost" || hosts.has(name);
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? "/";
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

function originOf(scheme: string, host: string): string | undefined {
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return undefined;
  }
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

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
): void {
  response.writeHead(status, { ...COMMON_HEADERS, ...headers });
  response.end(response.req?.method === "HEAD" ? undefined : body);
}

function text(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  send(response, status, body + "\n", {
    "content-type": "text/plain; charset=utf-8",
    ...headers,
  });
}
