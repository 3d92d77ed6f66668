import assert from "node:assert/strict";
import { type ChatClient, type ChatMessage, connect, ConnectionClosedError } from "../../client.ts";
import { serve } from "../../server.ts";
import { take } from "../support/receive.ts";

function startServer(options: { maxMessageSize?: number } = {}) {
  return serve({ hostname: "127.0.0.1", port: 0, logLevel: "error", log: () => {}, ...options });
}

/** Connects and waits for the echo of a first message: the login is taken. */
async function join(port: number, username: string, options = {}): Promise<ChatClient> {
  const client = await connect({ hostname: "127.0.0.1", port, username, ...options });
  await client.send(`${username} joined`);
  for await (const message of client) {
    if (message.username === username) break;
  }
  return client;
}

const said = ({ username, text }: ChatMessage) => `${username}: ${text}`;

Deno.test("ChatClient with the server: each client gets every message, the same order for all", async () => {
  await using server = startServer();
  const { port } = server.addr;
  await using alice = await join(port, "alice");
  await using bob = await join(port, "bob");
  await take(alice, 1); // bob joined
  const sending: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    sending.push(alice.send(`a${i}`), bob.send(`b${i} — ünïcödé 👋🏽`));
  }
  await Promise.all(sending);
  const [seenByAlice, seenByBob] = await Promise.all([take(alice, 400), take(bob, 400)]);
  assert.deepEqual(seenByAlice.map(said), seenByBob.map(said), "one total order");
  // Each sender's messages keep their order, text intact, timestamps from the server.
  for (const [name, prefix, suffix] of [["alice", "a", ""], ["bob", "b", " — ünïcödé 👋🏽"]]) {
    const texts = seenByAlice.filter(({ username }) => username === name).map(({ text }) => text);
    assert.deepEqual(texts, Array.from({ length: 200 }, (_, i) => `${prefix}${i}${suffix}`));
  }
  const now = Date.now() / 1000;
  assert.ok(seenByAlice.every(({ timestamp }) => Math.abs(timestamp - now) < 3600));
});

Deno.test("ChatClient with the server: close delivers every message sent before it", async () => {
  await using server = startServer();
  const { port } = server.addr;
  await using reader = await join(port, "reader");
  const writer = await join(port, "writer");
  await take(reader, 1); // writer joined
  const texts = Array.from({ length: 1000 }, (_, i) => `${i} ${"x".repeat(i % 100)}`);
  for (const text of texts) void writer.send(text);
  await writer.close();
  assert.deepEqual(await writer.closed, { kind: "local" });
  assert.deepEqual((await take(reader, texts.length)).map(({ text }) => text), texts);
});

Deno.test("ChatClient with the server: a server with a smaller limit closes the connection and says why", async () => {
  await using server = startServer({ maxMessageSize: 10 });
  await using client = await join(server.addr.port, "bob", { maxMessageSize: 100 });
  await client.send("x".repeat(11)); // the client allows it; the server does not
  assert.deepEqual(await client.closed, { kind: "remote" });
  await assert.rejects(
    Array.fromAsync(client),
    (error) =>
      error instanceof ConnectionClosedError &&
      error.message ===
        "Connection closed by the server: message of 11 bytes over the limit of 10",
  );
});

Deno.test("ChatClient with the server: shutting the server down ends the client's iteration", async () => {
  const server = startServer();
  await using client = await join(server.addr.port, "bob");
  const iterating = Array.fromAsync(client);
  await server.shutdown();
  await assert.rejects(iterating, ConnectionClosedError);
  assert.deepEqual(await client.closed, { kind: "remote" });
});
