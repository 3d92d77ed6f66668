/**
 * One scale run: many idle clients on one wirechat node or a NATS cluster, held by
 * several load generator processes (`check/load/load_process.ts`), a leader that
 * sends the rounds (`check/load/round_leader.ts`); then the servers' memory per
 * connection, and the time one message takes to reach every client.
 *
 * Every phase has a time limit; whatever the outcome, every process it started is
 * stopped before {@linkcode runScale} returns or throws.
 *
 * @module
 */

import { LoadProcess } from "../check/load/load_process.ts";
import type { LoadResult } from "../check/load/load_result.ts";
import { RoundLeader } from "../check/load/round_leader.ts";
import { errorMessage } from "../cli/error_message.ts";
import type { ServerGroup } from "./server_group.ts";
import { metrics, procStatusKiB, type ServerProcess } from "./server_process.ts";
import { startCluster, startWirechat } from "./targets.ts";

/** What one run holds. */
export interface ScaleSpec {
  /** Its title in the summary. */
  label: string;
  /** Wirechat nodes: 1 is a single server, more a cluster over nats-server. */
  nodes: number;
  /** Clients in all, spread evenly over the nodes. */
  clients: number;
  /** Load generator processes, the clients split evenly between them. */
  processes: number;
  /** One message timed this many times, once every client is in. */
  probes: number;
  /** The longest any phase may take, in seconds. */
  phaseTimeoutS: number;
  /** Seconds of quiet after the logins, before memory is read. */
  settleS: number;
  /**
   * Start each load process once the previous one has all its clients in, rather
   * than all at once: a gentler login storm.
   */
  stagger?: boolean;
  /** The nats-server executable, for a cluster. */
  natsServer?: string;
  /**
   * A directory that receives every process's whole log (each node's, nats-server's,
   * each load process's standard error), kept after the run; none when absent.
   */
  logDir?: string;
  /**
   * Seconds a node gives a connection to log in (`--login-timeout`).
   *
   * @default {60}
   */
  loginTimeoutS?: number;
  /** Flags added to every node's command line, such as `["--log-level", "warn"]`. */
  serverFlags?: readonly string[];
  /** Receives a progress line per phase. */
  onProgress?: (line: string) => void;
  /** Stops the run; it then fails with "interrupted". */
  signal?: AbortSignal;
}

/** The memory of one process, in KiB. */
export interface ProcessMemory {
  /** Its label. */
  label: string;
  /** Clients connected to it (0 for nats-server). */
  clients: number;
  /** Resident memory before the clients came (0 when `/proc` cannot be read: it needs `--allow-all`). */
  beforeKiB: number;
  /** Resident memory with every client in, after the quiet. */
  afterKiB: number;
}

/** What a run measured. */
export interface ScaleFigures {
  /** The spec's label. */
  label: string;
  /** Clients held. */
  clients: number;
  /** Nodes. */
  nodes: number;
  /** Load generator processes, and the most clients one held. */
  processes: number;
  maxClientsPerProcess: number;
  /**
   * Seconds from starting the load processes until each had read a round that all its
   * clients received: an upper bound of the login time, by at most the round interval
   * and the time a round takes to reach everyone.
   */
  loginS: number;
  /** The round interval when the logins completed: the login time's resolution, in seconds. */
  loginResolutionS: number;
  /** Each wirechat node's memory. */
  nodeMemory: ProcessMemory[];
  /** nats-server's memory, for a cluster. */
  natsMemory: ProcessMemory | undefined;
  /** Each load process's resident memory with its clients in, in KiB. */
  loadProcessKiB: number[];
  /** Milliseconds from writing each probe until the last client read it. */
  probesMs: number[];
  /** Each load process's own result, once ended. */
  loadResults: LoadResult[];
}

/** A run that failed: a client lost, a process gone, a phase past its time limit. */
export class ScaleFailure extends Error {
  /**
   * @param message What failed.
   */
  constructor(message: string) {
    super(message);
    this.name = "ScaleFailure";
  }
}

/** The leader's user name: not `u<N>`, so no load client takes it. */
const LEADER = "lead";
const FIRST_ROUND_INTERVAL_MS = 50;
const LAST_ROUND_INTERVAL_MS = 1000;
const POLL_MS = 20;
/** How often the login phase reads each node's figures (from its /metrics door). */
const METRICS_POLL_MS = 5_000;
/** How often the login phase reports them. */
const LOGIN_REPORT_MS = 15_000;
/** Each load connection's read buffer: only 30-byte rounds arrive. */
const READ_BUFFER = 1024;
const LOAD_V8_FLAGS = ["--max-semi-space-size=1"];

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** The clients of each of `parts`, `total` split as evenly as can be. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor((total + parts - 1 - i) / parts));
}

/**
 * How many of a group's clients each node gets, when process p holds
 * `perProcess[p]` clients and sends its i-th to node (i mod nodes).
 */
export function clientsPerNode(perProcess: readonly number[], nodes: number): number[] {
  const counts = new Array<number>(nodes).fill(0);
  for (const clients of perProcess) {
    split(clients, nodes).forEach((count, node) => counts[node]! += count);
  }
  return counts;
}

/**
 * Runs one scale measurement.
 *
 * Requires `--allow-all` in practice: it runs deno and nats-server, reads `/proc`,
 * writes a temporary store.
 *
 * @param spec What to run.
 * @returns What it measured.
 * @throws {ScaleFailure} When a client is lost, a process fails or a phase takes too long.
 */
export async function runScale(spec: ScaleSpec): Promise<ScaleFigures> {
  const progress = spec.onProgress ?? (() => {});
  const signal = spec.signal;
  const phaseMs = spec.phaseTimeoutS * 1000;
  const perProcess = split(spec.clients, spec.processes);
  const perNode = clientsPerNode(perProcess, spec.nodes);
  perNode[0]!++; // the leader
  // Room for every client of a node, and for all of them waiting to log in at once.
  const room = String(Math.max(...perNode) + 16);
  const flags = [
    "--max-clients",
    room,
    "--max-pending-logins",
    room,
    "--login-timeout",
    String(spec.loginTimeoutS ?? 60),
    ...(spec.serverFlags ?? []),
  ];
  const logDir = spec.logDir;

  let group: ServerGroup | undefined;
  let leader: RoundLeader | undefined;
  const loads: LoadProcess[] = [];
  /** For each round, when each load process reported every one of its clients had it. */
  const reports = new Map<number, (number | undefined)[]>();
  const sent = new Map<number, number>();

  /** Waits until `ready()` holds, polling; fails past the phase's time limit or a failure. */
  async function until(what: string, ready: () => boolean): Promise<void> {
    const deadline = performance.now() + phaseMs;
    while (!ready()) {
      check();
      if (performance.now() > deadline) {
        throw new ScaleFailure(`${spec.label}: ${what} took more than ${spec.phaseTimeoutS} s`);
      }
      await delay(POLL_MS, signal);
    }
  }

  /** Throws when interrupted, when the leader was dropped, or when a process has exited. */
  function check(): void {
    if (signal?.aborted) throw new ScaleFailure("interrupted");
    if (leader?.lost !== undefined) {
      throw new ScaleFailure(`${spec.label}: the leader's connection was lost (${leader.lost})`);
    }
    for (const node of group?.nodes ?? []) {
      if (!node.running) throw new ScaleFailure(`${spec.label}: ${node.label} exited`);
    }
    loads.forEach((load, p) => {
      if (!load.running) {
        throw new ScaleFailure(
          `${spec.label}: load process ${p + 1} exited early (${
            loggingIn ? `${elapsed()} after the load processes started` : "after the logins"
          })${lastLines(load.log)}`,
        );
      }
    });
  }

  let loggingIn = true;
  const stopReporting = new AbortController();
  let reporter: Promise<void> | undefined;
  let elapsed = () => "";

  function complete(round: number): boolean {
    const atMs = reports.get(round);
    return atMs !== undefined && atMs.every((at) => at !== undefined);
  }

  try {
    progress(`${spec.label}: starting ${spec.nodes === 1 ? "the server" : `${spec.nodes} nodes`}`);
    group = spec.nodes === 1
      ? await startWirechat(flags, logDir)
      : await startCluster(spec.natsServer ?? "nats-server", spec.nodes, flags, {
        ...(logDir === undefined ? {} : { logDir }),
        metrics: true,
      });
    const ports = group.ports;
    await delay(1000, signal);
    check();
    const before = [...group.nodes, ...group.helpers].map((p) => rss(p));

    leader = await RoundLeader.connect("127.0.0.1", ports[0]!, LEADER);
    progress(
      `${spec.label}: ${spec.clients} clients over ${spec.processes} load processes (${
        Math.max(...perProcess)
      } at most each), ${perNode.map((n) => n).join(" + ")} per node (the leader included)`,
    );
    const started = performance.timeOrigin + performance.now();
    elapsed = () =>
      `${((performance.timeOrigin + performance.now() - started) / 1000).toFixed(1)} s`;
    const firstIndexes = perProcess.map((_, p) =>
      perProcess.slice(0, p).reduce((a, b) => a + b, 0)
    );
    const startLoad = (p: number) => {
      const clients = perProcess[p]!;
      const firstIndex = firstIndexes[p]!;
      loads.push(
        new LoadProcess({
          port: ports,
          clients,
          firstIndex,
          leader: LEADER,
          hold: 10 * spec.phaseTimeoutS + 60 * spec.probes + spec.settleS,
          readBufferSize: READ_BUFFER,
          v8Flags: LOAD_V8_FLAGS,
          ...(logDir === undefined ? {} : { logFile: `${logDir}/load${p + 1}.log` }),
          onRound: (round, atMs) => {
            const atMsList = reports.get(round) ?? new Array(spec.processes).fill(undefined);
            atMsList[p] = atMs;
            reports.set(round, atMsList);
          },
        }),
      );
    };
    if (spec.stagger) startLoad(0);
    else perProcess.forEach((_, p) => startLoad(p));

    // Logins: rounds until each process has had one that all its clients received.
    const firstComplete = new Array<number | undefined>(spec.processes).fill(undefined);
    let interval = FIRST_ROUND_INTERVAL_MS;
    // While logging in, each node's figures (from its metrics door) every few seconds:
    // reported, and, until they say every client is in, no round is sent. A round
    // is one write per client logged in: a round a second through a storm of 100,000
    // logins is millions of writes on the cores the logins need.
    const expected = perNode.reduce((a, b) => a + b, 0);
    let metricsSayIn = group.nodes.some((node) => node.metricsPort === 0);
    const reporterSignal = signal === undefined
      ? stopReporting.signal
      : AbortSignal.any([signal, stopReporting.signal]);
    reporter = (async () => {
      let reportedAt = performance.now();
      while (!reporterSignal.aborted) {
        await delay(METRICS_POLL_MS, reporterSignal);
        if (reporterSignal.aborted) return;
        const figures = await Promise.all(
          group!.nodes.map((node) =>
            node.metricsPort === 0 ? Promise.resolve(null) : metrics(node.metricsPort)
          ),
        );
        const loggedIn = figures.reduce((a, f) => a + (f?.get("wirechat_logged_in") ?? 0), 0);
        if (!metricsSayIn && loggedIn >= expected) {
          metricsSayIn = true;
          progress(`${spec.label}: ${elapsed()}: the nodes count every client logged in`);
        }
        if (performance.now() - reportedAt < LOGIN_REPORT_MS) continue;
        reportedAt = performance.now();
        const nodes = figures.map((f) =>
          f === null
            ? "?"
            : `${f.get("wirechat_logged_in")}/${f.get("wirechat_connections_open")} (${
              f.get("wirechat_pending_logins")
            } pending)`
        );
        progress(
          `${spec.label}: ${elapsed()}: logged in/open per node: ${nodes.join(", ")}; ${
            firstComplete.filter((r) => r !== undefined).length
          } of ${loads.length} load processes in`,
        );
      }
    })();
    await until("logging every client in", () => {
      for (const [round, atMs] of reports) {
        atMs.forEach((at, p) => {
          if (at !== undefined && (firstComplete[p] ?? Infinity) > round) firstComplete[p] = round;
        });
      }
      if (firstComplete.every((round) => round !== undefined)) return true;
      if (loads.length < spec.processes && firstComplete[loads.length - 1] !== undefined) {
        startLoad(loads.length); // staggered: the next once the last is in
        interval = FIRST_ROUND_INTERVAL_MS;
      }
      const now = performance.timeOrigin + performance.now();
      // Staggered, the next process starts on a round; else rounds wait for the metrics.
      const roundsDue = metricsSayIn || (spec.stagger === true && loads.length < spec.processes);
      if (roundsDue && now - (sent.get(leader!.round) ?? 0) >= interval) {
        // A failed write leaves the leader lost, which check() reports.
        leader!.send().catch(() => {});
        sent.set(leader!.round, now);
        interval = Math.min(interval * 2, LAST_ROUND_INTERVAL_MS);
      }
      return false;
    }).finally(() => stopReporting.abort());
    // When the last process read the first round all its clients received: by then,
    // every client was in (a node relays a round to the clients logged in when it
    // reads the round, which in a cluster may be well after the leader sent it).
    const loggedInAt = Math.max(...firstComplete.map((round, p) => reports.get(round!)![p]!));
    const loginS = (loggedInAt - started) / 1000;
    loggingIn = false;
    progress(
      `${spec.label}: every client in after ${loginS.toFixed(1)} s; ${spec.settleS} s quiet`,
    );
    // Rounds still in flight reach everyone; then quiet.
    const lastLoginRound = leader.round;
    await until("the last login round", () => complete(lastLoginRound));
    await delay(spec.settleS * 1000, signal);
    check();
    const after = [...group.nodes, ...group.helpers].map((p) => rss(p));
    const loadProcessKiB = loads.map((load) => procStatusKiB(load.pid, "VmRSS") ?? 0);

    const probesMs: number[] = [];
    for (let i = 0; i < spec.probes; i++) {
      const { round, sentMs } = await leader.send();
      await until(`probe ${i + 1} reaching every client`, () => complete(round));
      probesMs.push(Math.max(...reports.get(round)!.map((at) => at!)) - sentMs);
      progress(`${spec.label}: probe ${i + 1}: ${probesMs.at(-1)!.toFixed(1)} ms to all`);
      await delay(1000, signal);
      check();
    }

    const ended = await Promise.all(loads.map((load) => load.finish(phaseMs)));
    const loadResults: LoadResult[] = [];
    ended.forEach(({ result, code }, p) => {
      if (result === undefined || code !== 0 || !result.ok) {
        throw new ScaleFailure(
          `${spec.label}: load process ${p + 1} ended with status ${code}${
            result === undefined
              ? ""
              : `: ${result.stopReason}, ${result.disconnects} disconnects, ${result.invalidFrames} invalid frames`
          }${lastLines(loads[p]!.log)}`,
        );
      }
      loadResults.push(result);
    });

    const memory = (process: ServerProcess, i: number, clients: number): ProcessMemory => ({
      label: process.label,
      clients,
      beforeKiB: before[i]!,
      afterKiB: after[i]!,
    });
    return {
      label: spec.label,
      clients: spec.clients,
      nodes: spec.nodes,
      processes: spec.processes,
      maxClientsPerProcess: Math.max(...perProcess),
      loginS,
      loginResolutionS: interval / 1000,
      nodeMemory: group.nodes.map((node, i) => memory(node, i, perNode[i]!)),
      natsMemory: group.helpers.length === 0
        ? undefined
        : memory(group.helpers[0]!, group.nodes.length, 0),
      loadProcessKiB,
      probesMs,
      loadResults,
    };
  } catch (error) {
    // What the servers said last tells why a client was turned away.
    const said = (group?.nodes ?? []).flatMap((node) =>
      node.log.slice(-4).map((line) => `${node.label}: ${line}`)
    );
    const disconnects = logDir === undefined || group === undefined
      ? ""
      : disconnectSummary(logDir, group.nodes.map((node) => node.label));
    const logs = (said.length === 0 ? "" : `\nthe servers' last lines:\n${said.join("\n")}`) +
      disconnects + (logDir === undefined ? "" : `\nevery process's log: ${logDir}`);
    if (error instanceof ScaleFailure) throw new ScaleFailure(`${error.message}${logs}`);
    throw new ScaleFailure(`${spec.label}: ${errorMessage(error)}${logs}`);
  } finally {
    stopReporting.abort();
    await reporter;
    await Promise.allSettled(loads.map((load) => load.kill()));
    await leader?.close();
    await group?.stop();
  }
}

/** How many disconnects each node logged, and its first ones, from its log file. */
function disconnectSummary(logDir: string, labels: readonly string[]): string {
  const parts: string[] = [];
  for (const label of labels) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`${logDir}/${label}.log`);
    } catch {
      continue;
    }
    const lines = text.split("\n").filter((line) => line.includes(" disconnected: "));
    if (lines.length === 0) continue;
    parts.push(`${label}: ${lines.length} disconnects logged, the first:`);
    parts.push(...lines.slice(0, 3).map((line) => `  ${line}`));
  }
  return parts.length === 0 ? "" : `\nthe nodes' disconnects:\n${parts.join("\n")}`;
}

function rss(process: ServerProcess): number {
  return process.rssKiB() ?? 0;
}

function lastLines(log: readonly string[]): string {
  return log.length === 0 ? "" : `; its last lines:\n${log.slice(-5).join("\n")}`;
}
