/**
 * A fake chat room behind the real web gateway, for browser tests and the
 * screenshot: each WebSocket that logs in gets every message re-broadcast as a
 * server frame with its sender's name, and the server's voice (`*`) greets it.
 * `/who` is answered to its sender alone, with each name as a JSON string
 * literal (`2 here: "alice", "bob"`), and not counted as a message.
 *
 * @module
 */

import { encodeChatMessage } from "../../protocol/encode.ts";
import { ServerDecoder } from "../../protocol/server_decoder.ts";
import { openWebDoor, type WebDoorOptions } from "../../server/doors/web_door.ts";
import type { WebSocketLink } from "../../server/doors/websocket_link.ts";
import { FakeDoorHost } from "./fake_door_host.ts";

/** The room, served on 127.0.0.1. */
export interface EchoRoom extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every login, in order. */
  readonly logins: string[];
  /** Every message received, as `user: text`. */
  readonly received: string[];
  /** How many `/who` requests arrived. */
  readonly whoRequests: number;
  /** Closes every member's WebSocket with 1001, as a server restart would. */
  dropAll(): void;
  /** Sends every member `text` from the server's voice, `*`. */
  say(text: string): void;
  /** Reads nothing from any connection (logins included) until {@linkcode EchoRoom.releaseReads}. */
  holdReads(): void;
  /** Reads again. */
  releaseReads(): void;
}

/** Serves the page and the fake room on a free port of 127.0.0.1 (or `port`). */
export function startEchoRoom(
  options: Partial<WebDoorOptions> = {},
): EchoRoom {
  const links = new Set<WebSocketLink>();
  const members = new Set<WebSocketLink>();
  const logins: string[] = [];
  const received: string[] = [];
  const decoder = new TextDecoder();
  const names = new Map<WebSocketLink, string>();
  let whoRequests = 0;
  let held: PromiseWithResolvers<void> | undefined;

  function broadcast(username: string, text: string): void {
    const frame = encodeChatMessage({ timestamp: Math.floor(Date.now() / 1000), username, text });
    for (const member of members) member.write(frame).catch(() => {});
  }

  async function run(link: WebSocketLink): Promise<void> {
    let username = "";
    const sessionDecoder = new ServerDecoder({
      login(name) {
        username = name;
        logins.push(name);
        members.add(link);
        names.set(link, name);
        broadcast("*", `${JSON.stringify(name)} joined`); // as presence words it
      },
      message(bytes) {
        const text = decoder.decode(bytes);
        if (text === "/who") {
          whoRequests++;
          const here = [...names.values()].sort().map((name) => JSON.stringify(name));
          const answer = `${here.length} here: ${here.join(", ")}`;
          const timestamp = Math.floor(Date.now() / 1000);
          link.write(encodeChatMessage({ timestamp, username: "*", text: answer })).catch(() => {});
          return;
        }
        received.push(`${username}: ${text}`);
        broadcast(username, text);
      },
    }, options);
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        if (held !== undefined) await held.promise;
        const read = await link.read(buffer);
        if (read === null) break;
        sessionDecoder.push(buffer.subarray(0, read));
      }
    } catch {
      link.closeWith(1002, "Protocol error");
    } finally {
      members.delete(link);
      names.delete(link);
      links.delete(link);
    }
  }

  const runs = new Set<Promise<void>>();
  const host = new FakeDoorHost();
  host.onOpen = ({ link }) => {
    const webLink = link as WebSocketLink;
    links.add(webLink);
    const session = run(webLink);
    runs.add(session);
    session.finally(() => runs.delete(session));
  };
  const door = openWebDoor({ hostname: "127.0.0.1", port: 0, ...options }, host);
  return {
    origin: `http://127.0.0.1:${door.addr.port}`,
    logins,
    received,
    get whoRequests() {
      return whoRequests;
    },
    say(text) {
      broadcast("*", text);
    },
    holdReads() {
      held ??= Promise.withResolvers();
    },
    releaseReads() {
      held?.resolve();
      held = undefined;
    },
    dropAll() {
      for (const member of members) member.closeWith(1001, "Server restarting");
    },
    async [Symbol.asyncDispose]() {
      held?.resolve();
      for (const link of links) link.close();
      await Promise.all(runs);
      host.expire();
      await door.close();
      await host.until(() => host.pending === 0, "every connection released");
    },
  };
}
