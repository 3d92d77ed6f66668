/**
 * The order of a load scenario's runs over several servers: one run of each server
 * in turn, round after round, so that a ratio between two servers compares runs
 * made minutes apart at most, not a server measured before and one after the
 * machine's speed moved.
 *
 * @module
 */

import type { LoadResult } from "../check/load/load.ts";

/** How many runs of each load scenario: up to `runs`, none started after `windowMs`. */
export interface Repeat {
  readonly runs: number;
  readonly windowMs: number;
}

/**
 * Runs `run` for each server in turn (A, B, C, A, B, C, ...), up to `repeat.runs`
 * rounds. A server takes no more turns after a run that is not clean, nor once its
 * own runs have taken `repeat.windowMs` in all.
 *
 * @param servers The servers, in the order they take their turns.
 * @param repeat How many rounds, and each server's time for them.
 * @param run Makes one run on a server.
 * @returns Each server's results, in the order they were made.
 */
export async function takeTurns<S>(
  servers: readonly S[],
  repeat: Repeat,
  run: (server: S) => Promise<LoadResult>,
): Promise<Map<S, LoadResult[]>> {
  const results = new Map<S, LoadResult[]>(servers.map((server) => [server, []]));
  const spentMs = new Map<S, number>(servers.map((server) => [server, 0]));
  for (let round = 0; round < repeat.runs; round++) {
    const takers = servers.filter((server) => {
      const last = results.get(server)!.at(-1);
      return last === undefined || (last.ok && spentMs.get(server)! <= repeat.windowMs);
    });
    if (takers.length === 0) break;
    for (const server of takers) {
      const result = await run(server);
      results.get(server)!.push(result);
      spentMs.set(server, spentMs.get(server)! + result.elapsedS * 1000);
    }
  }
  return results;
}
