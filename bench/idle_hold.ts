/**
 * The idle scenario of `deno task bench`, measured alike on every server: memory in
 * a storm of clients that log in and stay (nothing relayed, as the runtime's floor
 * and the C yardstick measure it), then the login time in a second storm whose
 * clients each wait until the server relays one of the load generator's login
 * rounds to them (a login confirmed).
 *
 * @module
 */

import { type LoadResult, runLoad } from "../check/load/load.ts";
import type { Scenario } from "../check/load/scenarios.ts";
import { type RunMeasurement, wrong } from "./report.ts";
import type { ServerGroup } from "./server_group.ts";

const RSS_SAMPLE_MS = 250;
const BETWEEN_STORMS_MS = 1000;

/**
 * Holds idle clients on `server` and samples its memory while they idle (no login
 * round relayed), then, once they are gone, times a second storm that relays the
 * rounds. A fault of the second storm is reported as the measurement's.
 *
 * @param server The server, running.
 * @param scenario The idle scenario.
 * @returns The hold's measurement, with `relayLoginS` from the second storm.
 */
export async function measureIdle(
  server: ServerGroup,
  scenario: Scenario,
): Promise<RunMeasurement> {
  const rssStartKiB = server.rssKiB();
  let rssHoldKiB: number | null = null;
  const sample = () => {
    const rss = server.rssKiB();
    if (rss !== null && (rssHoldKiB === null || rss > rssHoldKiB)) rssHoldKiB = rss;
  };
  let sampler: ReturnType<typeof setInterval> | undefined;
  const cpuStart = server.cpuS();
  const start = performance.now();
  let result: LoadResult;
  try {
    result = await runLoad({
      ...scenario.options,
      port: server.port,
      sync: false,
      onHold: () => {
        sample();
        sampler = setInterval(sample, RSS_SAMPLE_MS);
      },
    });
  } finally {
    clearInterval(sampler);
  }
  const cpuEnd = server.cpuS();
  const run: RunMeasurement = {
    name: scenario.name,
    result,
    runs: 1,
    minRate: 0,
    maxRate: 0,
    serverCpuS: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart,
    wallS: (performance.now() - start) / 1000,
    rssStartKiB,
    rssHoldKiB,
  };
  if (wrong(result) || !server.running) return run;
  await new Promise((resolve) => setTimeout(resolve, BETWEEN_STORMS_MS));
  const relay = await runLoad({ ...scenario.options, port: server.port, sync: true });
  if (wrong(relay)) run.result = relay;
  else run.relayLoginS = relay.connectS;
  return run;
}
