#!/usr/bin/env -S deno run --allow-net
/**
 * The baseline for the benchmarks: a chat server written the straightforward way,
 * as most people would write it. It is correct (every message relayed to every
 * logged-in client, the sender included, in one total order; strict size limits
 * and UTF-8), but it makes no effort to be fast or frugal:
 *
 * - a 64 KiB read buffer per connection, idle or not;
 * - one `await conn.write` per recipient per message, under one room-wide lock
 *   (which is what keeps the order total), while the sender's reads wait;
 * - a client that stops reading stalls everyone.
 *
 * Do not deploy it: `server.ts` is the server.
 *
 * ```sh
 * deno run --allow-net bench/naive_server.ts --host 127.0.0.1 --port 9000
 * ```
 *
 * @module
 */

import { encodeChatMessage } from "../protocol/encode.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_USERNAME_SIZE } from "../protocol/limits.ts";
import { DEFAULT_PORT } from "../protocol/ports.ts";
import { ServerDecoder } from "../protocol/server_decoder.ts";
import { errorMessage } from "../cli/error_message.ts";
import { integerValue, nonEmptyValue, parseFlags } from "../cli/flags.ts";

/** Where the naive server listens, and its limits. */
export interface NaiveServerOptions {
  /**
   * The address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port; 0 picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /**
   * The largest user name accepted, in bytes.
   *
   * @default {25}
   */
  maxUsernameSize?: number;
  /**
   * The largest message accepted, in bytes.
   *
   * @default {3000}
   */
  maxMessageSize?: number;
}

/** A running naive server. */
export interface NaiveServer {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** Stops accepting, closes every connection, and resolves when all is closed. */
  close(): Promise<void>;
}

interface Member {
  readonly conn: Deno.TcpConn;
  username: string;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

class Room {
  readonly #members = new Set<Member>();
  readonly #connections = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #listener: Deno.TcpListener;
  readonly #maxUsernameSize: number;
  readonly #maxMessageSize: number;
  #lock: Promise<void> = Promise.resolve();
  #accepting: Promise<void> = Promise.resolve();

  constructor(listener: Deno.TcpListener, maxUsernameSize: number, maxMessageSize: number) {
    this.#listener = listener;
    this.#maxUsernameSize = maxUsernameSize;
    this.#maxMessageSize = maxMessageSize;
  }

  start(): void {
    this.#accepting = this.#accept();
  }

  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.allSettled(this.#connections);
    await this.#lock;
  }

  async #accept(): Promise<void> {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return; // closed
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const serving = this.#serve(conn).finally(() => this.#connections.delete(serving));
      this.#connections.add(serving);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    this.#conns.add(conn);
    conn.setNoDelay(true);
    const member: Member = { conn, username: "" };
    const buffer = new Uint8Array(64 * 1024);
    const text = new TextDecoder();
    const frames: Uint8Array[] = [];
    const decoder = new ServerDecoder({
      login: (username) => {
        member.username = username;
        this.#members.add(member);
      },
      message: (bytes) => {
        frames.push(encodeChatMessage({
          timestamp: Math.floor(Date.now() / 1000),
          username: member.username,
          text: text.decode(bytes),
        }));
      },
    }, { maxUsernameSize: this.#maxUsernameSize, maxMessageSize: this.#maxMessageSize });
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        decoder.push(buffer.subarray(0, n));
        for (const frame of frames.splice(0)) await this.#broadcast(frame);
      }
    } catch {
      // a protocol error or a failed read: drop the connection
    } finally {
      this.#members.delete(member);
      this.#conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }

  /** Writes `frame` to every member in turn, after every earlier broadcast. */
  #broadcast(frame: Uint8Array): Promise<void> {
    this.#lock = this.#lock.then(async () => {
      for (const member of this.#members) {
        try {
          await writeAll(member.conn, frame);
        } catch {
          this.#members.delete(member);
        }
      }
    });
    return this.#lock;
  }
}

/**
 * Starts the naive server.
 *
 * Requires `--allow-net`.
 *
 * @example Start on a free port, then stop
 * ```ts
 * import { startNaiveServer } from "./naive_server.ts";
 * import assert from "node:assert/strict";
 *
 * const server = startNaiveServer({ hostname: "127.0.0.1", port: 0 });
 * assert.ok(server.addr.port > 0);
 * await server.close();
 * ```
 *
 * @param options Where to listen and the limits.
 * @returns The running server.
 */
export function startNaiveServer(options: NaiveServerOptions = {}): NaiveServer {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    tcpBacklog: 4096,
  });
  const room = new Room(
    listener,
    options.maxUsernameSize ?? DEFAULT_MAX_USERNAME_SIZE,
    options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
  );
  room.start();
  let closing: Promise<void> | undefined;
  return {
    addr: listener.addr,
    close: () => closing ??= room.close(),
  };
}

const USAGE = `The naive baseline chat server of the benchmarks (not for use).

USAGE:
  deno run --allow-net bench/naive_server.ts [options]

OPTIONS:
  --host H                 address to listen on (127.0.0.1)
  --port P                 port, 0 for a free one (${DEFAULT_PORT})
  --max-username-size N    largest user name in bytes (25)
  --max-message-size N     largest message in bytes (3000)
  -h, --help               print this help`;

const FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  "max-username-size": { type: "string" },
  "max-message-size": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

async function main(): Promise<number> {
  let options: NaiveServerOptions;
  try {
    const { values, positionals } = parseFlags(Deno.args, FLAGS);
    if (positionals.length > 0) throw new RangeError(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const size = (flag: "max-username-size" | "max-message-size", fallback: number) =>
      values[flag] === undefined ? fallback : integerValue(flag, values[flag], 0, 2 ** 32 - 1);
    options = {
      hostname: nonEmptyValue("host", values.host ?? "127.0.0.1"),
      port: values.port === undefined ? DEFAULT_PORT : integerValue("port", values.port, 0, 65535),
      maxUsernameSize: size("max-username-size", DEFAULT_MAX_USERNAME_SIZE),
      maxMessageSize: size("max-message-size", DEFAULT_MAX_MESSAGE_SIZE),
    };
  } catch (error) {
    console.error(`naive_server: ${errorMessage(error)}\n\n${USAGE}`);
    return 1;
  }
  let server: NaiveServer;
  try {
    server = startNaiveServer(options);
  } catch (error) {
    console.error(
      `naive_server: cannot listen on ${options.hostname}:${options.port}: ${errorMessage(error)}`,
    );
    return 1;
  }
  console.error(`naive_server: listening on ${server.addr.hostname}:${server.addr.port}`);
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await stopped.promise;
  await server.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main());
