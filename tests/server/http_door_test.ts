import assert from "node:assert/strict";
import {
  type HttpDoorOptions,
  openHttpDoor,
  PLAIN_ON_TLS_TEXT,
} from "../../server/doors/http_door.ts";
import type { Door } from "../../server/doors/door.ts";
import { TlsContext } from "../../server/doors/tls_door.ts";
import { within } from "../support/deadline.ts";
import { FakeDoorHost } from "../support/fake_door_host.ts";
import { testCerts } from "../support/tls_certs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An HTTP door that answers `hello <path>`, over a fake host. */
function helloDoor(host: FakeDoorHost, options: Partial<HttpDoorOptions> = {}): Door {
  return openHttpDoor({ name: "web", hostname: "127.0.0.1", port: 0, ...options }, host, {
    request: (request, response) => response.end(`hello ${request.url}`),
  });
}

/** Reads `conn` to its end (or until it is reset), as text. */
async function readAll(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(4096);
  let text = "";
  for (;;) {
    const read = await within(conn.read(buffer).catch(() => null), "the end of the answer", 5000);
    if (read === null) return text;
    text += decoder.decode(buffer.subarray(0, read));
  }
}

async function closeDoor(door: Door, host: FakeDoorHost): Promise<void> {
  await door.close();
  await host.until(() => host.pending === 0, "every ticket released");
}

Deno.test("HTTP door serves requests through node:http and releases the ticket when the connection closes", async () => {
  const host = new FakeDoorHost();
  const door = helloDoor(host);
  const client = Deno.createHttpClient({});
  try {
    const base = `http://127.0.0.1:${door.addr.port}`;
    const first = await fetch(`${base}/a`, { client });
    assert.equal(await first.text(), "hello /a");
    const second = await fetch(`${base}/b`, { client });
    assert.equal(await second.text(), "hello /b");
    assert.equal(host.pending, 1, "one keep-alive connection, admitted once");
  } finally {
    client.close();
  }
  await host.until(() => host.released === 1 && host.pending === 0, "the ticket released");
  await closeDoor(door, host);
});

Deno.test("HTTP door answers a refused connection 503 with the reason, and closes it", async () => {
  const host = new FakeDoorHost();
  host.refuse = "too many connections from this address (2)";
  const door = helloDoor(host);
  const response = await fetch(`http://127.0.0.1:${door.addr.port}/`);
  assert.equal(response.status, 503);
  assert.equal(await response.text(), "too many connections from this address (2)\n");
  await closeDoor(door, host);
});

Deno.test("HTTP door closes a slowloris connection and an idle keep-alive one at the header deadline", async () => {
  const host = new FakeDoorHost();
  const door = helloDoor(host, { headerTimeoutMs: 300 });
  const port = door.addr.port;
  // Partial headers, then nothing.
  const slow = await Deno.connect({ hostname: "127.0.0.1", port });
  await slow.write(encoder.encode("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: 1"));
  // A whole request, then an idle keep-alive connection.
  const idle = await Deno.connect({ hostname: "127.0.0.1", port });
  await idle.write(encoder.encode("GET /idle HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"));
  const started = Date.now();
  assert.equal(await readAll(slow), "");
  const answered = await readAll(idle);
  assert.match(answered, /^HTTP\/1\.1 200 OK/);
  assert.ok(answered.endsWith("hello /idle"));
  assert.ok(Date.now() - started >= 250, "not before the deadline");
  slow.close();
  idle.close();
  await host.until(() => host.released === 2, "both tickets released");
  const timeouts = host.lines.filter((line) => /no complete HTTP request within 300 ms/.test(line));
  assert.equal(timeouts.length, 2, host.lines.join("\n"));
  await closeDoor(door, host);
});

Deno.test("HTTP door: the host's close (the login deadline) ends a connection not yet upgraded", async () => {
  const host = new FakeDoorHost();
  const door = helloDoor(host);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: door.addr.port });
  await host.until(() => host.pending === 1, "the connection admitted");
  host.expire();
  assert.equal(await readAll(conn), "");
  conn.close();
  await host.until(() => host.released === 1, "the ticket released");
  await closeDoor(door, host);
});

Deno.test("HTTP door with a certificate serves HTTPS, and answers plain HTTP with 400 in clear", async () => {
  const certs = await testCerts();
  const host = new FakeDoorHost();
  const door = helloDoor(host, { tls: new TlsContext(certs.server) });
  const port = door.addr.port;
  const client = Deno.createHttpClient({ caCerts: [certs.ca] });
  try {
    const response = await fetch(`https://localhost:${port}/secure`, { client });
    assert.equal(await response.text(), "hello /secure");
  } finally {
    client.close();
  }
  const plain = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(plain.status, 400);
  assert.equal(await plain.text(), `${PLAIN_ON_TLS_TEXT}\n`);
  await host.until(() => host.released === 2, "both tickets released");
  assert.ok(host.lines.some((line) => /does not speak TLS on the web door/.test(line)));
  // A refused HTTPS client hears 503 over TLS.
  host.refuse = "server full (1 clients)";
  const refusedClient = Deno.createHttpClient({ caCerts: [certs.ca] });
  try {
    const refused = await fetch(`https://localhost:${port}/`, { client: refusedClient });
    assert.equal(refused.status, 503);
    assert.equal(await refused.text(), "server full (1 clients)\n");
  } finally {
    refusedClient.close();
  }
  await closeDoor(door, host);
});

Deno.test("HTTP door answers a malformed request 400 and logs it", async () => {
  const host = new FakeDoorHost();
  const door = helloDoor(host);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: door.addr.port });
  await conn.write(encoder.encode("NOT HTTP AT ALL\r\n\r\n"));
  assert.match(await readAll(conn), /^HTTP\/1\.1 400 Bad Request/);
  conn.close();
  await host.until(() => host.released === 1, "the ticket released");
  assert.ok(host.lines.some((line) => /bad HTTP request \(HPE_/.test(line)), host.lines.join("\n"));
  await closeDoor(door, host);
});
