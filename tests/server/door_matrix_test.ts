// The door matrix: the same attacks against every door of one server process
// (TCP, TLS, WebSocket, WebSocket over TLS, the page's HTTP, metrics). Each row
// asserts the same outcome: the process lives, another client still gets its
// messages within 5 s, the server's descriptors come back, and the log names the
// cause. A row that makes no sense for a door is skipped with its reason.

import assert from "node:assert/strict";
import { encodeString } from "../../protocol/encode.ts";
import {
  connectDoor,
  DoorClient,
  type DoorName,
  type DoorPorts,
  httpGet,
  readToEnd,
  upgradeRequest,
  writeAll,
} from "../support/door_clients.ts";
import { openDescriptors } from "../support/fake_door_host.ts";
import { ServerProcess } from "../support/process.ts";
import { clientFrame } from "../support/raw_websocket.ts";
import { testCerts } from "../support/tls_certs.ts";

const encoder = new TextEncoder();

/** A server process with every door, and a probe client on its TCP door. */
class MatrixServer implements DoorPorts, AsyncDisposable {
  readonly ports: Partial<Record<DoorName, number>>;
  readonly ca: string;
  readonly process: ServerProcess;
  probe!: DoorClient;
  #exited = false;
  #rounds = 0;

  private constructor(
    process: ServerProcess,
    ports: Partial<Record<DoorName, number>>,
    ca: string,
  ) {
    this.process = process;
    this.ports = ports;
    this.ca = ca;
    process.child.status.then(() => this.#exited = true);
  }

  /**
   * Starts `server.ts` with a TLS door, a web door (WSS when `secureWeb`, else
   * plain WS with `--web-plain`), a metrics door and a 1 s login timeout.
   */
  static async start(secureWeb: boolean, args: string[], shell?: string): Promise<MatrixServer> {
    const certs = await testCerts();
    const process = await ServerProcess.start(
      [
        ...["--tls-cert", certs.server.certPath, "--tls-key", certs.server.keyPath],
        ...["--tls-port", "0", "--web", "127.0.0.1:0", "--metrics", "127.0.0.1:0"],
        ...(secureWeb ? [] : ["--web-plain"]),
        ...["--login-timeout", "1", "--log-level", "info", ...args],
      ],
      { denoArgs: ["--allow-net", "--allow-read"], ...(shell === undefined ? {} : { shell }) },
    );
    const port = async (pattern: RegExp) =>
      Number(pattern.exec((await process.stderr.waitFor(pattern))[0]!)![1]);
    const web = await port(/web page on https?:\/\/127\.0\.0\.1:(\d+)\//);
    const ports: Partial<Record<DoorName, number>> = {
      tcp: await port(/listening on 127\.0\.0\.1:(\d+) \(user names/),
      tls: await port(/listening on 127\.0\.0\.1:(\d+) \(TLS\)/),
      metrics: await port(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/),
      [secureWeb ? "wss" : "ws"]: web,
      ...(secureWeb ? {} : { http: web }),
    };
    const server = new MatrixServer(process, ports, certs.ca);
    server.probe = await DoorClient.login(server, "tcp", "probe");
    await server.roundTrip();
    return server;
  }

  get pid(): number {
    return this.process.child.pid;
  }

  /** The probe says something and hears it back, within 5 seconds. */
  async roundTrip(): Promise<void> {
    const text = `probe ${++this.#rounds}`;
    await this.probe.send(encodeString(text));
    await this.probe.waitForText(text, 5000);
  }

  /** Where the log is now: lines after this mark are the row's. */
  mark(): number {
    return this.process.stderr.lines.length;
  }

  /** Whether a line after `mark` matches `pattern`. */
  loggedSince(mark: number, pattern: RegExp): boolean {
    return this.process.stderr.lines.slice(mark).some((line) => pattern.test(line));
  }

  /** The row's outcome: alive, the probe served, descriptors back, the cause logged. */
  async assertOutcome(
    door: DoorName,
    baseline: number,
    cause: Cause,
  ): Promise<void> {
    assert.equal(this.#exited, false, `the server process died (${door})`);
    await this.roundTrip();
    if ("pattern" in cause) {
      // A line repeated under load is summed up once a second: wait for it.
      const deadline = Date.now() + 5000;
      while (!this.loggedSince(cause.mark, cause.pattern)) {
        assert.ok(
          Date.now() < deadline,
          `${door}: no log line matched ${cause.pattern} in:\n` +
            this.process.stderr.lines.slice(cause.mark).join("\n"),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const deadline = Date.now() + 5000;
    let open = await openDescriptors(this.pid);
    while (open > baseline + 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      open = await openDescriptors(this.pid);
    }
    assert.ok(open <= baseline + 1, `${door}: ${open} descriptors open, ${baseline} before`);
    assert.equal(this.#exited, false, `the server process died (${door})`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.probe?.close();
    await this.process[Symbol.asyncDispose]();
  }
}

/**
 * What the log must name after an attack: a line matching `pattern` after
 * `mark`; or nothing, for an attack the server meets without an error (pacing),
 * with the reason.
 */
type Cause = { pattern: RegExp; mark: number } | { nothing: string };

/** One attack: how it goes against a door, or why it makes no sense there. */
interface Attack {
  /** Extra server flags. */
  readonly args?: string[];
  /** A shell prefix for the server process (a ulimit). */
  readonly shell?: string;
  /** Why the attack makes no sense for a door; absent: it runs. */
  skip?(door: DoorName): string | undefined;
  /**
   * Runs the attack against `door`; every connection it opened is closed when
   * it returns. Returns what the log must name.
   */
  run(server: MatrixServer, door: DoorName): Promise<Cause>;
}

const DOORS: readonly DoorName[] = ["tcp", "tls", "ws", "wss", "http", "metrics"];
const CHAT_DOORS = new Set<DoorName>(["tcp", "tls", "ws", "wss"]);
const NO_MESSAGES = "HTTP carries no chat messages: nothing to send too fast or too big";

/** Runs one attack against every door: WSS on a server of its own, the rest on another. */
async function runAttack(t: Deno.TestContext, attack: Attack): Promise<void> {
  for (const secureWeb of [false, true]) {
    await using server = await MatrixServer.start(secureWeb, attack.args ?? [], attack.shell);
    for (const door of DOORS) {
      // The second server is there for WSS alone.
      if (server.ports[door] === undefined || (secureWeb && door !== "wss")) continue;
      const reason = attack.skip?.(door);
      await t.step({
        name: reason === undefined ? door : `${door} (skipped: ${reason})`,
        ignore: reason !== undefined,
        async fn() {
          const baseline = await openDescriptors(server.pid);
          const cause = await attack.run(server, door);
          await server.assertOutcome(door, baseline, cause);
        },
      });
    }
  }
}

/** A client of a chat door that sends `bytes` once logged in, then waits for its end. */
async function loggedInThenSend(
  server: MatrixServer,
  door: DoorName,
  username: string,
  bytes: (client: DoorClient) => Promise<void>,
): Promise<DoorClient> {
  const client = await DoorClient.login(server, door, username);
  await server.process.stderr.waitFor(new RegExp(`logged in as "${username}"`));
  await bytes(client);
  await client.waitForEnd();
  client.close();
  return client;
}

let serial = 0;
const nameFor = (door: DoorName) => `${door}${++serial}`;

Deno.test("door matrix: descriptors run out (ulimit -n 64), then every door recovers", async (t) => {
  await runAttack(t, {
    shell: "ulimit -n 64",
    async run(server, door) {
      const pattern = door === "tcp" ? /accept failed: / : new RegExp(
        `accept failed on the ${
          door === "ws" || door === "wss" || door === "http" ? "web" : door
        } door`,
      );
      const mark = server.mark();
      const held: Deno.Conn[] = [];
      const port = server.ports[door]!;
      try {
        // Plain TCP connections: the kernel completes them, the server runs out.
        // A line repeated within a second is summed up a second later: hold on.
        const deadline = Date.now() + 5000;
        while (!server.loggedSince(mark, pattern)) {
          assert.ok(Date.now() < deadline, `${door}: no failed accept with ${held.length} held`);
          for (let i = 0; i < 10 && held.length < 120; i++) {
            held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        for (const conn of held) conn.close();
      }
      // The door serves again.
      if (CHAT_DOORS.has(door)) {
        const name = nameFor(door);
        const client = await DoorClient.login(server, door, name);
        await client.send(encodeString("back"));
        await client.waitForText("back");
        client.close();
      } else {
        assert.equal(
          (await httpGet(server, door, door === "metrics" ? "/metrics" : "/")).status,
          200,
        );
      }
      return { pattern, mark };
    },
  });
});

Deno.test("door matrix: idle and slowloris connections are closed at the deadline", async (t) => {
  const pattern = /disconnected: login timeout|no complete HTTP request within/;
  await runAttack(t, {
    async run(server, door) {
      const mark = server.mark();
      const idle = await connectDoor(server, door);
      const slow = await connectDoor(server, door);
      const drip = CHAT_DOORS.has(door) && door !== "ws" && door !== "wss"
        ? new Uint8Array([0, 0, 0, 20, 97, 98, 99, 100])
        : encoder.encode("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: abcdefgh");
      let stop = false;
      const dripping = (async () => {
        for (let i = 0; i < drip.length && !stop; i++) {
          await writeAll(slow, drip.subarray(i, i + 1));
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
      })();
      await Promise.all([readToEnd(idle), readToEnd(slow)]);
      stop = true;
      await dripping;
      idle.close();
      slow.close();
      return { pattern, mark };
    },
  });
});

Deno.test("door matrix: a handshake or login that never completes is closed at the deadline", async (t) => {
  const pattern = /disconnected: login timeout/;
  await runAttack(t, {
    skip: (door) =>
      CHAT_DOORS.has(door)
        ? undefined
        : "plain HTTP has no handshake or login: the slowloris row covers its deadline",
    async run(server, door) {
      const mark = server.mark();
      const port = server.ports[door]!;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      if (door === "tls" || door === "wss") {
        await writeAll(conn, new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // and no more
      } else if (door === "ws") {
        await writeAll(conn, upgradeRequest(port)); // upgraded, and never logs in
      } else {
        await writeAll(conn, new Uint8Array([0, 0, 0, 5, 97, 98])); // half a user name
      }
      await readToEnd(conn);
      conn.close();
      return { pattern, mark };
    },
  });
});

Deno.test("door matrix: an oversized message is refused before it is buffered", async (t) => {
  await runAttack(t, {
    args: ["--max-message-size", "100"],
    async run(server, door) {
      if (!CHAT_DOORS.has(door)) {
        // The HTTP version of it: a request head of 64 KiB.
        const pattern = /bad HTTP request \(HPE_HEADER_OVERFLOW\)/;
        const mark = server.mark();
        const conn = await connectDoor(server, door);
        const big = `GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${"x".repeat(64 * 1024)}\r\n\r\n`;
        await writeAll(conn, encoder.encode(big));
        assert.match(new TextDecoder().decode(await readToEnd(conn)), /^HTTP\/1\.1 4\d\d /);
        conn.close();
        return { pattern, mark };
      }
      const pattern = /disconnected: protocol error: .*(exceeds the limit|over the limit)/;
      const mark = server.mark();
      const client = await loggedInThenSend(server, door, nameFor(door), async (client) => {
        if (client.websocket) {
          // A header announcing 60 MB, then 1 MB of it.
          await client.sendRaw(clientFrame(2, new Uint8Array(0), 60 * 1024 * 1024));
          await client.sendRaw(new Uint8Array(1024 * 1024));
        } else {
          await client.sendRaw(new Uint8Array([0, 0x40, 0, 0])); // 4 MB announced
          await client.sendRaw(new Uint8Array(1024 * 1024));
        }
      });
      if (client.websocket) assert.equal(client.closeCode, 1009);
      return { pattern, mark };
    },
  });
});

Deno.test("door matrix: a flood of empty frames ends at the first", async (t) => {
  const pattern = /disconnected: protocol error: Empty message/;
  await runAttack(t, {
    skip: (door) =>
      door === "ws" || door === "wss"
        ? undefined
        : CHAT_DOORS.has(door)
        ? "an empty message is a frame of the protocol: it counts toward the rate (the rate row)"
        : "HTTP has no frames",
    async run(server, door) {
      const mark = server.mark();
      const empty = clientFrame(2, new Uint8Array(0));
      const flood = new Uint8Array(empty.length * 5000);
      for (let i = 0; i < 5000; i++) flood.set(empty, i * empty.length);
      const client = await loggedInThenSend(server, door, nameFor(door), (c) => c.sendRaw(flood));
      assert.equal(client.closeCode, 1002);
      return { pattern, mark };
    },
  });
});

Deno.test("door matrix: a sender past its rate is paced, nothing dropped", async (t) => {
  await runAttack(t, {
    args: ["--max-message-rate", "20", "--max-message-burst", "5"],
    skip: (door) => CHAT_DOORS.has(door) ? undefined : NO_MESSAGES,
    async run(server, door) {
      const name = nameFor(door);
      const flooder = await DoorClient.login(server, door, name);
      await server.process.stderr.waitFor(new RegExp(`logged in as "${name}"`));
      const count = 40; // 5 at once, then 20 a second: about 2 s
      const all = [];
      for (let i = 0; i < count; i++) all.push(encodeString(`${name} ${i}`));
      if (flooder.websocket) {
        const frames = all.map((frame) => clientFrame(2, frame));
        const bytes = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
        let at = 0;
        for (const frame of frames) {
          bytes.set(frame, at);
          at += frame.length;
        }
        await flooder.sendRaw(bytes);
      } else {
        const bytes = new Uint8Array(all.reduce((sum, frame) => sum + frame.length, 0));
        let at = 0;
        for (const frame of all) {
          bytes.set(frame, at);
          at += frame.length;
        }
        await flooder.sendRaw(bytes);
      }
      // Every one arrives at the probe, in order: paced, not dropped.
      await server.probe.waitForText(`${name} ${count - 1}`, 5000);
      const seen = server.probe.messages.filter((m) => m.username === name).map((m) => m.text);
      assert.deepEqual(seen, all.map((_, i) => `${name} ${i}`));
      assert.equal(flooder.closeCode, undefined);
      assert.deepEqual(server.process.stderr.matching(new RegExp(`"${name}" disconnected`)), []);
      flooder.close();
      return { nothing: "pacing is not an error: the flooder was neither closed nor dropped" };
    },
  });
});

Deno.test("door matrix: the per-address limit refuses in the door's own terms", async (t) => {
  const pattern = /refused: too many connections from this address \(3\)/;
  await runAttack(t, {
    args: ["--max-connections-per-ip", "3"],
    async run(server, door) {
      const mark = server.mark();
      // The probe holds one place; two more are admitted, the rest refused.
      const conns: Deno.Conn[] = [];
      for (let i = 0; i < 4; i++) conns.push(await connectDoor(server, door));
      const answers: string[] = [];
      try {
        for (const conn of conns.slice(2)) {
          if (door === "http" || door === "metrics" || door === "ws" || door === "wss") {
            await writeAll(conn, encoder.encode("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"));
          }
          answers.push(new TextDecoder().decode(await readToEnd(conn)));
        }
      } finally {
        for (const conn of conns) conn.close();
      }
      for (const answer of answers) {
        assert.match(answer, /too many connections from this address \(3\)/);
        if (door !== "tcp" && door !== "tls") assert.match(answer, /^HTTP\/1\.1 503 /);
      }
      return { pattern, mark };
    },
  });
});

Deno.test("door matrix: a protocol error is named in the log", async (t) => {
  await runAttack(t, {
    async run(server, door) {
      if (!CHAT_DOORS.has(door)) {
        const pattern = /bad HTTP request \(HPE_/;
        const mark = server.mark();
        const conn = await connectDoor(server, door);
        await writeAll(conn, encoder.encode("NOT HTTP AT ALL\r\n\r\n"));
        assert.match(new TextDecoder().decode(await readToEnd(conn)), /^HTTP\/1\.1 400 /);
        conn.close();
        return { pattern, mark };
      }
      const pattern = /disconnected: protocol error: /;
      const mark = server.mark();
      await loggedInThenSend(server, door, nameFor(door), async (client) => {
        if (client.websocket) await client.sendRaw(clientFrame(3, new Uint8Array([1]))); // opcode 3
        else await client.sendRaw(new Uint8Array([0, 0, 0, 2, 0xc3, 0x28])); // not UTF-8
      });
      return { pattern, mark };
    },
  });
});
