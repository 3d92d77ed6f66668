/**
 * The chats `deno task bench` measures, each started as child processes on
 * 127.0.0.1: wirechat's server, the naive baseline, wirechat over TLS (a throwaway
 * CA and certificate made with openssl), and a cluster of wirechat nodes joined by a
 * real `nats-server -js` (a temporary store, a free port).
 *
 * @module
 */

import { testCerts } from "./tls_certs.ts";
import { ServerGroup } from "./server_group.ts";
import { freePort, ServerProcess, type ServerSpec } from "./server_process.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** The command that installs nats-server on Debian and Ubuntu. */
export const NATS_INSTALL = "apt-get install nats-server";

/** The scenarios the TLS server and the cluster run: the fan-outs and ping-pong. */
export const TRANSPORT_SCENARIOS = ["fanout-100", "fanout-1000", "pingpong"] as const;

/**
 * wirechat's server as `deno task start` runs it, without the per-connection
 * message rate limit (100/s past a burst of 1,000 by default), which would
 * otherwise set the pace of every scenario that sends more than the burst.
 */
function wirechatCommand(permissions: readonly string[], flags: readonly string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    ...permissions,
    "--v8-flags=--max-semi-space-size=1",
    "server.ts",
    "--host",
    "127.0.0.1",
    "--max-message-rate",
    "0",
    ...flags,
  ];
}

/** The label of the runtime's floor (`floor_server.ts`), which ours is reported above. */
export const FLOOR = "floor";

/**
 * The runtime's floor: `floor_server.ts`, run as `deno task start` runs wirechat
 * (the same V8 flag), so that the difference is ours.
 */
export function floorServer(): ServerSpec {
  return {
    label: FLOOR,
    command: [
      Deno.execPath(),
      "run",
      "--allow-net",
      "--v8-flags=--max-semi-space-size=1",
      "bench/floor_server.ts",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    cwd: ROOT,
  };
}

/** The servers measured unless told otherwise: wirechat's and the baseline. */
export function defaultServers(): { wirechat: ServerSpec; naive: ServerSpec } {
  return {
    wirechat: {
      label: "wirechat",
      command: wirechatCommand(["--allow-net"], ["--port", "0"]),
      cwd: ROOT,
    },
    naive: {
      label: "naive",
      command: [
        Deno.execPath(),
        "run",
        "--allow-net",
        "bench/naive_server.ts",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
      ],
      cwd: ROOT,
    },
  };
}

/**
 * Starts wirechat's server alone, as the bench measures it, with extra flags.
 *
 * Requires `--allow-run` (deno) and `--allow-net`.
 *
 * @param flags Flags added to its command line, such as `--max-clients 20000`.
 * @param logDir A directory that receives its whole log as `wirechat.log`.
 * @returns The server, as a group of one.
 * @throws {Error} When it does not start.
 */
export async function startWirechat(
  flags: readonly string[] = [],
  logDir?: string,
): Promise<ServerGroup> {
  const server = await ServerProcess.start({
    label: "wirechat",
    command: wirechatCommand(["--allow-net"], ["--port", "0", ...flags]),
    cwd: ROOT,
    ...(logDir === undefined ? {} : { logFile: `${logDir}/wirechat.log` }),
  });
  return new ServerGroup("wirechat", [server]);
}

/**
 * Looks for `nats-server` (`$NATS_SERVER`, then `$PATH`, then `/usr/sbin`).
 *
 * @returns Its path, or the reason it is missing, with the install command.
 */
export function findNatsServer(): { path: string } | { reason: string } {
  const explicit = Deno.env.get("NATS_SERVER");
  const directories = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  const candidates = explicit !== undefined
    ? [explicit]
    : [...directories, "/usr/sbin", "/usr/local/bin"].map((d) => `${d}/nats-server`);
  for (const candidate of candidates) {
    try {
      if (Deno.statSync(candidate).isFile) return { path: candidate };
    } catch {
      // Not there: try the next one.
    }
  }
  return { reason: `nats-server not found (install it: ${NATS_INSTALL})` };
}

/**
 * Starts wirechat with a TLS door only, on a certificate for `127.0.0.1` and
 * `localhost` signed by a CA made for this run.
 *
 * Requires `--allow-run` (openssl, deno), `--allow-read` and `--allow-write`.
 *
 * @returns The server, with the CA the load generator must trust.
 */
export async function startTlsServer(): Promise<ServerGroup> {
  const certs = await testCerts();
  const server = await ServerProcess.start({
    label: "wirechat-tls",
    command: wirechatCommand(["--allow-net", "--allow-read"], [
      "--tls-cert",
      certs.server.certPath,
      "--tls-key",
      certs.server.keyPath,
      "--tls-port",
      "{port}",
      "--tls-only",
    ]),
    cwd: ROOT,
  });
  return new ServerGroup("wirechat-tls", [server], {
    tls: { caCerts: [certs.ca] },
    scenarios: TRANSPORT_SCENARIOS,
  });
}

/**
 * Starts `nats-server -js` (a temporary store, a free port on 127.0.0.1) and
 * `nodes` wirechat nodes joined through it as one chat, without the per-connection
 * message rate limit, as every wirechat measured here. Each node
 * counts as ready once it listens and has logged that its backplane is connected.
 *
 * @param natsServer The nats-server executable.
 * @param nodes How many wirechat nodes.
 * @param flags Flags added to each node's command line, such as `--max-clients 20000`.
 * @param options `logDir`: a directory that receives each process's whole log, as
 * `nats-server.log` and `wirechat-node<N>.log`; `metrics`: give each node a
 * metrics door (`--metrics`, its port in {@linkcode ServerProcess.metricsPort}),
 * and count it ready once `/healthz` says its backplane is connected rather than by
 * its log, which says nothing at `--log-level warn`.
 * @returns The cluster: its nodes, with nats-server as a helper.
 * @throws {Error} When a process does not start; what started is stopped.
 */
export async function startCluster(
  natsServer: string,
  nodes = 2,
  flags: readonly string[] = [],
  options: { logDir?: string; metrics?: boolean } = {},
): Promise<ServerGroup> {
  const { logDir, metrics = false } = options;
  const logFile = (label: string) =>
    logDir === undefined ? {} : { logFile: `${logDir}/${label}.log` };
  const store = await Deno.makeTempDir({ prefix: "wirechat_bench_nats_" });
  const cleanup = () => Deno.remove(store, { recursive: true }).catch(() => {});
  const started: ServerProcess[] = [];
  try {
    const nats = await ServerProcess.start({
      label: "nats-server",
      command: [natsServer, "-js", "-a", "127.0.0.1", "-p", "{port}", "-sd", store],
      ...logFile("nats-server"),
    });
    started.push(nats);
    const url = `nats://127.0.0.1:${nats.port}`;
    const members: ServerProcess[] = [];
    // One after the other: the first creates the room's stream.
    for (let i = 0; i < nodes; i++) {
      const label = `wirechat-node${i + 1}`;
      const metricsPort = metrics ? freePort() : 0;
      const node = await ServerProcess.start({
        label,
        command: wirechatCommand(
          ["--allow-net", "--allow-env", "--allow-read", "--allow-sys"],
          [
            "--port",
            "{port}",
            "--nats",
            url,
            ...(metrics ? ["--metrics", `127.0.0.1:${metricsPort}`] : []),
            ...flags,
          ],
        ),
        cwd: ROOT,
        ...(metrics ? { metricsPort } : { readyLine: /NATS backplane connected/ }),
        ...logFile(label),
      });
      started.push(node);
      members.push(node);
    }
    return new ServerGroup(`wirechat-cluster-${nodes}`, members, {
      helpers: [nats],
      scenarios: TRANSPORT_SCENARIOS,
      cleanup,
    });
  } catch (error) {
    await Promise.allSettled(started.toReversed().map((process) => process.stop()));
    await cleanup();
    throw error;
  }
}
