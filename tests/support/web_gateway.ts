/**
 * Test helpers for the web door: the door served on 127.0.0.1 over a fake host
 * that admits everyone, and a WebSocket peer built on Deno's own `WebSocket`.
 *
 * @module
 */

import type { LinkOrigin } from "../../server/session/link.ts";
import { openWebDoor, type WebDoorOptions } from "../../server/doors/web_door.ts";
import type { WebSocketLink } from "../../server/doors/websocket_link.ts";
import { within } from "./deadline.ts";
import { FakeDoorHost } from "./fake_door_host.ts";

/** One WebSocket the door accepted. */
export interface Accepted {
  readonly link: WebSocketLink;
  readonly origin: LinkOrigin;
}

/** What {@linkcode startGateway} takes: the door's options, and a test session. */
export type GatewayOptions = Partial<WebDoorOptions> & {
  /** Called with each accepted link (after it is recorded). */
  open?: (link: WebSocketLink, origin: LinkOrigin) => void;
};

/** The door on a free port of 127.0.0.1. */
export interface GatewayServer extends AsyncDisposable {
  /** The page's own origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `ws://127.0.0.1:<port>/ws`. */
  readonly wsUrl: string;
  /** Links in the order the door accepted them. */
  readonly accepted: Accepted[];
  /** The fake host: its log lines, its tickets, `refuse`. */
  readonly host: FakeDoorHost;
  /** Waits for the `count`-th accepted link (the first by default). */
  nextLink(count?: number): Promise<Accepted>;
}

/**
 * Serves the web door; every connection is admitted, and every link closed
 * when the door stops.
 */
export function startGateway(options: GatewayOptions = {}): GatewayServer {
  const host = new FakeDoorHost();
  const accepted: Accepted[] = [];
  host.onOpen = ({ link, origin }) => {
    accepted.push({ link: link as WebSocketLink, origin });
    options.open?.(link as WebSocketLink, origin);
  };
  const { open: _, ...doorOptions } = options;
  const door = openWebDoor({ hostname: "127.0.0.1", port: 0, ...doorOptions }, host);
  const origin = `http://127.0.0.1:${door.addr.port}`;
  return {
    origin,
    wsUrl: `ws://127.0.0.1:${door.addr.port}/ws`,
    accepted,
    host,
    async nextLink(count = 1) {
      await host.nextOpened(count);
      return accepted[count - 1]!;
    },
    async [Symbol.asyncDispose]() {
      host.closeAll();
      host.expire();
      await door.close();
      await host.until(() => host.pending === 0, "every connection released");
      // The links' closing handshakes end within their grace.
      await host.until(
        () => accepted.every(({ link }) => link.closeStatus !== undefined),
        "every link closed",
      );
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
