/**
 * The load scenarios of `deno task bench`: the same set the C yardstick runs, so
 * the figures compare.
 *
 * @module
 */

import type { LoadOptions } from "./load.ts";

/** The scenarios, by key. */
export type ScenarioKey = "idle" | "fanout-100" | "fanout-1000" | "pingpong";

/** One scenario: what the load generator runs. */
export interface Scenario {
  /** Its key. */
  key: ScenarioKey;
  /** Its name in tables, such as `idle-5000`. */
  name: string;
  /** What it measures, for people. */
  description: string;
  /** The load generator's options, without the server's address. */
  options: Omit<LoadOptions, "hostname" | "port">;
}

/**
 * The scenarios in the order they run: the idle hold first, on a fresh server.
 *
 * @param quick A short run: 5x fewer messages, 1,000 idle clients held 1 s.
 * @returns The scenarios.
 */
export function scenarioSet(quick: boolean): Scenario[] {
  const idleClients = quick ? 1000 : 5000;
  const runLimit = quick ? 6 : 20;
  return [
    {
      key: "idle",
      name: `idle-${idleClients}`,
      description:
        `${idleClients} clients log in in one connect storm and hold; server memory is sampled while they idle`,
      options: { clients: idleClients, hold: quick ? 1 : 3, durationLimit: quick ? 15 : 25 },
    },
    {
      key: "fanout-100",
      name: "fanout-100",
      description: "100 clients, 10 senders, 64-byte messages, window 16",
      options: {
        clients: 100,
        senders: 10,
        messages: quick ? 400 : 2000,
        size: 64,
        window: 16,
        durationLimit: runLimit,
      },
    },
    {
      key: "fanout-1000",
      name: "fanout-1000",
      description: "1,000 clients, 4 senders, 64-byte messages, window 8",
      options: {
        clients: 1000,
        senders: 4,
        messages: quick ? 100 : 500,
        size: 64,
        window: 8,
        durationLimit: runLimit,
      },
    },
    {
      key: "pingpong",
      name: "pingpong",
      description: "10 clients, 1 sender, 64-byte messages, window 1",
      options: {
        clients: 10,
        senders: 1,
        messages: quick ? 1000 : 5000,
        size: 64,
        window: 1,
        durationLimit: quick ? 3 : 5,
      },
    },
  ];
}
