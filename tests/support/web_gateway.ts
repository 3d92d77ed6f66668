/**
 * Test helpers for the web door: the gateway served on 127.0.0.1 with a test
 * `open` callback, and a WebSocket peer built on Deno's own `WebSocket`.
 *
 * @module
 */

import type { LinkOrigin } from "../../server/session/link.ts";
import { createWebGateway, type WebGatewayOptions } from "../../server/doors/web_gateway.ts";
import type { WebSocketLink } from "../../server/doors/websocket_link.ts";
import { within } from "./deadline.ts";

/** One WebSocket the gateway accepted. */
export interface Accepted {
  readonly link: WebSocketLink;
  readonly origin: LinkOrigin;
}

/** The gateway on a free port of 127.0.0.1. */
export interface GatewayServer extends AsyncDisposable {
  /** The page's own origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `ws://127.0.0.1:<port>/ws`. */
  readonly wsUrl: string;
  /** Links in the order the gateway accepted them. */
  readonly accepted: Accepted[];
  /** Waits for the `count`-th accepted link (the first by default). */
  nextLink(count?: number): Promise<Accepted>;
}

/**
 * Serves the gateway; `open` defaults to accepting every link (and closing it
 * when the server stops).
 */
export function startGateway(
  options: Partial<WebGatewayOptions> = {},
): GatewayServer {
  const accepted: Accepted[] = [];
  const waiters: (() => void)[] = [];
  const handler = createWebGateway({
    ...options,
    open(link, origin) {
      accepted.push({ link, origin });
      for (const wake of waiters.splice(0)) wake();
      return options.open?.(link, origin);
    },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    origin,
    wsUrl: `ws://127.0.0.1:${server.addr.port}/ws`,
    accepted,
    async nextLink(count = 1) {
      while (accepted.length < count) {
        await within(new Promise<void>((resolve) => waiters.push(resolve)), "a link", 5_000);
      }
      return accepted[count - 1]!;
    },
    async [Symbol.asyncDispose]() {
      for (const { link } of accepted) link.close();
      await server.shutdown();
    },
  };
}

/** A WebSocket client that records binary messages and how it closed. */
export class WebSocketPeer {
  /** The socket. */
  readonly socket: WebSocket;
  /** Every binary message received, in order. */
  readonly messages: Uint8Array[] = [];
  /** Resolves when the socket opens; rejects when it fails first. */
  readonly opened: Promise<void>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  #wake: (() => void) | undefined;

  /**
   * Connects to `url`, sending `origin` as the Origin header when given.
   */
  constructor(url: string, origin?: string) {
    const init = origin === undefined ? undefined : { headers: { origin } };
    this.socket = new WebSocket(url, init);
    this.socket.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.socket.addEventListener("open", () => resolve());
      this.socket.addEventListener("error", () => reject(new Error("WebSocket failed")));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.socket.addEventListener("close", (event) => {
        resolve({ code: event.code, reason: event.reason });
        this.#wake?.();
      });
    });
    this.socket.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer) this.messages.push(new Uint8Array(event.data));
      this.#wake?.();
    });
  }

  /** Waits until `count` messages have arrived. */
  async waitForMessages(count: number): Promise<Uint8Array[]> {
    while (this.messages.length < count) {
      await within(new Promise<void>((resolve) => this.#wake = resolve), "messages", 5_000);
    }
    return this.messages.slice(0, count);
  }

  /** Waits for the close event, within 5 seconds. */
  waitForClose(): Promise<{ code: number; reason: string }> {
    return within(this.closed, "the WebSocket to close", 5_000);
  }

  /** Closes the socket and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.waitForClose();
  }
}

/** Reads from `link` until `count` bytes arrived (or the end), in reads of `size`. */
export async function readBytes(
  link: WebSocketLink,
  count: number,
  size = 64 * 1024,
): Promise<{ bytes: Uint8Array; reads: number[] }> {
  const bytes = new Uint8Array(count);
  const reads: number[] = [];
  let at = 0;
  while (at < count) {
    const buffer = new Uint8Array(Math.min(size, count - at));
    const read = await within(link.read(buffer), "a read", 5_000);
    if (read === null) break;
    bytes.set(buffer.subarray(0, read), at);
    reads.push(read);
    at += read;
  }
  return { bytes: bytes.subarray(0, at), reads };
}
