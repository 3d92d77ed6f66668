import assert from "node:assert/strict";
import { encodeChatMessage, encodeString } from "../../protocol/encode.ts";
import type { ClientFrame } from "../../protocol/frames.ts";
import { ServerDecoder } from "../../protocol/server_decoder.ts";
import { ProtocolError, type ProtocolErrorCode } from "../../protocol/errors.ts";
import { CloseCode, closeForProtocolError } from "../../server/doors/websocket_link.ts";
import { concat } from "../support/chunks.ts";
import { within } from "../support/deadline.ts";
import { clientFrame, openRawWebSocket } from "../support/raw_websocket.ts";
import { readBytes, startGateway, WebSocketPeer } from "../support/web_gateway.ts";

Deno.test("WebSocketLink read joins the bytes of several messages", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  peer.socket.send(new Uint8Array([1, 2, 3]));
  peer.socket.send(new Uint8Array([4]));
  peer.socket.send(new Uint8Array([5, 6]));
  const { bytes } = await readBytes(link, 6);
  assert.deepEqual(bytes, new Uint8Array([1, 2, 3, 4, 5, 6]));
  await peer.close();
});

Deno.test("WebSocketLink read returns a message larger than the buffer over several reads", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  peer.socket.send(new Uint8Array([1, 2, 3, 4, 5]));
  const { bytes, reads } = await readBytes(link, 5, 2);
  assert.deepEqual(bytes, new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(reads, [2, 2, 1]);
  await peer.close();
});

Deno.test("WebSocketLink input split anywhere decodes to the same frames", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  const stream = concat([encodeString("alice"), encodeString("hi"), encodeString("héllo")]);
  // Every byte its own message, then the rest in uneven pieces.
  for (let at = 0; at < 12; at++) peer.socket.send(stream.subarray(at, at + 1));
  peer.socket.send(stream.subarray(12, 15));
  peer.socket.send(stream.subarray(15));
  const frames: ClientFrame[] = [];
  const decoder = new ServerDecoder({
    login: (username) => frames.push({ type: "login", username }),
    message: (text) => frames.push({ type: "message", text: new TextDecoder().decode(text) }),
  });
  const buffer = new Uint8Array(7);
  while (frames.length < 3) {
    const read = await within(link.read(buffer), "a read", 5_000);
    assert.notEqual(read, null);
    decoder.push(buffer.subarray(0, read!));
  }
  assert.deepEqual(frames, [
    { type: "login", username: "alice" },
    { type: "message", text: "hi" },
    { type: "message", text: "héllo" },
  ]);
  await peer.close();
});

Deno.test("WebSocketLink read returns what arrived before the peer closed, then null", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  peer.socket.send(new Uint8Array([7, 8]));
  await peer.close();
  const { bytes } = await readBytes(link, 2);
  assert.deepEqual(bytes, new Uint8Array([7, 8]));
  assert.equal(await within(link.read(new Uint8Array(4)), "the end", 5_000), null);
});

Deno.test("WebSocketLink write sends exactly one frame per WebSocket message", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  const frames = [
    encodeChatMessage({ timestamp: 1, username: "alice", text: "hi" }),
    encodeChatMessage({ timestamp: 2, username: "bob", text: "" }),
    encodeChatMessage({ timestamp: 3, username: "*", text: "x".repeat(5000) }),
  ];
  const bytes = concat(frames);
  assert.equal(
    await link.write(bytes.subarray(0, frames[0]!.length + frames[1]!.length)),
    frames[0]!.length + frames[1]!.length,
  );
  assert.equal(
    await link.write(bytes.subarray(frames[0]!.length + frames[1]!.length)),
    frames[2]!.length,
  );
  assert.deepEqual(await peer.waitForMessages(3), frames);
  await peer.close();
});

Deno.test("WebSocketLink write refuses bytes that do not start with a whole frame", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  const frame = encodeChatMessage({ timestamp: 1, username: "alice", text: "hi" });
  await assert.rejects(link.write(frame.subarray(0, frame.length - 1)), RangeError);
  // Whole frames followed by a partial one: only the whole ones go.
  const two = concat([frame, frame.subarray(0, 5)]);
  assert.equal(await link.write(two), frame.length);
  assert.deepEqual(await peer.waitForMessages(1), [frame]);
  await peer.close();
});

Deno.test("WebSocketLink closes with 1003 on a text message", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  peer.socket.send("alice");
  const closed = await peer.waitForClose();
  assert.equal(closed.code, CloseCode.UnsupportedData);
  assert.match(closed.reason, /Text messages are not accepted/);
  assert.equal(await within(link.read(new Uint8Array(8)), "the end", 5_000), null);
});

Deno.test("WebSocketLink closes with 1009 on a message over its limit, not at it", async () => {
  await using gateway = startGateway({ maxUsernameSize: 10, maxMessageSize: 20 });
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  peer.socket.send(new Uint8Array(24)); // max(10, 20) + 4: accepted
  peer.socket.send(new Uint8Array(25));
  const closed = await peer.waitForClose();
  assert.equal(closed.code, CloseCode.MessageTooBig);
  assert.equal(link.closeStatus?.code, 1009);
  assert.equal(link.failure, "Message over the limit of 24 bytes (WebSocket close 1009)");
  // What was read before the close is dropped with it: the session sees the end.
  assert.equal(await within(link.read(new Uint8Array(64)), "the end", 5_000), null);
});

Deno.test("WebSocketLink closeWith sends the code and reason, and ends reads and writes", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  const pending = link.read(new Uint8Array(8));
  link.closeWith(CloseCode.PolicyViolation, "Sending too fast");
  assert.equal(await within(pending, "the end", 5_000), null);
  assert.deepEqual(await peer.waitForClose(), { code: 1008, reason: "Sending too fast" });
  const frame = encodeChatMessage({ timestamp: 1, username: "a", text: "b" });
  await assert.rejects(link.write(frame), Deno.errors.BrokenPipe);
});

Deno.test("WebSocketLink closes with 1002 on an empty message, a protocol error", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  const { link } = await gateway.nextLink();
  peer.socket.send(new Uint8Array(0));
  assert.deepEqual(await peer.waitForClose(), { code: 1002, reason: "Empty message" });
  assert.equal(await within(link.read(new Uint8Array(8)), "the end", 5_000), null);
  assert.equal(link.failure, "Empty message (WebSocket close 1002)");
});

Deno.test("WebSocketLink names a peer's protocol-error close as a failure, an ordinary close not", async () => {
  await using gateway = startGateway();
  // A browser cannot send 1007 itself: a client by hand does.
  const bad = await openRawWebSocket(Number(new URL(gateway.origin).port));
  const { link: badLink } = await gateway.nextLink(1);
  await bad.conn.write(clientFrame(8, new Uint8Array([0x03, 0xef, 98, 97, 100])));
  assert.equal(await within(badLink.read(new Uint8Array(8)), "the end", 5_000), null);
  assert.equal(badLink.failure, "the client closed with 1007 (bad)");
  bad.conn.close();
  const good = new WebSocketPeer(gateway.wsUrl);
  await good.opened;
  const { link: goodLink } = await gateway.nextLink(2);
  await good.close();
  assert.equal(await within(goodLink.read(new Uint8Array(8)), "the end", 5_000), null);
  assert.equal(goodLink.failure, undefined);
});

Deno.test("WebSocketLink stops reading a peer its session does not read, and resumes", async () => {
  await using gateway = startGateway();
  const port = Number(new URL(gateway.origin).port);
  const { conn, head } = await openRawWebSocket(port);
  assert.match(head, /^HTTP\/1\.1 101 /);
  const { link } = await gateway.nextLink();
  const frame = clientFrame(2, new Uint8Array(3000).fill(1));
  const batch = new Uint8Array(frame.length * 100);
  for (let i = 0; i < 100; i++) batch.set(frame, i * frame.length);
  const total = 6000 * 3000; // 18 MB, past what loopback buffers hold
  let sent = 0;
  const sending = (async () => {
    for (let i = 0; i < 60; i++) {
      for (let at = 0; at < batch.length;) at += await conn.write(batch.subarray(at));
      sent += 100 * 3000;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(sent < total, `the sender should be held back, sent ${sent}`);
  let read = 0;
  const buffer = new Uint8Array(64 * 1024);
  while (read < total) {
    const count = await within(link.read(buffer), "the held bytes", 5_000);
    if (count === null) throw new Error("Unexpected end");
    read += count;
  }
  await within(sending, "the sender to finish", 5_000);
  link.close();
  conn.close();
});

Deno.test("WebSocketLink write waits for a peer that does not read, and fails once closed", async () => {
  await using gateway = startGateway({ link: { closeGrace: 100 } });
  const port = Number(new URL(gateway.origin).port);
  const { conn } = await openRawWebSocket(port); // never reads
  const { link } = await gateway.nextLink();
  const frame = encodeChatMessage({ timestamp: 1, username: "bob", text: "x".repeat(60_000) });
  let stalled: Promise<number> | undefined;
  for (let i = 0; i < 2000 && stalled === undefined; i++) {
    const write = link.write(frame);
    const done = await Promise.race([
      write,
      new Promise((r) => setTimeout(() => r("stalled"), 200)),
    ]);
    if (done === "stalled") stalled = write;
    else assert.equal(done, frame.length, "one whole frame per write");
  }
  assert.ok(stalled !== undefined, "a write should wait for the peer");
  const failed = stalled.then(() => "resolved", (error) => error);
  link.closeWith(CloseCode.PolicyViolation, "Too slow"); // the peer never answers: cut off
  assert.ok((await within(failed, "the write to fail", 5_000)) instanceof Deno.errors.BrokenPipe);
  conn.close();
});

Deno.test("closeForProtocolError maps each protocol error to its close code", () => {
  const expected: Record<ProtocolErrorCode, number> = {
    SIZE_LIMIT: 1009,
    INVALID_UTF8: 1007,
    INVALID_USERNAME: 1008,
    TRUNCATED: 1002,
    TIMESTAMP_RANGE: 1002,
  };
  for (const [code, closeCode] of Object.entries(expected)) {
    const error = new ProtocolError(code as ProtocolErrorCode, `Cannot decode frame: ${code}`);
    assert.deepEqual(closeForProtocolError(error), {
      code: closeCode,
      reason: `Cannot decode frame: ${code}`,
    });
  }
});
