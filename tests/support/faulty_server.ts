/**
 * A chat server that relays correctly except for one deliberate fault, to prove
 * that the load generator notices each kind of fault.
 *
 * @module
 */

import { encodeChatMessage, ServerDecoder } from "../../mod.ts";

/** What goes wrong, once, on the way to the victim. */
export type Fault =
  | "drop" // the message is not delivered
  | "reorder" // the message is delivered after the next one
  | "corrupt" // one byte of the message's filler is changed
  | "disconnect"; // the victim's connection is closed instead

/** Where the fault happens. */
export interface FaultOptions {
  /** The kind of fault. */
  fault: Fault;
  /** The user name of the client that suffers it. */
  victim: string;
  /** Which message body (not counting sync messages), from 0, suffers it. */
  message: number;
}

/** A running faulty server. */
export interface FaultyServer {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** Stops it and closes every connection. */
  close(): Promise<void>;
}

interface Member {
  readonly conn: Deno.TcpConn;
  username: string;
  writing: Promise<void>;
}

const SYNC_SIZE = 12;

/**
 * Starts a server on 127.0.0.1 that relays every message to every logged-in
 * client, except for one fault.
 */
export function startFaultyServer(options: FaultOptions): FaultyServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const members = new Set<Member>();
  const conns = new Set<Deno.TcpConn>();
  const serving = new Set<Promise<void>>();
  let bodies = 0;
  let held: Uint8Array | null = null;

  const send = (member: Member, frame: Uint8Array) => {
    member.writing = member.writing.then(async () => {
      for (let at = 0; at < frame.length;) at += await member.conn.write(frame.subarray(at));
    }).catch(() => {});
  };

  const relay = (frame: Uint8Array, isBody: boolean) => {
    const index = isBody ? bodies++ : -1;
    for (const member of members) {
      if (member.username !== options.victim) {
        send(member, frame);
        continue;
      }
      if (index === options.message) {
        switch (options.fault) {
          case "drop":
            continue;
          case "reorder":
            held = frame;
            continue;
          case "corrupt": {
            const copy = frame.slice();
            copy[copy.length - 1]! ^= 1;
            send(member, copy);
            continue;
          }
          case "disconnect":
            member.conn.close();
            members.delete(member);
            continue;
        }
      }
      send(member, frame);
      if (held !== null && isBody) {
        send(member, held);
        held = null;
      }
    }
  };

  const serve = async (conn: Deno.TcpConn) => {
    conns.add(conn);
    const member: Member = { conn, username: "", writing: Promise.resolve() };
    const decoder = new ServerDecoder({
      login: (username) => {
        member.username = username;
        members.add(member);
      },
      message: (text) => {
        const frame = encodeChatMessage({
          timestamp: Math.floor(Date.now() / 1000),
          username: member.username,
          text: new TextDecoder().decode(text),
        });
        relay(frame, text.length !== SYNC_SIZE);
      },
    });
    const buffer = new Uint8Array(4096);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        decoder.push(buffer.subarray(0, n));
      }
    } catch {
      // closed
    } finally {
      members.delete(member);
      conns.delete(conn);
      await member.writing;
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const task = serve(conn).finally(() => serving.delete(task));
        serving.add(task);
      }
    } catch {
      // closed
    }
  })();

  return {
    addr: listener.addr,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await Promise.allSettled(serving);
    },
  };
}
