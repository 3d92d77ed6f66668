import assert from "node:assert/strict";
import {
  type ChatClient,
  type ChatMessage,
  connect,
  ConnectError,
  ConnectionClosedError,
  type ConnectOptions,
  MessageTooLargeError,
  WriteTimeoutError,
} from "../../client.ts";
import { encodeChatMessage, encodeString, ProtocolError } from "../../mod.ts";
import { describeNetworkError } from "../../client/errors.ts";
import { byteByByte, concat } from "../support/chunks.ts";
import { type FakePeer, FakeServer } from "../support/fake_server.ts";
import { take } from "../support/receive.ts";
import { within } from "../support/deadline.ts";
import { StalledServer } from "../support/stalled_server.ts";

/** Connects a client as "bob" to the fake server, and the server's side of it. */
function connectTo(
  server: FakeServer,
  options: Partial<ConnectOptions> = {},
): Promise<[ChatClient, FakePeer]> {
  return Promise.all([
    connect({ hostname: "127.0.0.1", port: server.port, username: "bob", ...options }),
    server.accept(),
  ]);
}

const MESSAGES: ChatMessage[] = [
  { timestamp: 1_700_000_000, username: "alice", text: "hello" },
  { timestamp: 1_700_000_001, username: "Вася", text: "привет 👋" },
  { timestamp: 1_700_000_002, username: "bob", text: "" },
];

function protocolError(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  };
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("ChatClient logs in, then sends each message as one string, to the byte", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server);
  await client.send("hi");
  await client.send("");
  await client.send("héllo 👋");
  await client.close();
  const expected = concat(["bob", "hi", "", "héllo 👋"].map(encodeString));
  assert.deepEqual(await peer.untilEnd(), expected);
});

Deno.test("ChatClient yields the messages received, in order, however the bytes are cut", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server);
  await using _ = client;
  const wire = concat(MESSAGES.map(encodeChatMessage));
  // One write per byte, then all in one write.
  await peer.send(...byteByByte(wire));
  await peer.send(wire);
  assert.deepEqual(await take(client, 6), [...MESSAGES, ...MESSAGES]);
});

Deno.test("ChatClient iteration can stop and resume without losing a message", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server);
  await using _ = client;
  await peer.send(concat(MESSAGES.map(encodeChatMessage)));
  assert.deepEqual(await take(client, 1), MESSAGES.slice(0, 1));
  assert.deepEqual(await take(client, 2), MESSAGES.slice(1));
});

Deno.test("ChatClient refuses a message over maxMessageSize, counted in UTF-8 bytes, and stays up", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server, { maxMessageSize: 6 });
  // "ж" is 2 bytes: three fit in 6, four do not.
  await client.send("жжж");
  await assert.rejects(client.send("жжжж"), (error) => {
    assert.ok(error instanceof MessageTooLargeError);
    assert.equal(error.size, 8);
    assert.equal(error.limit, 6);
    assert.equal(
      error.message,
      "Message not sent: its size of 8 bytes exceeds the limit of 6 bytes",
    );
    return true;
  });
  await client.send("ok");
  await client.close();
  assert.deepEqual(await peer.untilEnd(), concat(["bob", "жжж", "ok"].map(encodeString)));
});

Deno.test("connect refuses a bad user name before connecting", async () => {
  const port = closedPort(); // connecting would fail with a ConnectError
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port, username: "b".repeat(26) }),
    protocolError("SIZE_LIMIT"),
  );
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port, username: "ab", maxUsernameSize: 1 }),
    protocolError("SIZE_LIMIT"),
  );
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port, username: "eve\n" }),
    protocolError("INVALID_USERNAME"),
  );
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port, username: "" }),
    protocolError("INVALID_USERNAME"),
  );
});

Deno.test("connect reports a refused connection as a ConnectError with a clear message", async () => {
  const port = closedPort();
  await assert.rejects(connect({ hostname: "127.0.0.1", port, username: "bob" }), (error) => {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.message, `Cannot connect to 127.0.0.1:${port}: connection refused`);
    assert.equal(error.hostname, "127.0.0.1");
    assert.equal(error.port, port);
    assert.ok(error.cause instanceof Deno.errors.ConnectionRefused);
    return true;
  });
});

Deno.test("describeNetworkError words Deno's errors as the tail of a sentence", () => {
  assert.equal(describeNetworkError(new Deno.errors.ConnectionRefused("x")), "connection refused");
  assert.equal(describeNetworkError(new Deno.errors.ConnectionReset("x")), "connection reset");
  assert.equal(
    describeNetworkError(
      new Error("failed to lookup address information: Name or service not known"),
    ),
    "host not found",
  );
  assert.equal(describeNetworkError(new Error("Something odd (os error 99)")), "something odd");
});

Deno.test("connect with an aborted signal does not connect", async () => {
  const reason = new Error("changed my mind");
  await assert.rejects(
    connect({
      hostname: "127.0.0.1",
      port: closedPort(),
      username: "bob",
      signal: AbortSignal.abort(reason),
    }),
    (error) => error === reason,
  );
});

Deno.test("aborting the signal after connecting closes the client gracefully", async () => {
  await using server = new FakeServer();
  const controller = new AbortController();
  const [client, peer] = await connectTo(server, { signal: controller.signal });
  void client.send("last words");
  controller.abort();
  assert.deepEqual(await peer.untilEnd(), concat(["bob", "last words"].map(encodeString)));
  assert.deepEqual(await client.closed, { kind: "local" });
});

Deno.test("ChatClient.close delivers every message sent before it, then shuts the connection", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server);
  const texts = Array.from({ length: 2000 }, (_, i) => `message ${i} ${"x".repeat(i % 50)}`);
  for (const text of texts) void client.send(text);
  const closing = client.close();
  // The server sees everything, then the end of the stream (a FIN, not a reset);
  // it closes its side, and the client finishes closing.
  assert.deepEqual(await peer.untilEnd(), concat(["bob", ...texts].map(encodeString)));
  await closing;
  assert.deepEqual(await client.closed, { kind: "local" });
});

Deno.test("ChatClient.close waits for the server to close its side", async () => {
  await using server = new FakeServer({ closeOnEnd: false });
  const [client, peer] = await connectTo(server, { closeTimeout: 60_000 });
  let closed = false;
  const closing = client.close().then(() => closed = true);
  await peer.untilEnd();
  assert.equal(closed, false, "the server has not closed its side yet");
  await peer.close();
  await closing;
  assert.equal(closed, true);
});

Deno.test("ChatClient.close gives up waiting for a server that never closes, after closeTimeout", async () => {
  await using server = new FakeServer({ closeOnEnd: false });
  const [client, peer] = await connectTo(server, { closeTimeout: 50 });
  await client.close();
  assert.deepEqual(await client.closed, { kind: "local" });
  await peer.untilEnd();
});

Deno.test("ChatClient refuses to send once closed; close is idempotent", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server, { closeTimeout: 50 });
  const closing = client.close();
  assert.equal(client.close(), closing);
  await assert.rejects(
    client.send("late"),
    (error) =>
      error instanceof ConnectionClosedError &&
      error.message === "Cannot send message: the connection is closed",
  );
  await closing;
  assert.deepEqual(await peer.untilEnd(), encodeString("bob"));
});

Deno.test("ChatClient ends iteration normally after close, with the messages received before", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server, { closeTimeout: 50 });
  await peer.send(encodeChatMessage(MESSAGES[0]!));
  assert.deepEqual(await take(client, 1), [MESSAGES[0]]);
  await client.close();
  assert.deepEqual(await Array.fromAsync(client), []);
});

Deno.test("ChatClient yields what the server sent before closing, then throws ConnectionClosedError", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server);
  await using _ = client;
  await peer.send(concat(MESSAGES.map(encodeChatMessage)));
  await peer.close();
  assert.deepEqual(await client.closed, { kind: "remote" });
  const received: ChatMessage[] = [];
  await assert.rejects(
    async () => {
      for await (const message of client) received.push(message);
    },
    (error) =>
      error instanceof ConnectionClosedError && error.message === "Connection closed by the server",
  );
  assert.deepEqual(received, MESSAGES);
  await assert.rejects(client.send("anyone?"), ConnectionClosedError);
});

Deno.test("ChatClient drops a server that sends a string over maxIncomingSize after its 4 size bytes", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server, { maxIncomingSize: 10 });
  await using _ = client;
  // A timestamp, then a user name of 11 bytes announced, and no payload at all.
  await peer.send(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 11]));
  const reason = await client.closed;
  assert.equal(reason.kind, "error");
  assert.ok(reason.kind === "error" && protocolError("SIZE_LIMIT")(reason.error));
  await assert.rejects(Array.fromAsync(client), protocolError("SIZE_LIMIT"));
  await peer.untilEnd(); // the client closed the connection
});

Deno.test("ChatClient accepts strings larger than maxMessageSize from the server", async () => {
  await using server = new FakeServer();
  const [client, peer] = await connectTo(server, { maxMessageSize: 10 });
  await using _ = client;
  const big = { timestamp: 1, username: "alice", text: "x".repeat(100_000) };
  await peer.send(encodeChatMessage(big));
  assert.deepEqual(await take(client, 1), [big]);
});

Deno.test("ChatClient drops a server that breaks the protocol", async (t) => {
  const valid = encodeChatMessage({ timestamp: 1, username: "a", text: "b" });
  const invalidUtf8 = valid.slice();
  invalidUtf8[valid.length - 1] = 0xff;
  const hugeTimestamp = valid.slice();
  hugeTimestamp[0] = 0xff;
  const cases: [string, Uint8Array, string][] = [
    ["bytes that are not UTF-8", invalidUtf8, "INVALID_UTF8"],
    ["a timestamp above 2^53 - 1", hugeTimestamp, "TIMESTAMP_RANGE"],
    ["an end inside a frame", valid.subarray(0, valid.length - 1), "TRUNCATED"],
  ];
  for (const [name, bytes, code] of cases) {
    await t.step(name, async () => {
      await using server = new FakeServer();
      const [client, peer] = await connectTo(server);
      await using _ = client;
      await peer.send(valid, bytes);
      await peer.closeWrite();
      const reason = await client.closed;
      assert.ok(reason.kind === "error" && protocolError(code)(reason.error));
      const received: ChatMessage[] = [];
      await assert.rejects(async () => {
        for await (const message of client) received.push(message);
      }, protocolError(code));
      assert.deepEqual(received, [{ timestamp: 1, username: "a", text: "b" }]);
    });
  }
});

Deno.test("ChatClient gives up on a server that takes no data for writeTimeout", async () => {
  await using server = new StalledServer();
  const client = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    username: "bob",
    writeTimeout: 200,
  });
  const text = "x".repeat(3000);
  const started = Date.now();
  // 21 MB: more than the socket buffers of both ends hold.
  const sends = Array.from({ length: 7000 }, () => client.send(text));
  const results = await within(Promise.allSettled(sends), "the sends to fail");
  const failure = results.find((result) => result.status === "rejected");
  assert.ok(failure?.reason instanceof WriteTimeoutError, `got ${failure?.reason}`);
  assert.match(
    failure.reason.message,
    new RegExp(
      `^The server at 127\\.0\\.0\\.1:${server.port} took no data for 0\\.2 s; giving up$`,
    ),
  );
  const reason = await client.closed;
  assert.ok(reason.kind === "error" && reason.error instanceof WriteTimeoutError);
  assert.ok(Date.now() - started < 10_000);
  await assert.rejects(Array.fromAsync(client), WriteTimeoutError);
  await client.close();
});
