import assert from "node:assert/strict";
import { serve } from "../../server.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import { startServer } from "../support/test_server.ts";

Deno.test("server echoes a message to its sender, stamped with the server's clock", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const before = Math.floor(Date.now() / 1000);
  await alice.sendString("hello");
  const [message] = await alice.waitForMessages(1);
  assert.equal(message!.username, "alice");
  assert.equal(message!.text, "hello");
  assert.ok(message!.timestamp >= before && message!.timestamp <= Math.ceil(Date.now() / 1000));
  await alice.close();
});

Deno.test("server relays a message to every logged-in client", async () => {
  await using test = startServer();
  const peers: ChatPeer[] = [];
  for (let i = 0; i < 20; i++) peers.push(await test.join(`user${i}`));
  await peers[7]!.sendString("to everyone");
  for (const peer of peers) {
    assert.deepEqual(
      (await peer.waitForMessages(1)).map((m) => [m.username, m.text]),
      [["user7", "to everyone"]],
    );
  }
  for (const peer of peers) await peer.close();
});

Deno.test("server sends nothing to a client that has not logged in", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const lurker = await ChatPeer.connect(test.port);
  lurker.startReading();
  await test.logs.waitFor(/connected \(2 open\)/);
  await alice.sendString("before the login");
  await alice.waitForMessages(1);
  await lurker.sendString("bob");
  await test.logs.waitFor(/logged in as "bob"/);
  await alice.sendString("after the login");
  const [first] = await lurker.waitForMessages(1);
  assert.equal(first!.text, "after the login");
  await alice.waitForMessages(2);
  assert.equal(lurker.messages.length, 1);
  await alice.close();
  await lurker.close();
});

Deno.test("server keeps one total order across concurrent senders", async () => {
  await using test = startServer();
  const senders: ChatPeer[] = [];
  for (let i = 0; i < 5; i++) senders.push(await test.join(`s${i}`));
  const listeners = [await test.join("l0"), await test.join("l1")];
  await Promise.all(senders.map(async (sender, i) => {
    for (let n = 0; n < 50; n++) await sender.sendString(`${i}:${n}`);
  }));
  const total = 5 * 50;
  const orders: string[][] = [];
  for (const peer of [...senders, ...listeners]) {
    orders.push((await peer.waitForMessages(total)).map((m) => `${m.username} ${m.text}`));
  }
  for (const order of orders) assert.deepEqual(order, orders[0]);
  for (let i = 0; i < 5; i++) {
    const mine = orders[0]!.filter((line) => line.startsWith(`s${i} `));
    assert.deepEqual(mine, Array.from({ length: 50 }, (_, n) => `s${i} ${i}:${n}`));
  }
  for (const peer of [...senders, ...listeners]) await peer.close();
});

Deno.test("server decodes frames written one byte at a time", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await ChatPeer.connect(test.port);
  const wire = new Uint8Array([0, 0, 0, 3, 98, 111, 98, 0, 0, 0, 2, 104, 105]); // "bob", "hi"
  for (let i = 0; i < wire.length; i++) {
    await bob.sendRaw(wire.subarray(i, i + 1));
    await new Promise((resolve) => setTimeout(resolve, 1)); // let each byte travel alone
  }
  const [message] = await alice.waitForMessages(1);
  assert.deepEqual([message!.username, message!.text], ["bob", "hi"]);
  await alice.close();
  await bob.close();
});

Deno.test("server relays 200 frames pipelined in one write, in order", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const frames = Array.from({ length: 200 }, (_, i) => `message ${i}`);
  const wire = frames.map((text) => {
    const bytes = new TextEncoder().encode(text);
    const frame = new Uint8Array(4 + bytes.length);
    new DataView(frame.buffer).setUint32(0, bytes.length);
    frame.set(bytes, 4);
    return frame;
  });
  const all = new Uint8Array(wire.reduce((sum, f) => sum + f.length, 0));
  wire.reduce((at, f) => (all.set(f, at), at + f.length), 0);
  await alice.sendRaw(all);
  assert.deepEqual((await alice.waitForMessages(200)).map((m) => m.text), frames);
  await alice.close();
});

Deno.test("server counts connections, messages and deliveries", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await alice.sendString("one");
  await bob.sendString("two");
  await alice.waitForMessages(2);
  await bob.waitForMessages(2);
  const stats = test.server.stats;
  assert.equal(stats.connections, 2);
  assert.equal(stats.clients, 2);
  assert.equal(stats.loggedIn, 2);
  assert.equal(stats.messages, 2);
  assert.equal(stats.deliveries, 4);
  await alice.close();
  await bob.close();
});

Deno.test("server survives connect and disconnect churn", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  const churn = Array.from({ length: 100 }, async (_, i) => {
    const peer = await ChatPeer.connect(test.port);
    if (i % 2 === 0) await peer.sendString(`churn${i}`);
    if (i % 3 === 0) await alice.sendString(`during churn ${i}`);
    await peer.close();
  });
  await Promise.all(churn);
  await test.logs.waitFor(/disconnected: left/, 100);
  await bob.sendString("still here");
  const received = await alice.waitForMessages(35);
  assert.equal(received.at(-1)!.text, "still here");
  assert.equal(test.server.stats.clients, 2);
  assert.equal(test.server.stats.loggedIn, 2);
  await alice.close();
  await bob.close();
});

Deno.test("server closes connections beyond maxClients at once", async () => {
  await using test = startServer({ maxClients: 2 });
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  const carol = await ChatPeer.connect(test.port);
  assert.equal(await carol.waitForEnd(), "closed");
  await test.logs.waitFor(/refused: server full \(2 clients\)/);
  await alice.sendString("still fine");
  await bob.waitForMessages(1);
  assert.equal(test.server.stats.refused, 1);
  await alice.close();
  await bob.close();
  await carol.close();
});

Deno.test("server shutdown delivers what was accepted, then closes every connection", async () => {
  const test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await alice.sendString("last words");
  await test.logs.waitFor(/"alice" says "last words"/);
  await test.server.shutdown();
  assert.equal((await bob.waitForMessages(1))[0]!.text, "last words");
  assert.equal(await bob.waitForEnd(), "closed");
  assert.equal(await alice.waitForEnd(), "closed");
  await test.logs.waitFor(/shut down: closed 2 connections; 2 served, 1 message relayed/);
  await assert.rejects(ChatPeer.connect(test.port), Deno.errors.ConnectionRefused);
  await alice.close();
  await bob.close();
});

Deno.test("server shuts down when its signal is aborted", async () => {
  const controller = new AbortController();
  const server = serve({ hostname: "127.0.0.1", port: 0, signal: controller.signal, log() {} });
  controller.abort();
  await within(server.finished, "the shutdown", 2000);
  await assert.rejects(ChatPeer.connect(server.addr.port), Deno.errors.ConnectionRefused);
});

Deno.test("server given an aborted signal shuts down at once", async () => {
  const server = serve({ hostname: "127.0.0.1", port: 0, signal: AbortSignal.abort(), log() {} });
  await within(server.finished, "the shutdown", 2000);
  await assert.rejects(ChatPeer.connect(server.addr.port), Deno.errors.ConnectionRefused);
});

Deno.test("serve refuses options out of range", () => {
  assert.throws(() => serve({ port: 70000, log() {} }), RangeError);
  assert.throws(() => serve({ maxUsernameSize: 0, log() {} }), RangeError);
  assert.throws(() => serve({ loginTimeout: 0, log() {} }), RangeError);
  assert.throws(() => serve({ maxClients: 1.5, log() {} }), RangeError);
});

Deno.test("serve reports a port in use", async () => {
  await using test = startServer();
  assert.throws(
    () => serve({ hostname: "127.0.0.1", port: test.port, log() {} }),
    Deno.errors.AddrInUse,
  );
});

Deno.test("server keeps relaying when its log cannot be written", async () => {
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    log() {
      throw new Error("No space left on device");
    },
  });
  const alice = await ChatPeer.login(server.addr.port, "alice");
  await alice.sendString("still here");
  assert.equal((await alice.waitForMessages(1))[0]!.text, "still here");
  await alice.close();
  await server.shutdown();
});

Deno.test("server logs message texts only at debug level", async () => {
  const lines: string[] = [];
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    logLevel: "info",
    log: (line) => lines.push(line),
  });
  const alice = await ChatPeer.login(server.addr.port, "alice");
  await alice.sendString("secret text");
  await alice.waitForMessages(1);
  assert.ok(lines.some((line) => / info .*logged in as "alice"/.test(line)));
  assert.ok(!lines.some((line) => line.includes("secret text")));
  await alice.close();
  await server.shutdown();
});
