/**
 * What the load generator runs: its options, and how its clients are spread over
 * the ports of a cluster.
 *
 * @module
 */

/** What to run. */
export interface LoadOptions {
  /**
   * The server's host.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The server's port, or the ports of several servers that are one chat (a
   * cluster): client i connects to the (i mod n)-th port, see {@linkcode portFor}.
   */
  port: number | readonly number[];
  /**
   * Connect with TLS, trusting these CA certificates (PEM) besides Deno's roots.
   * The server's certificate must name `hostname`.
   */
  tls?: { caCerts: readonly string[] };
  /**
   * How many clients connect; they log in as `u0`..`uN-1`.
   *
   * @default {10}
   */
  clients?: number;
  /**
   * How many of them send: the first `senders`.
   *
   * @default {1}
   */
  senders?: number;
  /**
   * How many messages each sender sends.
   *
   * @default {1000}
   */
  messages?: number;
  /**
   * The size of each message body in bytes, at least 16.
   *
   * @default {64}
   */
  size?: number;
  /**
   * The most messages of its own a sender has un-echoed in flight.
   *
   * @default {16}
   */
  window?: number;
  /**
   * When set, the run is a hold: every client logs in, nothing is sent, and the
   * connections stay open for this many seconds.
   */
  hold?: number;
  /**
   * Whether a hold waits until every login is confirmed (the sync messages from
   * `u0` reached every client) before it starts. Without, the hold starts once every
   * connection is open and its user name written: for a server that relays nothing,
   * such as the benchmarks' floor, and the login time is then only the connect time.
   *
   * @default {true}
   */
  sync?: boolean;
  /**
   * The index of the first client: clients log in as `u<firstIndex>` onwards, so
   * several load generators (processes) can share one chat with distinct names.
   *
   * @default {0}
   */
  firstIndex?: number;
  /**
   * The user name of a client outside this run that sends the login rounds
   * (`#SYNC:NNNNNN` messages, as `u0` sends them otherwise), for several load
   * generators that share one chat. Only with `hold`: this run then sends
   * nothing; its clients count the leader's rounds, the first round every one of
   * them receives ends the login, and `onRound` hears of every such round.
   */
  leader?: string;
  /**
   * With `leader`: called for each round every client of this run has received,
   * with the wall-clock time (`performance.timeOrigin + performance.now()`, in
   * milliseconds) at which the last of them read it.
   */
  onRound?: (round: number, atMs: number) => void;
  /** Ends a hold early as a clean end (`done`), for a parent process that decides when. */
  holdUntil?: AbortSignal;
  /**
   * A hard stop, in seconds, connect included.
   *
   * @default {60, or the hold plus 60}
   */
  durationLimit?: number;
  /**
   * Stop when nothing arrives and nothing is sent for this many seconds while
   * running.
   *
   * @default {5}
   */
  stallTimeout?: number;
  /**
   * Bytes of each connection's read buffer.
   *
   * @default {64 MiB / clients, from 4 KiB to 64 KiB}
   */
  readBufferSize?: number;
  /**
   * How received bytes are decoded and checked: `scanner` checks each frame in the
   * read buffer without building strings; `codec` goes through the project's
   * `ClientDecoder` (strings for every field), several times slower, a cross-check
   * of the codec under load.
   *
   * @default {"scanner"}
   */
  decoder?: "scanner" | "codec";
  /** Receives progress lines. */
  onProgress?: (line: string) => void;
  /** Receives, once a second while messages flow, a line saying how far the run has come. */
  onStatus?: (line: string) => void;
  /** Called once every client is logged in and a hold starts. */
  onHold?: () => void;
  /** Stops the run early, reported as `aborted`. */
  signal?: AbortSignal;
}

/**
 * The port client `index` connects to: the (index mod n)-th of `ports`, so that
 * clients, and the senders among them (the first clients), are spread evenly over
 * the servers of a cluster.
 *
 * @example Four clients over two servers
 * ```ts
 * import { portFor } from "./load_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([0, 1, 2, 3].map((i) => portFor(i, [9001, 9002])), [9001, 9002, 9001, 9002]);
 * assert.equal(portFor(5, 9000), 9000);
 * ```
 *
 * @param index The client's index, from 0.
 * @param ports One port, or the ports of the servers.
 * @returns The port.
 */
export function portFor(index: number, ports: number | readonly number[]): number {
  return typeof ports === "number" ? ports : ports[index % ports.length]!;
}

/**
 * Parses a `--port` value: one port, or several separated by commas (`9001,9002`).
 *
 * @example Two ports
 * ```ts
 * import { parsePorts } from "./load_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parsePorts("9001,9002"), [9001, 9002]);
 * assert.equal(parsePorts("9000"), 9000);
 * ```
 *
 * @param value The flag's value.
 * @returns The port, or the ports when there are several.
 * @throws {RangeError} When a part is not a port from 1 to 65535.
 */
export function parsePorts(value: string): number | number[] {
  const ports = value.split(",").map((part) => {
    const port = Number(part);
    if (part.trim() === "" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`Invalid option --port: "${part}" is not a port from 1 to 65535`);
    }
    return port;
  });
  return ports.length === 1 ? ports[0]! : ports;
}
