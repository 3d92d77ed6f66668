import assert from "node:assert/strict";
import { ClientDecoder } from "../../protocol/client_decoder.ts";
import { encodeString } from "../../protocol/encode.ts";
import type { ChatMessage } from "../../protocol/frames.ts";
import { within } from "../support/deadline.ts";
import { startServer } from "../support/test_server.ts";

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

Deno.test("the web door counts against --max-clients, and refuses with a reason", async () => {
  await using test = startServer({ web: { hostname: "127.0.0.1", port: 0 }, maxClients: 1 });
  const tcp = await test.join("tcp");
  const web = await WebUser.open(test.server.addrs.web!.port);
  const closed = await within(web.closed, "the refusal");
  assert.equal(closed.code, 1013);
  assert.match(closed.reason, /server full/);
  assert.equal(test.server.stats.refusedBy["server full"], 1);
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
  const allowed = await WebUser.open(port, { origin: "https://chat.example.com" });
  allowed.send(encodeString("allowed"));
  await test.logs.waitFor(/logged in as "allowed"/);
  await allowed.close();
});

Deno.test("the web door closes a sender past its burst with 1008, an oversized one with 1009", async () => {
  await using test = startServer({
    web: { hostname: "127.0.0.1", port: 0 },
    maxMessageRate: 1,
    maxMessageBurst: 3,
    maxMessageSize: 100,
  });
  const port = test.server.addrs.web!.port;
  const tcp = await test.join("tcp");
  const flooder = await WebUser.open(port);
  flooder.send(encodeString("flooder"));
  // One past the burst (more in flight while the server closes would cut the close frame).
  for (let i = 0; i < 4; i++) flooder.send(encodeString(`flood ${i}`));
  const rate = await within(flooder.closed, "the rate close");
  assert.equal(rate.code, 1008);
  const big = await WebUser.open(port);
  big.send(encodeString("big"));
  big.send(encodeString("x".repeat(101)));
  assert.equal((await within(big.closed, "the size close")).code, 1009);
  // The others noticed nothing.
  await tcp.sendString("still here");
  await tcp.waitForText("still here");
  await tcp.close();
});
