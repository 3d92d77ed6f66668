/**
 * What a load scenario runs against: one server, or several processes that are one
 * chat (wirechat nodes and their nats-server), with the ports the load generator
 * spreads its clients over, and how to connect (plain TCP or TLS).
 *
 * @module
 */

import type { ScenarioKey } from "../check/load/scenarios.ts";
import type { ServerProcess } from "./server_process.ts";

/** How a group was made, besides its processes. */
export interface ServerGroupOptions {
  /** Processes the chat needs but clients do not connect to, such as nats-server. */
  helpers?: readonly ServerProcess[];
  /** Connect with TLS, trusting these CA certificates. */
  tls?: { caCerts: readonly string[] };
  /** The scenarios this group runs; all when absent. */
  scenarios?: readonly ScenarioKey[];
  /** Called once every process has stopped, to remove temporary files. */
  cleanup?: () => Promise<void>;
}

function sum(values: (number | null)[]): number | null {
  return values.some((value) => value === null)
    ? null
    : values.reduce<number>((total, value) => total + value!, 0);
}

/** One chat under test, made of one or more processes. */
export class ServerGroup {
  /** Its label in the tables. */
  readonly label: string;
  /** The servers clients connect to, in the order of {@linkcode ServerGroup.ports}. */
  readonly nodes: readonly ServerProcess[];
  /** The processes clients do not connect to. */
  readonly helpers: readonly ServerProcess[];
  /** TLS settings for the load generator, when the group speaks TLS. */
  readonly tls: { caCerts: readonly string[] } | undefined;
  /** The scenarios it runs, or undefined for all. */
  readonly scenarios: readonly ScenarioKey[] | undefined;
  readonly #cleanup: (() => Promise<void>) | undefined;

  /**
   * Makes a group of processes already started.
   *
   * @param label Its label in the tables.
   * @param nodes The servers clients connect to: at least one.
   * @param options Helpers, TLS, the scenarios it runs, cleanup.
   */
  constructor(label: string, nodes: readonly ServerProcess[], options: ServerGroupOptions = {}) {
    if (nodes.length === 0) throw new RangeError("Cannot make a server group: no node");
    this.label = label;
    this.nodes = nodes;
    this.helpers = options.helpers ?? [];
    this.tls = options.tls;
    this.scenarios = options.scenarios;
    this.#cleanup = options.cleanup;
  }

  /** The ports of its nodes on 127.0.0.1: client i connects to the (i mod n)-th. */
  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  /** The port, or the ports, as the load generator takes them. */
  get port(): number | number[] {
    const ports = this.ports;
    return ports.length === 1 ? ports[0]! : ports;
  }

  /** The CPU seconds every process of the group has used, or null when unknown. */
  cpuS(): number | null {
    return sum([...this.nodes, ...this.helpers].map((process) => process.cpuS()));
  }

  /** The resident memory of its nodes in KiB, summed, or null when unknown. */
  rssKiB(): number | null {
    return sum(this.nodes.map((node) => node.rssKiB()));
  }

  /** The peak resident memory of its nodes in KiB, summed, or null when unknown. */
  peakRssKiB(): number | null {
    return sum(this.nodes.map((node) => node.peakRssKiB()));
  }

  /** Whether every process still runs. */
  get running(): boolean {
    return [...this.nodes, ...this.helpers].every((process) => process.running);
  }

  /** Stops the nodes, then the helpers, then removes what the group made. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    await Promise.all(this.helpers.map((helper) => helper.stop()));
    await this.#cleanup?.();
  }
}
