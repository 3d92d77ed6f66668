#!/usr/bin/env -S deno run --allow-all
/**
 * `deno task bench:scale`: many idle clients, held by several load generator
 * processes, on one wirechat node (19,000 by default) and on a cluster of six
 * nodes over nats-server (100,000); the servers' memory per connection, the login
 * time, and the time one message takes to reach every client, as Markdown. See
 * `docs/scaling.md` for what the figures mean.
 *
 * ```sh
 * deno task bench:scale                               # both runs (a few minutes)
 * deno task bench:scale --run node --node-clients 5000
 * deno run --allow-all bench/scale.ts --help
 * ```
 *
 * Exit status: 0 when every run was clean, 1 for a misuse, 2 when a client was
 * lost, a process failed, a phase timed out, or the run was interrupted.
 *
 * @module
 */

import { errorMessage } from "../cli/error_message.ts";
import { integerValue, parseFlags, UsageError } from "../cli/flags.ts";
import { runScale, ScaleFailure, type ScaleFigures, type ScaleSpec } from "./scale_run.ts";
import { findNatsServer } from "./targets.ts";

/** The most clients one process (a load generator or a node) holds: 20,000 descriptors, less slack. */
const MAX_PER_PROCESS = 19_500;

const USAGE = `Holds many idle clients on one wirechat node and on a NATS cluster, over
several load generator processes; reports memory per connection, the login time
and the time one message takes to reach every client, as Markdown.

USAGE:
  deno task bench:scale [options]
  deno run --allow-all bench/scale.ts [options]

OPTIONS:
  --run R                  node, cluster or both (both)
  --node-clients N         clients on the single node (19000)
  --node-processes N       load processes for them (4)
  --cluster-clients N      clients over the cluster (100000)
  --nodes N                cluster nodes, 2 to 32 (6)
  --cluster-processes N    load processes for them (12: at 16,667 connections each, six
                           stopped reading most of their sockets after the storm)
  --probes N               messages timed to everyone, one after another (3)
  --phase-timeout S        the longest any phase may take, in seconds (900)
  --settle S               quiet after the logins before memory is read (3)
  --stagger                start each load process once the previous one is in,
                           rather than all at once (a gentler login storm)
  --login-timeout S        the nodes' --login-timeout, in seconds (the phase timeout:
                           100,000 logins on 2 cores take minutes)
  --log-level L            the nodes' --log-level: error, warn, info or debug (warn;
                           info logs every connect and login: 200,000 lines)
  --logs DIR               keep every process's log here (default: a new temporary
                           directory, printed at the start and kept)
  -h, --help               print this help

A process may hold at most ${MAX_PER_PROCESS} clients (its descriptors), a node
too. The cluster needs nats-server (apt-get install nats-server); without it
that run is skipped. Exit status: 0 clean, 1 misuse, 2 a client lost, a process
failed, a phase timed out, or interrupted.`;

interface ScaleOptions {
  runs: ("node" | "cluster")[];
  node: { clients: number; processes: number };
  cluster: { clients: number; processes: number; nodes: number };
  probes: number;
  phaseTimeoutS: number;
  settleS: number;
  stagger: boolean;
  loginTimeoutS: number;
  logLevel: string;
  logs: string | undefined;
}

function parseOptions(args: string[]): ScaleOptions | "help" {
  const { values, positionals } = parseFlags(
    args,
    {
      run: { type: "string" },
      "node-clients": { type: "string" },
      "node-processes": { type: "string" },
      "cluster-clients": { type: "string" },
      nodes: { type: "string" },
      "cluster-processes": { type: "string" },
      probes: { type: "string" },
      "phase-timeout": { type: "string" },
      settle: { type: "string" },
      stagger: { type: "boolean" },
      "login-timeout": { type: "string" },
      "log-level": { type: "string" },
      logs: { type: "string" },
      help: { type: "boolean", short: "h" },
    } as const,
  );
  if (values.help) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const run = values.run ?? "both";
  if (run !== "node" && run !== "cluster" && run !== "both") {
    throw new UsageError(`invalid value for --run: "${run}" (expected node, cluster or both)`);
  }
  const logLevel = values["log-level"] ?? "warn";
  if (!["error", "warn", "info", "debug"].includes(logLevel)) {
    throw new UsageError(
      `invalid value for --log-level: "${logLevel}" (expected error, warn, info or debug)`,
    );
  }
  const int = (flag: keyof typeof values, fallback: number, min: number, max: number) => {
    const value = values[flag];
    return typeof value === "string" ? integerValue(flag, value, min, max) : fallback;
  };
  const options: ScaleOptions = {
    runs: run === "both" ? ["node", "cluster"] : [run],
    node: {
      clients: int("node-clients", 19_000, 1, MAX_PER_PROCESS - 1),
      processes: int("node-processes", 4, 1, 64),
    },
    cluster: {
      clients: int("cluster-clients", 100_000, 1, 999_999),
      processes: int("cluster-processes", 12, 1, 64),
      nodes: int("nodes", 6, 2, 32),
    },
    probes: int("probes", 3, 1, 100),
    phaseTimeoutS: int("phase-timeout", 900, 1, 3600),
    settleS: int("settle", 3, 0, 600),
    stagger: values.stagger === true,
    loginTimeoutS: 0,
    logLevel,
    logs: values.logs,
  };
  options.loginTimeoutS = int("login-timeout", options.phaseTimeoutS, 1, 86400);
  const { node, cluster } = options;
  for (
    const [what, clients, parts] of [
      ["--node-processes", node.clients, node.processes],
      ["--cluster-processes", cluster.clients, cluster.processes],
      ["--nodes", cluster.clients, cluster.nodes],
    ] as const
  ) {
    if (Math.ceil(clients / parts) > MAX_PER_PROCESS) {
      throw new UsageError(
        `${what} ${parts} is too few: ${
          Math.ceil(clients / parts)
        } clients each, past ${MAX_PER_PROCESS} (a process has 20,000 descriptors)`,
      );
    }
  }
  return options;
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const count = (n: number) => n.toLocaleString("en-US");

/** The summary of one run, as Markdown. */
export function scaleMarkdown(figures: ScaleFigures): string {
  const lines = [`### ${figures.label}`, ""];
  const probes = figures.probesMs.map((ms) => `${ms.toFixed(0)} ms`).join(", ");
  const sorted = figures.probesMs.toSorted((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const loadMiB = figures.loadProcessKiB.map((kib) => (kib / 1024).toFixed(0)).join(", ");
  const perLoadConn = figures.loadProcessKiB.reduce((a, b) => a + b, 0) / figures.clients;
  lines.push(
    "| figure | value |",
    "| --- | --- |",
    `| clients | ${count(figures.clients)} on ${figures.nodes} node${
      figures.nodes === 1 ? "" : "s"
    }, over ${figures.processes} load processes (${
      count(figures.maxClientsPerProcess)
    } at most each) |`,
    `| every client logged in by | ${
      figures.loginS.toFixed(1)
    } s after the load processes started (rounds every ${figures.loginResolutionS} s by then) |`,
    `| each load process's own login (first connect to all in) | ${
      figures.loadResults.map((r) => r.connectS.toFixed(1)).join(", ")
    } s |`,
    `| one message to all ${count(figures.clients)} | ${median.toFixed(0)} ms median (${probes}) |`,
    `| load processes' memory | ${loadMiB} MiB (${perLoadConn.toFixed(1)} KiB per client) |`,
    "",
    "| process | clients | RSS before | RSS with them | growth per connection |",
    "| --- | --: | --: | --: | --: |",
  );
  const rows = [...figures.nodeMemory, ...(figures.natsMemory ? [figures.natsMemory] : [])];
  for (const row of rows) {
    const perConnection = row.clients > 0
      ? `${((row.afterKiB - row.beforeKiB) / row.clients).toFixed(2)} KiB`
      : "";
    lines.push(
      `| ${row.label} | ${count(row.clients)} | ${mib(row.beforeKiB)} | ${
        mib(row.afterKiB)
      } | ${perConnection} |`,
    );
  }
  if (figures.nodeMemory.length > 1) {
    const before = figures.nodeMemory.reduce((a, r) => a + r.beforeKiB, 0);
    const after = figures.nodeMemory.reduce((a, r) => a + r.afterKiB, 0);
    const clients = figures.nodeMemory.reduce((a, r) => a + r.clients, 0);
    lines.push(
      `| all nodes | ${count(clients)} | ${mib(before)} | ${mib(after)} | ${
        ((after - before) / clients).toFixed(2)
      } KiB |`,
    );
  }
  return lines.join("\n");
}

/**
 * The command: parses the flags, runs, prints the Markdown summary.
 *
 * @param args The command-line arguments.
 * @returns The exit status: 0 clean, 1 misuse, 2 failure.
 */
export async function main(args: string[]): Promise<number> {
  let options: ScaleOptions | "help";
  try {
    options = parseOptions(args);
  } catch (error) {
    console.error(`bench:scale: ${errorMessage(error)} (try --help)`);
    return 1;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) Deno.addSignalListener(name, interrupt);
  const started = new Date();
  const sections: string[] = [];
  try {
    const logRoot = options.logs ?? await Deno.makeTempDir({ prefix: "wirechat_scale_logs_" });
    await Deno.mkdir(logRoot, { recursive: true });
    console.error(`bench:scale: every process's log goes to ${logRoot}`);
    for (const run of options.runs) {
      const spec: ScaleSpec = {
        label: "",
        nodes: 1,
        clients: 0,
        processes: 0,
        probes: options.probes,
        phaseTimeoutS: options.phaseTimeoutS,
        settleS: options.settleS,
        stagger: options.stagger,
        logDir: "",
        loginTimeoutS: options.loginTimeoutS,
        serverFlags: ["--log-level", options.logLevel, "--stats-interval", "5"],
        onProgress: (line) => console.error(`bench:scale: ${line}`),
        signal: controller.signal,
      };
      if (run === "node") {
        Object.assign(spec, {
          label: `One node, ${count(options.node.clients)} idle clients`,
          ...options.node,
        });
      } else {
        const nats = findNatsServer();
        if ("reason" in nats) {
          console.error(`bench:scale: skipping the cluster: ${nats.reason}`);
          if (options.runs.length === 1) return 2;
          sections.push(`### Cluster\n\nSkipped: ${nats.reason}.`);
          continue;
        }
        Object.assign(spec, {
          label: `${options.cluster.nodes} nodes and nats-server, ${
            count(options.cluster.clients)
          } idle clients`,
          natsServer: nats.path,
          ...options.cluster,
        });
      }
      spec.logDir = `${logRoot}/${run}`;
      await Deno.mkdir(spec.logDir, { recursive: true });
      sections.push(scaleMarkdown(await runScale(spec)));
    }
  } catch (error) {
    console.error(`bench:scale: ${errorMessage(error)}`);
    if (!(error instanceof ScaleFailure)) console.error(error);
    return 2;
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, interrupt);
  }
  const load = Deno.loadavg().map((n) => n.toFixed(1)).join(", ");
  console.log(
    [
      `## Scale (${
        started.toISOString().slice(0, 16).replace("T", " ")
      } UTC, ${navigator.hardwareConcurrency} cores, load average ${load} at the end, ${Deno.version.deno})`,
      "",
      ...sections.flatMap((section) => [section, ""]),
    ].join("\n").trimEnd(),
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
