import assert from "node:assert/strict";
import { encodeString } from "../../protocol/encode.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { startServer } from "../support/test_server.ts";

// The Why extension: before the server closes a connection for a reason the client
// can act on, that connection alone hears the reason from `*`.

Deno.test("an over-limit message is answered with why, from *, before the close; others notice nothing", async () => {
  await using server = startServer({ maxMessageSize: 20 });
  const bob = await server.join("bob");
  const alice = await server.join("alice");
  await alice.sendString("x".repeat(40));
  const why = await alice.waitForText("message of 40 bytes over the limit of 20");
  assert.equal(why.username, "*");
  assert.equal(await alice.waitForEnd(), "closed");
  await server.logs.waitFor(/"alice" disconnected: protocol error: .*size 40 exceeds/);
  await bob.sendString("still fine");
  await bob.waitForText("still fine");
  assert.ok(!bob.messages.some((message) => message.text.includes("over the limit")));
  await bob.close();
  await alice.close();
});

Deno.test("invalid UTF-8 and a bad user name are answered with why before the close", async () => {
  await using server = startServer();
  const alice = await server.join("alice");
  const bad = new Uint8Array([0, 0, 0, 2, 0xc3, 0x28]);
  await alice.sendRaw(bad);
  await alice.waitForText("message is not valid UTF-8");
  assert.equal(await alice.waitForEnd(), "closed");

  const mallory = await ChatPeer.connect(server.port);
  mallory.startReading();
  await mallory.sendRaw(encodeString("*"));
  const [why] = await mallory.waitForMessages(1);
  assert.equal(why!.username, "*");
  assert.match(why!.text, /^invalid user name/);
  assert.equal(await mallory.waitForEnd(), "closed");
  await alice.close();
  await mallory.close();
});

Deno.test("a TLS ClientHello on the plain port gets a byte that is not TLS, and the log says so", async () => {
  await using server = startServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  // The start of a TLS 1.2 record holding a ClientHello.
  await conn.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03]));
  const buffer = new Uint8Array(256);
  const read = await conn.read(buffer);
  assert.ok(read !== null && read > 0);
  assert.equal(buffer[0], 0x00, "a TLS record would start with 0x14-0x17");
  assert.match(new TextDecoder().decode(buffer.subarray(0, read!)), /does not speak TLS/);
  await server.logs.waitFor(/disconnected: looks like TLS/);
  conn.close();
});

Deno.test("a client that never reads still has its connection closed at once after a protocol error", async () => {
  await using server = startServer({ maxMessageSize: 20 });
  const alice = await ChatPeer.login(server.port, "alice"); // never reads
  await server.logs.waitFor(/logged in as "alice"/);
  await alice.sendString("y".repeat(21));
  await server.logs.waitFor(/"alice" disconnected: protocol error/);
  assert.equal(server.server.stats.clients, 0);
  await alice.close();
});
