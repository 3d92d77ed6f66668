/**
 * The latency a chat client sees while the server is attacked through its doors:
 * a probe in its own process (`bench/probe_client.ts`) chats over TCP every
 * 20 ms while this process attacks the TLS and web doors, 5 s per attack, and a
 * Markdown table gives the probe's p50, p99 and max per attack (the aim: p99
 * under 500 ms). The server runs as users run it, at the default log level.
 *
 * ```sh
 * deno run --allow-all bench/attack_latency.ts [--server path/to/server.ts]
 * ```
 *
 * @module
 */

import { type TestCerts, testCerts } from "./tls_certs.ts";
import { parseArgs } from "node:util";
import { encodeString } from "../protocol/encode.ts";

const SECONDS = 5;
const encoder = new TextEncoder();

interface Server {
  readonly child: Deno.ChildProcess;
  readonly tcp: number;
  readonly tls: number;
  readonly web: number;
}

async function startServer(script: string, certs: TestCerts): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "--allow-net", "--allow-read", "--v8-flags=--max-semi-space-size=1", script],
      ...["--host", "127.0.0.1", "--port", "0", "--tls-port", "0"],
      ...["--tls-cert", certs.server.certPath, "--tls-key", certs.server.keyPath],
      ...["--web", "127.0.0.1:0", "--web-plain"],
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const port = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  const ports = () => [
    port(/listening on 127\.0\.0\.1:(\d+) \(user names/),
    port(/listening on 127\.0\.0\.1:(\d+) \(TLS\)/),
    port(/web page on http:\/\/127\.0\.0\.1:(\d+)\//),
  ];
  while (ports().includes(0)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The server ended: ${text}`);
    text += value;
  }
  // The log goes on (at the default level, as users run it): keep reading it.
  (async () => {
    while (!(await reader.read()).done) { /* dropped */ }
  })();
  const [tcp, tls, web] = ports();
  return { child, tcp: tcp!, tls: tls!, web: web! };
}

/** A masked client WebSocket frame (zero mask). */
function wsFrame(opcode: number, payload: Uint8Array, announced = payload.length): Uint8Array {
  const header = [0x80 | opcode];
  if (announced < 126) header.push(0x80 | announced);
  else if (announced < 65536) header.push(0x80 | 126, announced >> 8, announced & 0xff);
  else header.push(0x80 | 127, 0, 0, 0, 0, ...[24, 16, 8, 0].map((s) => (announced >>> s) & 0xff));
  header.push(0, 0, 0, 0);
  const frame = new Uint8Array(header.length + payload.length);
  frame.set(header);
  frame.set(payload, header.length);
  return frame;
}

async function openWs(port: number, name: string): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(
    `GET /ws HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
      "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
  ));
  const buffer = new Uint8Array(1024);
  await conn.read(buffer);
  await conn.write(wsFrame(2, encodeString(name)));
  return conn;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    return true;
  } catch {
    return false;
  }
}

/** Drains a connection in the background, so that the server's answers never stall it. */
function drain(conn: Deno.Conn): void {
  (async () => {
    const buffer = new Uint8Array(64 * 1024);
    while ((await conn.read(buffer).catch(() => null)) !== null) { /* dropped */ }
  })();
}

type Attack = (server: Server, until: number) => Promise<void>;

const ATTACKS: [string, Attack][] = [
  ["none (baseline)", async (_server, until) => {
    await new Promise((resolve) => setTimeout(resolve, until - Date.now()));
  }],
  ["1,000 idle and slowloris HTTP connections on --web", async (server, until) => {
    const conns: Deno.Conn[] = [];
    for (let i = 0; i < 1000; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.web }).catch(() =>
        undefined
      );
      if (conn !== undefined) conns.push(conn);
    }
    const drip = encoder.encode("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-a: b");
    for (let i = 0; Date.now() < until; i++) {
      await Promise.all(
        conns.filter((_, j) => j % 2 === 1).map((conn) =>
          writeAll(conn, drip.subarray(i % drip.length, i % drip.length + 1))
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const conn of conns) conn.close();
  }],
  ["empty WebSocket frames as fast as possible (reconnecting)", async (server, until) => {
    const empty = wsFrame(2, new Uint8Array(0));
    const flood = new Uint8Array(empty.length * 10_000);
    for (let i = 0; i < 10_000; i++) flood.set(empty, i * empty.length);
    for (let i = 0; Date.now() < until; i++) {
      const conn = await openWs(server.web, `empty${i}`);
      drain(conn);
      await writeAll(conn, flood);
      conn.close();
    }
  }],
  ["500 TLS handshakes that never complete", async (server, until) => {
    const conns: Deno.Conn[] = [];
    for (let i = 0; i < 500; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.tls });
      await writeAll(conn, new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00]));
      conns.push(conn);
    }
    await new Promise((resolve) => setTimeout(resolve, until - Date.now()));
    for (const conn of conns) conn.close();
  }],
  ["eight 60 MB WebSocket messages", async (server, until) => {
    const chunk = new Uint8Array(1024 * 1024);
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const conn = await openWs(server.web, `big${i}`);
      drain(conn);
      if (await writeAll(conn, wsFrame(2, new Uint8Array(0), 60 * 1024 * 1024))) {
        for (let sent = 0; sent < 60 && Date.now() < until; sent++) {
          if (!(await writeAll(conn, chunk))) break;
        }
      }
      conn.close();
    }));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())));
  }],
  ["a WebSocket sender far past its rate", async (server, until) => {
    const conn = await openWs(server.web, "flooder");
    drain(conn);
    const frame = wsFrame(2, encodeString("x".repeat(100)));
    const batch = new Uint8Array(frame.length * 1000);
    for (let i = 0; i < 1000; i++) batch.set(frame, i * frame.length);
    const sending = (async () => {
      while (Date.now() < until && await writeAll(conn, batch)) { /* more */ }
    })();
    await new Promise((resolve) => setTimeout(resolve, until - Date.now()));
    conn.close();
    await sending;
  }],
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      server: { type: "string", default: new URL("../server.ts", import.meta.url).pathname },
    },
  });
  const certs = await testCerts();
  console.log("| attack | probe p50 | probe p99 | probe max | probe lost |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [name, attack] of ATTACKS) {
    const server = await startServer(values.server, certs);
    try {
      const probe = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          new URL("probe_client.ts", import.meta.url).pathname,
          String(server.tcp),
          String(SECONDS),
        ],
        stdout: "piped",
      }).spawn();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the probe logs in
      await attack(server, Date.now() + SECONDS * 1000).catch((error) =>
        console.error(name, error)
      );
      const output = new TextDecoder().decode((await probe.output()).stdout);
      const result = JSON.parse(output) as Record<string, number>;
      const ms = (value: number) => `${value.toFixed(1)} ms`;
      console.log(
        `| ${name} | ${ms(result.p50!)} | ${ms(result.p99!)} | ${
          ms(result.max!)
        } | ${result.lost} |`,
      );
    } finally {
      server.child.kill("SIGKILL");
      await server.child.status;
    }
  }
}

if (import.meta.main) await main();
