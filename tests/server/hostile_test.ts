import assert from "node:assert/strict";
import { encodeString } from "../../mod.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { randomSplit } from "../support/chunks.ts";
import { Random, testSeed } from "../support/random.ts";
import { startServer } from "../support/test_server.ts";

/** The other clients still chat after a hostile one was dealt with. */
async function othersCarryOn(sender: ChatPeer, receiver: ChatPeer, text: string): Promise<void> {
  await sender.sendString(text);
  await receiver.waitForText(text);
}

Deno.test("server accepts a user name of exactly the limit and closes one a byte over", async () => {
  await using test = startServer({ maxUsernameSize: 5 });
  const alice = await test.join("alice"); // 5 bytes
  const bob = await test.join("bob");
  const mallory = await ChatPeer.connect(test.port);
  await mallory.sendString("mallory");
  await mallory.waitForEnd();
  await test.logs.waitFor(
    /disconnected: protocol error: .*user name size 7 exceeds the limit of 5 bytes \(SIZE_LIMIT\)/,
  );
  await othersCarryOn(alice, bob, "carry on");
  for (const peer of [alice, bob, mallory]) await peer.close();
});

Deno.test("server relays a message of exactly the limit and closes on one a byte over", async () => {
  await using test = startServer({ maxMessageSize: 10 });
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await alice.sendString("0123456789");
  assert.equal((await bob.waitForMessages(1))[0]!.text, "0123456789");
  await alice.sendString("0123456789!");
  await alice.waitForEnd();
  await test.logs.waitFor(
    /"alice" disconnected: protocol error: .*message size 11 exceeds the limit of 10 bytes/,
  );
  const carol = await test.join("carol");
  await othersCarryOn(carol, bob, "carry on");
  assert.equal(bob.messages.length, 2); // the oversized message was never relayed
  for (const peer of [alice, bob, carol]) await peer.close();
});

Deno.test("server closes at once on size 0xFFFFFFFF, without waiting for a payload", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await bob.sendRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
  assert.ok(["closed", "reset"].includes(await bob.waitForEnd(2000)));
  await test.logs.waitFor(/"bob" disconnected: protocol error: .*message size 4294967295/);
  const carol = await test.join("carol");
  await othersCarryOn(carol, alice, "still here");
  for (const peer of [alice, bob, carol]) await peer.close();
});

Deno.test("server closes a connection that sends invalid UTF-8", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await bob.sendRaw(new Uint8Array([0, 0, 0, 3, 0x61, 0xc3, 0x28]));
  await bob.waitForEnd();
  await test.logs.waitFor(/"bob" disconnected: protocol error: .*not valid UTF-8 \(INVALID_UTF8\)/);
  const carol = await test.join("carol");
  await othersCarryOn(carol, alice, "fine");
  for (const peer of [alice, bob, carol]) await peer.close();
});

Deno.test("server closes logins with an empty or control-character user name", async () => {
  await using test = startServer();
  for (const name of ["", "eve\u0007", "new\nline", "\u009b31m"]) {
    const eve = await ChatPeer.connect(test.port);
    await eve.sendString(name);
    await eve.waitForEnd();
    await eve.close();
  }
  await test.logs.waitFor(
    /disconnected: protocol error: Invalid user name.*\(INVALID_USERNAME\)/,
    4,
  );
  assert.equal(test.server.stats.loggedIn, 0);
});

Deno.test("server logs a stream that ends inside a frame", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await bob.sendRaw(new Uint8Array([0, 0, 0, 10, 0x61, 0x62]));
  await bob.conn.closeWrite();
  await bob.waitForEnd();
  await test.logs.waitFor(
    /"bob" disconnected: protocol error: .*ended inside a frame \(TRUNCATED\)/,
  );
  await othersCarryOn(alice, alice, "unbothered");
  for (const peer of [alice, bob]) await peer.close();
});

Deno.test("server survives a connection reset in the middle of a frame", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await alice.sendString("unread by bob's socket");
  await alice.waitForMessages(1);
  // Bob never reads what he was sent: closing with unread data makes the kernel send
  // a reset instead of a clean close.
  const bobConn = await Deno.connect({ hostname: "127.0.0.1", port: test.port });
  await bobConn.write(encodeString("rst"));
  await test.logs.waitFor(/logged in as "rst"/);
  await alice.sendString("fills rst's receive buffer");
  await alice.waitForMessages(2);
  await bobConn.write(new Uint8Array([0, 0, 0, 50, 1, 2, 3])); // half a frame
  bobConn.close();
  await test.logs.waitFor(/"rst" disconnected: (connection reset by peer|protocol error)/);
  await othersCarryOn(alice, bob, "nobody noticed");
  for (const peer of [alice, bob]) await peer.close();
});

Deno.test("server closes a connection that does not log in within the timeout", async () => {
  await using test = startServer({ loginTimeout: 150 });
  const idle = await ChatPeer.connect(test.port);
  const prompt = await ChatPeer.connect(test.port);
  await prompt.sendString("prompt");
  assert.equal(await idle.waitForEnd(), "closed");
  await test.logs.waitFor(/disconnected: login timeout/);
  // The one that logged in in time stays.
  await prompt.sendString("still connected");
  assert.equal((await prompt.waitForMessages(1))[0]!.text, "still connected");
  assert.equal(test.logs.matching(/login timeout/).length, 1);
  await idle.close();
  await prompt.close();
});

Deno.test("server drops a client that never reads, and nobody else waits for it", async () => {
  const maxQueueBytes = 64 * 1024;
  await using test = startServer({ maxQueueBytes, logLevel: "info" });
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  // Logged in, but never reads a byte.
  const sloth = await ChatPeer.login(test.port, "sloth");
  await test.logs.waitFor(/logged in as "sloth"/);
  const text = "x".repeat(2000);
  let sent = 0;
  let mostHeld = 0;
  while (test.logs.matching(/"sloth" disconnected: slow consumer/).length === 0) {
    assert.ok(sent < 20_000, "the slow consumer was never dropped");
    await alice.sendString(text);
    sent++;
    mostHeld = Math.max(mostHeld, test.server.stats.logBytes);
    if (sent % 50 === 0) await bob.waitForMessages(sent); // pace the sender on a reader
  }
  // The kernel buffered megabytes for the sloth; the server itself held no more than
  // the bound, plus the segment being filled and one being written.
  assert.ok(mostHeld <= maxQueueBytes + 2 * 64 * 1024, `held ${mostHeld} bytes`);
  assert.ok(test.server.stats.logBytes <= 2 * 64 * 1024);
  // Bob, who reads, got every message, in order, while the sloth lagged.
  const received = await bob.waitForMessages(sent);
  assert.equal(received.length, sent);
  assert.ok(received.every((message) => message.text === text));
  await othersCarryOn(bob, alice, "after the drop");
  for (const peer of [alice, bob, sloth]) await peer.close();
});

Deno.test("server survives clients that send random bytes, while others chat", async () => {
  await using test = startServer({ logLevel: "info", maxMessageSize: 200 });
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  const random = new Random(testSeed());
  const attackers = Array.from({ length: 30 }, async (_, n) => {
    const peer = await ChatPeer.connect(test.port);
    // Half of them log in first, so that their garbage hits the message decoder.
    if (n % 2 === 0) await peer.sendString(`noise${n}`);
    for (const chunk of randomSplit(random.bytes(2000), random, 64)) {
      if (peer.ended !== undefined) break;
      await peer.sendRaw(chunk).catch(() => {});
    }
    if (n % 3 === 0) peer.conn.close(); // a few vanish without waiting
    else await peer.close();
  });
  for (let i = 0; i < 20; i++) await alice.sendString(`still talking ${i}`);
  await Promise.all(attackers);
  await othersCarryOn(alice, bob, "after the storm");
  const fromAlice = bob.messages.filter((message) => message.username === "alice");
  assert.deepEqual(
    fromAlice.map((message) => message.text),
    [...Array.from({ length: 20 }, (_, i) => `still talking ${i}`), "after the storm"],
  );
  for (const peer of [alice, bob]) await peer.close();
});

Deno.test("server says a connection looks like HTTP when its first bytes are a request", async () => {
  await using test = startServer();
  const requests = [
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "POST /chat HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    "HEAD / HTTP/1.1\r\n\r\n",
  ];
  for (const request of requests) {
    const browser = await ChatPeer.connect(test.port);
    // In pieces: the method is told from the first four bytes, however they arrive.
    await browser.sendRaw(new TextEncoder().encode(request.slice(0, 2)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await browser.sendRaw(new TextEncoder().encode(request.slice(2)));
    await browser.waitForEnd();
    await browser.close();
  }
  const lines = await test.logs.waitFor(
    /^.*127\.0\.0\.1:\d+ disconnected: looks like HTTP \(a browser or curl pointed at the chat port; the web page is served by --web\)$/,
    3,
  );
  assert.equal(lines.length, 3);
  assert.deepEqual(test.logs.matching(/SIZE_LIMIT/), []);
  // A size that is not a method is still a protocol error.
  const mallory = await ChatPeer.connect(test.port);
  await mallory.sendRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
  await mallory.waitForEnd();
  await test.logs.waitFor(/disconnected: protocol error: .*\(SIZE_LIMIT\)/);
  await mallory.close();
});
