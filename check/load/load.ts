#!/usr/bin/env -S deno run --allow-net
/**
 * The load generator: many clients against one chat server, every frame checked.
 *
 * 1. **Connect.** Opens `clients` connections (TCP_NODELAY), at most 512 connecting
 *    at once, and logs them in as `u0`..`uN-1`.
 * 2. **Sync.** The protocol has no login acknowledgement, so `u0` sends short
 *    `#SYNC:` messages until every client has received one (the server has logged
 *    everyone in: that moment is the login time), then a `#FINL:` round that every
 *    client must receive, so no stale frame is left.
 * 3. **Run.** The first `senders` clients each send `messages` bodies of `size`
 *    bytes, keeping at most `window` of their own un-echoed in flight (1 is
 *    ping-pong). Each body carries its send time, sender and sequence number
 *    (see `message_body.ts`): every receiver measures latency, checks the order of
 *    each sender's messages and counts them, and validates every frame.
 *    Or **hold**: send nothing and keep every connection open for `hold` seconds.
 *
 * Several load generators can share one chat, each in its own process (one
 * process holds at most as many connections as it has descriptors): each takes
 * its own names (`firstIndex`), and one client outside them, the **leader**, sends
 * the login rounds. Each generator reports every round all its clients received
 * and when (`onRound`; on the command line, one JSON line per round), and its
 * first such round ends its login; a round sent later, once every generator is
 * in, times one message to everyone. `check/load/load_process.ts` runs such a
 * generator as a child process.
 *
 * The CLI prints one JSON line (a {@linkcode LoadResult}) on standard output and
 * progress on standard error. Exit status: 0 for a clean run, 1 for a misuse,
 * 2 when anything was lost, reordered, invalid or cut off.
 *
 * ```sh
 * deno run --allow-net check/load/load.ts --port 9000 --clients 100 --senders 10 --messages 2000
 * deno run --allow-net check/load/load.ts --port 9000 --clients 10 --window 1   # ping-pong
 * deno run --allow-net check/load/load.ts --port 9000 --clients 5000 --hold 5   # idle scale
 * deno run --allow-net check/load/load.ts --port 9000 --clients 5000 --first-index 5000 \
 *   --leader lead --hold 600 --hold-until-eof                                # one of a group
 * ```
 *
 * @module
 */

import { main } from "./load_cli.ts";
import type { LoadOptions } from "./load_options.ts";
import type { LoadResult } from "./load_result.ts";
import { LoadRun } from "./load_run.ts";

export { type LoadOptions, parsePorts, portFor } from "./load_options.ts";
export type { LatencySummary, LoadResult, PerClientRates, StopReason } from "./load_result.ts";

/**
 * Runs the load generator once against a server.
 *
 * Requires `--allow-net`.
 *
 * @example Ten clients, two senders, against a server on port 9000
 * ```ts ignore
 * import { runLoad } from "./load.ts";
 *
 * const result = await runLoad({ port: 9000, clients: 10, senders: 2, messages: 100 });
 * console.log(result.deliveriesPerS, result.latencyUs.p99, result.ok);
 * ```
 *
 * @param options What to run.
 * @returns What it measured; `ok` tells whether it was clean.
 * @throws {RangeError} When an option is out of range.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new LoadRun(options).run();
}

if (import.meta.main) Deno.exit(await main(Deno.args));
