import assert from "node:assert/strict";
import { ClientDecoder } from "../../protocol/client_decoder.ts";
import { encodeString } from "../../protocol/encode.ts";
import type { ChatMessage } from "../../protocol/frames.ts";
import { within } from "../support/deadline.ts";
import { clientFrame, openRawWebSocket, readUntilClose } from "../support/raw_websocket.ts";
import { startServer } from "../support/test_server.ts";
import { testCerts } from "../support/tls_certs.ts";

/** A WebSocket user of the server's web door, decoding what it receives. */
class WebUser {
  readonly socket: WebSocket;
  readonly messages: ChatMessage[] = [];
  /** The size of each binary WebSocket message received. */
  readonly sizes: number[] = [];
  readonly closed: Promise<CloseEvent>;
  readonly #decoder = new ClientDecoder((message) => this.messages.push(message));

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      const bytes = new Uint8Array(event.data as ArrayBuffer);
      this.sizes.push(bytes.length);
      this.#decoder.push(bytes);
    };
    this.closed = new Promise((resolve) => socket.addEventListener("close", resolve));
  }

  static async open(port: number, headers?: Record<string, string>): Promise<WebUser> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, headers ? { headers } : undefined);
    const user = new WebUser(socket);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    return user;
  }

  send(bytes: Uint8Array): void {
    this.socket.send(bytes);
  }

  async waitFor(count: number): Promise<ChatMessage[]> {
    await within(
      (async () => {
        while (this.messages.length < count) await new Promise((r) => setTimeout(r, 10));
      })(),
      `${count} messages`,
      10_000,
    );
    return this.messages;
  }

  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}

Deno.test("a WebSocket user and a TCP user talk both ways, one frame per WebSocket message", async () => {
  await using test = startServer({ web: { hostname: "127.0.0.1", port: 0 } });
  const webPort = test.server.addrs.web!.port;
  const web = await WebUser.open(webPort);
  // The login and two messages, split and joined across WebSocket messages.
  const bytes = new Uint8Array([
    ...encodeString("webby"),
    ...encodeString("one"),
    ...encodeString("two"),
  ]);
  web.send(bytes.subarray(0, 3));
  web.send(bytes.subarray(3, 14));
  await test.logs.waitFor(/logged in as "webby"/);
  const tcp = await test.join("tcp");
  web.send(bytes.subarray(14));
  await tcp.waitForText("two");
  await tcp.sendString("hello web");
  const received = await web.waitFor(3);
  assert.deepEqual(received.map((m) => `${m.username}:${m.text}`), [
    "webby:one",
    "webby:two",
    "tcp:hello web",
  ]);
  // Each WebSocket message held exactly one frame.
  assert.deepEqual(web.sizes, received.map((m) => 8 + 4 + m.username.length + 4 + m.text.length));
  await test.logs.waitFor(/connected over web/);
  await tcp.close();
  await web.close();
});

Deno.test("the web door counts against --max-clients, and refuses with 503 and the reason", async () => {
  await using test = startServer({ web: { hostname: "127.0.0.1", port: 0 }, maxClients: 1 });
  const tcp = await test.join("tcp");
  const port = test.server.addrs.web!.port;
  await assert.rejects(WebUser.open(port));
  const page = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(page.status, 503);
  assert.match(await page.text(), /server full/);
  assert.equal(test.server.stats.refusedBy["server full"], 2);
  await tcp.close();
});

Deno.test("the web door refuses a foreign origin with 403, and an allowed one gets in", async () => {
  await using test = startServer({
    web: { hostname: "127.0.0.1", port: 0, allowedOrigins: ["https://chat.example.com"] },
  });
  const port = test.server.addrs.web!.port;
  const refused = await fetch(`http://127.0.0.1:${port}/ws`, {
    headers: { origin: "https://evil.example", upgrade: "websocket" },
  });
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  const raw = await openRawWebSocket(port, { origin: "https://evil.example" });
  assert.match(raw.head, /^HTTP\/1\.1 403 /);
  raw.conn.close();
  const allowed = await WebUser.open(port, { origin: "https://chat.example.com" });
  allowed.send(encodeString("allowed"));
  await test.logs.waitFor(/logged in as "allowed"/);
  await allowed.close();
});

Deno.test("the web door refuses a Host it does not serve with 403 before the upgrade (DNS rebinding)", async () => {
  await using test = startServer({
    web: { hostname: "127.0.0.1", port: 0, hosts: ["chat.example.com"] },
  });
  const port = test.server.addrs.web!.port;
  // A foreign page whose name now points here: Host and Origin agree, and are foreign.
  const rebound = await openRawWebSocket(port, {
    host: `evil.example:${port}`,
    origin: `http://evil.example:${port}`,
  });
  assert.match(rebound.head, /^HTTP\/1\.1 403 /);
  rebound.conn.close();
  await test.logs.waitFor(/refused on the web door: Host not served/);
  for (
    const host of [`localhost:${port}`, `[::1]:${port}`, "chat.example.com", "CHAT.example.com:443"]
  ) {
    const served = await openRawWebSocket(port, { host });
    assert.match(served.head, /^HTTP\/1\.1 101 /, host);
    served.conn.close();
  }
  assert.equal(test.server.stats.loggedIn, 0);
});

Deno.test("the web door paces a sender past its burst: nothing dropped, no close", async () => {
  await using test = startServer({
    web: { hostname: "127.0.0.1", port: 0 },
    maxMessageRate: 20,
    maxMessageBurst: 3,
  });
  const port = test.server.addrs.web!.port;
  const tcp = await test.join("tcp");
  const flooder = await WebUser.open(port);
  flooder.send(encodeString("flooder"));
  for (let i = 0; i < 30; i++) flooder.send(encodeString(`flood ${i}`));
  for (let i = 0; i < 30; i++) await tcp.waitForText(`flood ${i}`);
  assert.equal(flooder.socket.readyState, WebSocket.OPEN);
  await flooder.close();
  await tcp.close();
});

Deno.test("the web door refuses an oversized message with 1009 before it is buffered", async () => {
  await using test = startServer({ web: { hostname: "127.0.0.1", port: 0 }, maxMessageSize: 100 });
  const port = test.server.addrs.web!.port;
  const tcp = await test.join("tcp");
  const big = await WebUser.open(port);
  big.send(encodeString("big"));
  big.send(encodeString("x".repeat(101)));
  assert.equal((await within(big.closed, "the size close")).code, 1009);
  await test.logs.waitFor(
    /"big" disconnected: protocol error: Message over the limit of 104 bytes/,
  );
  // A header that announces 60 MB, then 4 MB of it: refused at the header.
  const { conn } = await openRawWebSocket(port);
  const before = Deno.memoryUsage().rss;
  const chunk = new Uint8Array(64 * 1024);
  const sending = (async () => {
    await conn.write(clientFrame(2, new Uint8Array(0), 60 * 1024 * 1024));
    for (let i = 0; i < 64; i++) await conn.write(chunk);
  })().catch(() => {});
  const { code } = await readUntilClose(conn);
  assert.equal(code, 1009);
  await sending;
  conn.close();
  const growth = Deno.memoryUsage().rss - before;
  assert.ok(growth < 16 * 1024 * 1024, `grew by ${growth} bytes`);
  // The others noticed nothing.
  await tcp.sendString("still here");
  await tcp.waitForText("still here");
  await tcp.close();
});

Deno.test("the web door ends a flood of empty frames at the first, as a protocol error", async () => {
  await using test = startServer({ web: { hostname: "127.0.0.1", port: 0 } });
  const port = test.server.addrs.web!.port;
  const tcp = await test.join("tcp");
  const { conn } = await openRawWebSocket(port);
  await conn.write(clientFrame(2, encodeString("empty")));
  await test.logs.waitFor(/logged in as "empty"/);
  const empty = clientFrame(2, new Uint8Array(0));
  const flood = new Uint8Array(empty.length * 1000);
  for (let i = 0; i < 1000; i++) flood.set(empty, i * empty.length);
  await conn.write(flood).catch(() => {});
  const { code, reason } = await readUntilClose(conn);
  assert.deepEqual([code, reason], [1002, "Empty message"]);
  conn.close();
  await test.logs.waitFor(/"empty" disconnected: protocol error: Empty message/);
  await tcp.sendString("still here");
  await tcp.waitForText("still here");
  await tcp.close();
});

Deno.test("reloadTls replaces the web door's certificate too, without listening again", async () => {
  const certs = await testCerts();
  await using test = startServer({
    tls: { ...certs.server, port: 0 },
    web: { hostname: "127.0.0.1", port: 0 },
  });
  const port = test.server.addrs.web!.port;
  const get = async () => {
    const client = Deno.createHttpClient({ caCerts: [certs.ca] });
    try {
      const response = await fetch(`https://localhost:${port}/config.json`, { client });
      await response.body?.cancel();
      return response.status;
    } finally {
      client.close();
    }
  };
  assert.equal(await get(), 200);
  // A certificate for other.example only: a client for localhost now refuses it.
  await test.server.reloadTls(certs.other.cert, certs.other.key);
  await assert.rejects(get());
  await test.server.reloadTls(certs.renewed.cert, certs.renewed.key);
  assert.equal(await get(), 200);
  assert.equal(test.server.addrs.web!.port, port);
});
