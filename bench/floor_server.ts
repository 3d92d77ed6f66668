#!/usr/bin/env -S deno run --allow-net
/**
 * The runtime's floor for the benchmarks: the least a Deno program can do and
 * still relay this protocol. It accepts, keeps one 64-byte read pending per
 * connection (4 KiB once a client has filled one), cuts frames out of what it
 * reads and writes each relayed frame to every logged-in client, one write in
 * flight per client. It checks nothing (no
 * UTF-8, no name rules, no limits but a frame's size), keeps no history, has no
 * back-pressure and no timeouts: what `server.ts` costs above it is the price of
 * what `server.ts` promises.
 *
 * Do not deploy it: `server.ts` is the server.
 *
 * ```sh
 * deno run --allow-net bench/floor_server.ts --host 127.0.0.1 --port 9000
 * ```
 *
 * @module
 */

import { errorMessage } from "../cli/error_message.ts";
import { integerValue, nonEmptyValue, parseFlags } from "../cli/flags.ts";
import { concatBytes } from "../io/write_all.ts";

const READ_SIZE = 64;
const ACTIVE_READ_SIZE = 4096;
const MAX_FRAME = 64 * 1024;

/** One client: its socket, what it has sent that is not a whole frame yet, and its writes. */
class FloorClient {
  readonly conn: Deno.Conn;
  name: Uint8Array | undefined; // the login as a whole frame, size included
  rest: Uint8Array | undefined;
  queue: Uint8Array[] | undefined; // frames waiting while a write is in flight
  closed = false;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }
}

/** A running floor server. */
export interface FloorServer {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** Stops listening and closes every connection; resolves once all is let go. */
  close(): Promise<void>;
}

/**
 * Starts the floor server. Requires `--allow-net`.
 *
 * @param hostname The address to listen on.
 * @param port The port; 0 picks a free one.
 * @returns The server, accepting.
 */
export function startFloorServer(hostname = "127.0.0.1", port = 0): FloorServer {
  const listener = Deno.listen({ hostname, port, tcpBacklog: 4096 });
  const members = new Set<FloorClient>();
  const reading = new Set<Promise<void>>();

  // One write in flight per client; what comes meanwhile goes out as one buffer next.
  const send = (client: FloorClient, frame: Uint8Array): void => {
    if (client.queue !== undefined) client.queue.push(frame);
    else write(client, frame);
  };
  const write = (client: FloorClient, bytes: Uint8Array): void => {
    client.queue = [];
    client.conn.write(bytes).then((written) => {
      const queued = client.queue!;
      if (written < bytes.length) queued.unshift(bytes.subarray(written));
      client.queue = undefined;
      if (queued.length > 0 && !client.closed) {
        write(client, queued.length === 1 ? queued[0]! : concatBytes(queued));
      }
    }, () => drop(client));
  };
  const drop = (client: FloorClient): void => {
    if (client.closed) return;
    client.closed = true;
    members.delete(client);
    try {
      client.conn.close();
    } catch {
      // Closed already.
    }
  };
  // What the clients sent in this turn goes to every member as one buffer.
  let batch: Uint8Array[] = [];
  const flush = (): void => {
    const bytes = batch.length === 1 ? batch[0]! : concatBytes(batch);
    batch = [];
    for (const member of members) send(member, bytes);
  };
  const relay = (client: FloorClient, text: Uint8Array): void => {
    const name = client.name!;
    const frame = new Uint8Array(8 + name.length + text.length);
    new DataView(frame.buffer).setBigUint64(0, BigInt(Math.floor(Date.now() / 1000)));
    frame.set(name, 8);
    frame.set(text, 8 + name.length);
    if (batch.push(frame) === 1) queueMicrotask(flush);
  };
  // Cuts whole frames out of `bytes`; returns what is left of a frame not yet whole.
  const frames = (client: FloorClient, bytes: Uint8Array): Uint8Array | undefined => {
    let at = 0;
    while (bytes.length - at >= 4) {
      const size = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
      if (size > MAX_FRAME) throw new RangeError(`frame of ${size} bytes`);
      if (bytes.length - at - 4 < size) break;
      const frame = bytes.subarray(at, at + 4 + size);
      if (client.name === undefined) {
        client.name = frame.slice();
        members.add(client);
      } else {
        relay(client, frame);
      }
      at += 4 + size;
    }
    return at === bytes.length ? undefined : bytes.slice(at);
  };
  const serve = async (client: FloorClient): Promise<void> => {
    let buffer = new Uint8Array(READ_SIZE);
    try {
      while (true) {
        const read = await client.conn.read(buffer);
        if (read === null) break;
        const chunk = buffer.subarray(0, read);
        // A client that fills 64 bytes sends more than a login: one larger buffer for good.
        if (read === READ_SIZE && buffer.length === READ_SIZE) {
          buffer = new Uint8Array(ACTIVE_READ_SIZE);
        }
        client.rest = frames(
          client,
          client.rest === undefined ? chunk : concatBytes([client.rest, chunk]),
        );
      }
    } catch {
      // A reset or a frame too large: the client goes.
    }
    drop(client);
  };
  const clients = new Set<FloorClient>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conn.setNoDelay(true);
        const client = new FloorClient(conn);
        clients.add(client);
        const read = serve(client).then(() => {
          clients.delete(client);
          reading.delete(read);
        });
        reading.add(read);
      }
    } catch {
      // Closed.
    }
  })();
  return {
    addr: listener.addr as Deno.NetAddr,
    async close() {
      listener.close();
      for (const client of [...clients]) drop(client);
      await accepting;
      await Promise.allSettled([...reading]);
    },
  };
}

const USAGE = `The benchmarks' floor: a bare Deno relay of the wirechat protocol.

USAGE:
  deno run --allow-net bench/floor_server.ts [--host 127.0.0.1] [--port 0]`;

if (import.meta.main) {
  try {
    const { values } = parseFlags(
      Deno.args,
      {
        host: { type: "string" },
        port: { type: "string" },
        help: { type: "boolean", short: "h" },
      } as const,
    );
    if (values.help) {
      console.log(USAGE);
      Deno.exit(0);
    }
    const server = startFloorServer(
      nonEmptyValue("host", values.host ?? "127.0.0.1"),
      integerValue("port", values.port ?? "0", 0, 65535),
    );
    console.error(`floor_server: listening on ${server.addr.hostname}:${server.addr.port}`);
  } catch (error) {
    console.error(`floor_server: ${errorMessage(error)}\n\n${USAGE}`);
    Deno.exit(1);
  }
}
