import assert from "node:assert/strict";
import { APP_JS, INDEX_HTML } from "../../server/doors/web_assets.ts";
import { CloseCode } from "../../server/doors/websocket_link.ts";
import { within } from "../support/deadline.ts";
import { startGateway, WebSocketPeer } from "../support/web_gateway.ts";

Deno.test("web gateway serves the page with a strict Content-Security-Policy", async () => {
  await using gateway = startGateway();
  const response = await fetch(`${gateway.origin}/`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/html/);
  const policy = response.headers.get("content-security-policy")!;
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /script-src 'self'(;|$)/);
  assert.match(policy, /connect-src 'self'(;|$)/);
  assert.match(policy, /style-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
  assert.doesNotMatch(policy, /unsafe/);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.equal(await response.text(), INDEX_HTML);
  assert.doesNotMatch(INDEX_HTML, /<script>/, "no inline script");
});

Deno.test("web gateway serves the script, the limits, and 404 for anything else", async () => {
  await using gateway = startGateway({ maxUsernameSize: 12, maxMessageSize: 500 });
  const script = await fetch(`${gateway.origin}/app.js`);
  assert.match(script.headers.get("content-type")!, /^text\/javascript/);
  assert.equal(await script.text(), APP_JS);
  const config = await fetch(`${gateway.origin}/config.json`);
  assert.deepEqual(await config.json(), { maxUsernameSize: 12, maxMessageSize: 500 });
  const missing = await fetch(`${gateway.origin}/etc/passwd`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const posted = await fetch(`${gateway.origin}/`, { method: "POST", body: "x" });
  assert.equal(posted.status, 405);
  await posted.body?.cancel();
  const plain = await fetch(`${gateway.origin}/ws`);
  assert.equal(plain.status, 426);
  await plain.body?.cancel();
  const keyless = await fetch(`${gateway.origin}/ws`, { headers: { upgrade: "websocket" } });
  assert.equal(keyless.status, 400);
  await keyless.body?.cancel();
});

Deno.test("web gateway refuses a WebSocket from a foreign Origin with 403", async () => {
  await using gateway = startGateway();
  const response = await fetch(`${gateway.origin}/ws`, {
    headers: { origin: "http://evil.example" },
  });
  assert.equal(response.status, 403);
  await response.body?.cancel();
  const peer = new WebSocketPeer(gateway.wsUrl, "http://evil.example");
  await assert.rejects(peer.opened);
  await peer.waitForClose();
  // Same host, other port or scheme: another origin.
  const port = Number(new URL(gateway.origin).port);
  for (const origin of [`http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, "null"]) {
    const refused = await fetch(`${gateway.origin}/ws`, { headers: { origin } });
    assert.equal(refused.status, 403, origin);
    await refused.body?.cancel();
  }
  assert.equal(gateway.accepted.length, 0);
});

Deno.test("web gateway accepts its own origin, listed origins and no Origin", async () => {
  await using gateway = startGateway({ allowedOrigins: ["https://Chat.Example.com:443/"] });
  const origins = [gateway.origin, "https://chat.example.com", undefined];
  for (const [index, origin] of origins.entries()) {
    const peer = new WebSocketPeer(gateway.wsUrl, origin);
    await peer.opened;
    const { origin: linkOrigin } = await gateway.nextLink(index + 1);
    assert.equal(linkOrigin.door, "web");
    assert.equal(linkOrigin.hostname, "127.0.0.1");
    assert.match(linkOrigin.peer, /^127\.0\.0\.1:\d+$/);
    await peer.close();
  }
});

Deno.test("web gateway behind a TLS proxy takes https:// and its host as its own origin", async () => {
  const host = (gateway: { origin: string }) => new URL(gateway.origin).host;
  {
    await using gateway = startGateway({ behindTlsProxy: true });
    const peer = new WebSocketPeer(gateway.wsUrl, `https://${host(gateway)}`);
    await peer.opened;
    await peer.close();
  }
  {
    await using gateway = startGateway();
    const response = await fetch(`${gateway.origin}/ws`, {
      headers: { origin: `https://${host(gateway)}` },
    });
    assert.equal(response.status, 403);
    await response.body?.cancel();
  }
});

Deno.test("web gateway: a refused connection hears 503 and the reason, and no link opens", async () => {
  await using gateway = startGateway();
  gateway.host.refuse = "too many connections from this address (3)";
  const peer = new WebSocketPeer(gateway.wsUrl);
  await assert.rejects(peer.opened);
  await peer.waitForClose();
  const page = await fetch(gateway.origin);
  assert.equal(page.status, 503);
  assert.equal(await page.text(), "too many connections from this address (3)\n");
  assert.equal(gateway.accepted.length, 0);
});

Deno.test("web gateway refuses a WebSocket whose Host it does not serve, unless named", async () => {
  await using gateway = startGateway({ hosts: ["chat.example.com"] });
  const port = new URL(gateway.origin).port;
  for (
    const [host, status] of [
      [`evil.example:${port}`, 403],
      ["chat.example.com.evil.example", 403],
      [`chat.example.com:${port}`, 426],
      [`localhost:${port}`, 426],
      [`[::1]:${port}`, 426],
    ] as const
  ) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    await conn.write(new TextEncoder().encode(`GET /ws HTTP/1.1\r\nhost: ${host}\r\n\r\n`));
    const buffer = new Uint8Array(1024);
    const read = await within(conn.read(buffer), "the answer", 5000);
    assert.match(
      new TextDecoder().decode(buffer.subarray(0, read ?? 0)),
      new RegExp(`^HTTP/1\\.1 ${status} `),
      host,
    );
    conn.close();
  }
});

Deno.test("web gateway limits one WebSocket message to one client frame (1009)", async () => {
  await using gateway = startGateway({ maxUsernameSize: 25, maxMessageSize: 100 });
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  peer.socket.send(new Uint8Array(105));
  assert.equal((await peer.waitForClose()).code, CloseCode.MessageTooBig);
});

Deno.test("web gateway refuses text messages with 1003", async () => {
  await using gateway = startGateway();
  const peer = new WebSocketPeer(gateway.wsUrl);
  await peer.opened;
  peer.socket.send("hello");
  assert.equal((await peer.waitForClose()).code, CloseCode.UnsupportedData);
});

Deno.test("web gateway rejects an allowed origin that is not http(s)", () => {
  assert.throws(() => startGateway({ allowedOrigins: ["ftp://example.com"] }), TypeError);
});
