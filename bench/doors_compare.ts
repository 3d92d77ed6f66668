/**
 * Compares the TLS and WebSocket doors of two copies of the server in one run:
 * TLS ping-pong and fan-out (with the load generator of `check/load/load.ts`), idle
 * memory per WebSocket and WebSocket fan-out (with Deno's own `WebSocket` as the
 * client). Rounds alternate between the two servers; medians are printed as a
 * Markdown table.
 *
 * ```sh
 * deno run --allow-all bench/doors_compare.ts --before /path/to/old/server.ts [--rounds 3]
 * ```
 *
 * @module
 */

import { type TestCerts, testCerts } from "./tls_certs.ts";
import { parseArgs } from "node:util";
import { ClientDecoder } from "../protocol/client_decoder.ts";
import { encodeString } from "../protocol/encode.ts";
import { runLoad } from "../check/load/load.ts";

const HERE = new URL("../server.ts", import.meta.url).pathname;

interface Server {
  readonly child: Deno.ChildProcess;
  readonly tls: number;
  readonly web: number;
  readonly ca: string;
}

/** Starts `server.ts` with a TLS door only and a plain web door; waits for both. */
async function startServer(script: string, certs: TestCerts): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--v8-flags=--max-semi-space-size=1",
      script,
      ...["--host", "127.0.0.1", "--tls-only", "--tls-port", "0"],
      ...["--tls-cert", certs.server.certPath, "--tls-key", certs.server.keyPath],
      ...["--web", "127.0.0.1:0", "--web-plain", "--max-message-rate", "0"],
      ...["--max-clients", "20000", "--log-level", "info"],
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let tls = 0;
  let web = 0;
  while (tls === 0 || web === 0) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`The server ended: ${text}`);
    text += value;
    tls = Number(/listening on 127\.0\.0\.1:(\d+) \(TLS\)/.exec(text)?.[1] ?? 0);
    web = Number(/web page on https?:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1] ?? 0);
  }
  // Keep reading its log so that it never blocks on a full pipe.
  (async () => {
    while (!(await lines.read()).done) { /* dropped */ }
  })();
  return { child, tls, web, ca: certs.ca };
}

function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/** A WebSocket chat client that counts the frames it receives. */
class WsClient {
  readonly socket: WebSocket;
  received = 0;
  readonly opened: Promise<unknown>;
  onFrame: ((username: string) => void) | undefined;
  readonly #decoder = new ClientDecoder((message) => {
    this.received++;
    this.onFrame?.(message.username);
  });

  constructor(port: number, name: string) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    this.socket.binaryType = "arraybuffer";
    this.socket.onmessage = (event) => this.#decoder.push(new Uint8Array(event.data));
    this.opened = new Promise((resolve, reject) => {
      this.socket.onopen = resolve;
      this.socket.onerror = reject;
    }).then(() => this.socket.send(encodeString(name)));
  }

  close(): Promise<unknown> {
    const closed = new Promise((resolve) => this.socket.onclose = resolve);
    this.socket.close();
    return closed;
  }
}

/** Opens `count` WebSocket clients, logged in; waits until one message reaches them all. */
async function openWs(port: number, count: number, prefix: string): Promise<WsClient[]> {
  const clients: WsClient[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 100); j++) {
      const client = new WsClient(port, `${prefix}${j}`);
      clients.push(client);
      batch.push(client.opened);
    }
    await Promise.all(batch);
  }
  // The protocol has no login answer: sync messages until everyone has seen one
  // (a login may be read after a sync sent on another connection).
  const before = clients.map((client) => client.received);
  while (clients.some((client, i) => client.received <= before[i]!)) {
    clients[0]!.socket.send(encodeString("sync"));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Let the last syncs arrive before anyone counts.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return clients;
}

/** KiB of server memory per idle WebSocket, with `count` of them. */
async function wsIdle(server: Server, count: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = rssKiB(server.child.pid);
  const clients = await openWs(server.web, count, "idle");
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = rssKiB(server.child.pid);
  await Promise.all(clients.map((client) => client.close()));
  return (after - before) / count;
}

/** Deliveries per second: `clients` WebSockets, `senders` of them sending `messages` each. */
async function wsFanout(
  server: Server,
  clients: number,
  senders: number,
  messages: number,
  window: number,
): Promise<number> {
  const all = await openWs(server.web, clients, "fan");
  const text = encodeString("x".repeat(60));
  const start = performance.now();
  const base = all.reduce((sum, client) => sum + client.received, 0);
  const expected = clients * senders * messages;
  await Promise.all(
    all.slice(0, senders).map((sender, index) => {
      const name = `fan${index}`;
      let sent = 0;
      let echoed = 0;
      return new Promise<void>((done) => {
        const pump = () => {
          while (sent < messages && sent - echoed < window) {
            sender.socket.send(text);
            sent++;
          }
        };
        sender.onFrame = (username) => {
          if (username !== name) return;
          echoed++;
          if (echoed === messages) done();
          else pump();
        };
        pump();
      });
    }),
  );
  while (all.reduce((sum, client) => sum + client.received, 0) - base < expected) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const rate = expected / ((performance.now() - start) / 1000);
  await Promise.all(all.map((client) => client.close()));
  return rate;
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { before: { type: "string" }, rounds: { type: "string", default: "3" } },
  });
  if (values.before === undefined) throw new Error("Usage: --before /path/to/old/server.ts");
  const certs = await testCerts();

  const figures: Record<string, Record<string, number[]>> = { before: {}, after: {} };
  const record = (which: string, metric: string, value: number) => {
    (figures[which]![metric] ??= []).push(value);
    console.error(`${which} ${metric}: ${value.toFixed(1)}`);
  };
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [which, script] of [["before", values.before], ["after", HERE]] as const) {
      const server = await startServer(script, certs);
      try {
        const tls = { caCerts: [server.ca] };
        const ping = await runLoad({
          hostname: "127.0.0.1",
          port: server.tls,
          tls,
          clients: 10,
          senders: 1,
          messages: 3000,
          size: 64,
          window: 1,
          durationLimit: 30,
        });
        record(which, "TLS pingpong p50 µs", ping.latencyUs.p50);
        record(which, "TLS pingpong p99 µs", ping.latencyUs.p99);
        const fan = await runLoad({
          hostname: "127.0.0.1",
          port: server.tls,
          tls,
          clients: 100,
          senders: 10,
          messages: 2000,
          size: 64,
          window: 16,
          durationLimit: 30,
        });
        record(which, "TLS fanout-100 deliveries/s", fan.deliveriesPerS);
        record(which, "WS idle KiB per connection (1,000)", await wsIdle(server, 1000));
        record(which, "WS fanout-100 deliveries/s", await wsFanout(server, 100, 10, 500, 16));
      } finally {
        server.child.kill("SIGTERM");
        await server.child.status;
      }
    }
  }
  console.log("| metric | before | after | after / before |");
  console.log("| --- | --- | --- | --- |");
  for (const metric of Object.keys(figures.after!)) {
    const before = median(figures.before![metric]!);
    const after = median(figures.after![metric]!);
    console.log(
      `| ${metric} | ${before.toFixed(0)} | ${after.toFixed(0)} | ${
        (after / before).toFixed(2)
      }x |`,
    );
  }
}

if (import.meta.main) await main();
