import assert from "node:assert/strict";
import { NOT_TLS_TEXT, openTlsDoor, readHello, type TlsDoor } from "../../server/doors/tls_door.ts";
import { checkTlsPair, describeTlsError, loadTlsFiles } from "../../server/doors/tls_files.ts";
import type { Link } from "../../server/session/link.ts";
import { ClientDecoder } from "../../protocol/client_decoder.ts";
import { within } from "../support/deadline.ts";
import { FakeDoorHost, openDescriptors } from "../support/fake_door_host.ts";
import { type CertPair, testCerts } from "../support/tls_certs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A TLS door on 127.0.0.1 over a fake host, and the clients a test opened. */
class DoorUnderTest implements AsyncDisposable {
  readonly host = new FakeDoorHost();
  readonly door: TlsDoor;
  readonly #conns = new Set<Deno.Conn>();

  constructor(pair: CertPair) {
    this.door = openTlsDoor({ hostname: "127.0.0.1", port: 0, ...pair }, this.host);
  }

  get port(): number {
    return this.door.addr.port;
  }

  get lines(): string[] {
    return this.host.lines;
  }

  /** The link of the `count`-th connection the door handed over. */
  async next(count: number): Promise<Link> {
    return (await this.host.nextOpened(count)).link;
  }

  /** Remembers a client connection, to close it at the end. */
  track<T extends Deno.Conn>(conn: T): T {
    this.#conns.add(conn);
    return conn;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.host.expire();
    this.host.closeAll();
    await this.door.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed by the test already.
      }
    }
    await this.host.until(() => this.host.pending === 0, "every ticket released");
  }
}

async function readText(link: Link | Deno.Conn, size: number): Promise<string> {
  const buffer = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const read = await within(link.read(buffer.subarray(at)), "bytes to arrive", 5000);
    if (read === null) throw new Error("Unexpected end of stream");
    at += read;
  }
  return decoder.decode(buffer);
}

async function writeText(link: Link | Deno.Conn, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += await link.write(bytes.subarray(at));
}

async function connectTls(port: number, ca: string, hostname = "localhost") {
  return await within(
    Deno.connectTls({ hostname, port, caCerts: [ca] }),
    "connectTls",
    5000,
  );
}

/** The `*` lines a client hears before the end of the stream. */
async function voiceLines(conn: Deno.Conn): Promise<string[]> {
  const lines: string[] = [];
  const decoder = new ClientDecoder((message) =>
    lines.push(`${message.username}: ${message.text}`)
  );
  const buffer = new Uint8Array(1024);
  for (;;) {
    const read = await within(conn.read(buffer).catch(() => null), "the server's words", 5000);
    if (read === null) return lines;
    decoder.push(buffer.subarray(0, read));
  }
}

Deno.test("TLS door hands over a TLS link once the handshake is done; bytes flow both ways", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  assert.deepEqual(door.lines, [`info listening on 127.0.0.1:${door.port} (TLS)`]);
  let count = 0;
  for (const hostname of ["localhost", "127.0.0.1"]) {
    const client = door.track(await connectTls(door.port, certs.ca, hostname));
    await within(client.handshake(), "the client's handshake", 5000);
    const link = await door.next(++count);
    const { origin } = door.host.opened[count - 1]!;
    assert.equal(link.pausable, true);
    assert.equal(origin.door, "tls");
    assert.equal(origin.hostname, "127.0.0.1");
    assert.equal(origin.peer, `127.0.0.1:${client.localAddr.port}`);
    await writeText(client, "hello server");
    assert.equal(await readText(link, 12), "hello server");
    await writeText(link, "hello client");
    assert.equal(await readText(client, 12), "hello client");
    client.close();
    assert.equal(await within(link.read(new Uint8Array(8)), "the end", 5000), null);
    link.close();
  }
});

Deno.test("TLS link stops reading a peer its session does not read, and resumes", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const client = door.track(await connectTls(door.port, certs.ca));
  const link = await door.next(1);
  // The client sends 4 MB while nobody reads: its writes must stall.
  const total = 16 * 1024 * 1024;
  let sent = 0;
  const sending = (async () => {
    const chunk = new Uint8Array(64 * 1024).fill(7);
    while (sent < total) sent += await client.write(chunk.subarray(0, total - sent));
  })();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(sent < total, `the sender should be held back, sent ${sent}`);
  let read = 0;
  const buffer = new Uint8Array(64 * 1024);
  while (read < total) {
    const count = await within(link.read(buffer), "the held bytes", 5000);
    if (count === null) throw new Error("Unexpected end");
    read += count;
  }
  await within(sending, "the sender to finish", 5000);
  assert.equal(read, total);
});

Deno.test("TLS door reload: accepted links stay, new connections get the new certificate", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const port = door.port;
  const before = door.track(await connectTls(port, certs.ca));
  const beforeLink = await door.next(1);
  await writeText(before, "ping");
  assert.equal(await readText(beforeLink, 4), "ping");

  // A certificate for other.example only: a client for localhost now refuses it.
  await door.door.reload(certs.other.cert, certs.other.key);
  assert.equal(door.door.addr.port, port);
  assert.equal(door.lines.at(-1), `info TLS certificate reloaded on 127.0.0.1:${port}`);
  const refused = door.track(await connectTls(port, certs.ca));
  await assert.rejects(
    within(refused.handshake(), "the refused handshake", 5000),
    (error) =>
      error instanceof Deno.errors.InvalidData &&
      /certificate not valid for name "localhost"/.test(error.message),
  );
  await door.host.until(
    () => door.lines.some((line) => line.includes("TLS handshake failed")),
    "the failed handshake in the log",
  );

  // The link accepted before the reload still works, both ways.
  await writeText(before, "still here");
  assert.equal(await readText(beforeLink, 10), "still here");
  await writeText(beforeLink, "yes");
  assert.equal(await readText(before, 3), "yes");

  // And a reload to a certificate for localhost lets new clients in again.
  await door.door.reload(certs.renewed.cert, certs.renewed.key);
  const after = door.track(await connectTls(port, certs.ca));
  await within(after.handshake(), "the handshake after the reload", 5000);
  const afterLink = await door.next(2);
  await writeText(after, "new");
  assert.equal(await readText(afterLink, 3), "new");
});

Deno.test("TLS door reload with a broken pair throws one line and keeps the old certificate", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const cases: [string, string, string][] = [
    [certs.mismatched.cert, certs.mismatched.key, "the key does not match the certificate"],
    ["not a certificate", certs.server.key, "no PEM certificate in the certificate"],
    [certs.server.cert, "not a key", "no PEM private key in the key"],
    [certs.server.key, certs.server.cert, "no PEM certificate in the certificate"],
  ];
  for (const [cert, key, problem] of cases) {
    await assert.rejects(
      door.door.reload(cert, key),
      (error) => {
        assert.ok(error instanceof Error);
        assert.equal(error.message, `Invalid TLS certificate or key: ${problem}`);
        return true;
      },
    );
  }
  assert.ok(!door.lines.some((line) => line.includes("reloaded")));
  const client = door.track(await connectTls(door.port, certs.ca));
  await within(client.handshake(), "the handshake after failed reloads", 5000);
  const link = await door.next(1);
  await writeText(client, "ok");
  assert.equal(await readText(link, 2), "ok");
});

Deno.test("TLS door answers a plain client with one * frame, logs it, and releases its ticket", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const raw = door.track(await Deno.connect({ hostname: "127.0.0.1", port: door.port }));
  await writeText(raw, "\u0000\u0000\u0000\u0003bob"); // a wirechat login, in clear
  assert.deepEqual(await voiceLines(raw), [`*: ${NOT_TLS_TEXT}`]);
  await door.host.until(() => door.host.released === 1, "the ticket released");
  assert.ok(door.lines.some((line) => /127\.0\.0\.1:\d+ does not speak TLS/.test(line)));
  assert.equal(door.host.opened.length, 0);

  // The door goes on accepting.
  const client = door.track(await connectTls(door.port, certs.ca));
  await within(client.handshake(), "the next client's handshake", 5000);
  await door.next(1);
});

Deno.test("TLS door tells a refused client why in one * frame over TLS", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  door.host.refuse = "server full (1 clients)";
  const client = door.track(await connectTls(door.port, certs.ca));
  assert.deepEqual(await voiceLines(client), ["*: server full (1 clients)"]);
  assert.equal(door.host.opened.length, 0);
});

Deno.test("TLS door: a client that refuses the certificate is logged, and its ticket released", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  // No caCerts: Deno's default roots do not know the test CA.
  const client = door.track(await Deno.connectTls({ hostname: "localhost", port: door.port }));
  await assert.rejects(within(client.handshake(), "the client's handshake to fail", 5000));
  await door.host.until(() => door.host.released === 1, "the ticket released");
  assert.ok(
    door.lines.some((line) => line.includes("TLS handshake failed")),
    door.lines.join("\n"),
  );
});

Deno.test("TLS door frees 20 stalled handshakes at the login deadline; others are served meanwhile", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const before = await openDescriptors();
  const stalled: Deno.Conn[] = [];
  for (let i = 0; i < 20; i++) {
    const conn = door.track(await Deno.connect({ hostname: "127.0.0.1", port: door.port }));
    // Half send nothing; half start a handshake record and stop.
    if (i % 2 === 1) await conn.write(new Uint8Array([0x16, 3, 1, 0, 200, 1]));
    stalled.push(conn);
  }
  await door.host.until(() => door.host.pending === 20, "20 admitted");
  const client = door.track(await connectTls(door.port, certs.ca));
  const link = await door.next(1);
  await writeText(client, "hi");
  assert.equal(await readText(link, 2), "hi");
  // The login deadline (the host's, one second here).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  door.host.expire();
  await door.host.until(() => door.host.released === 20, "20 tickets released");
  for (const conn of stalled) {
    assert.equal(await within(conn.read(new Uint8Array(8)).catch(() => null), "EOF", 5000), null);
    conn.close();
  }
  // The server's 20 descriptors are back (the clients' are closed too).
  await door.host.until(async () => await openDescriptors() <= before + 2, "the descriptors back");
});

Deno.test("loadTlsFiles reads a pair, and says in one line what is wrong with a bad one", async () => {
  const certs = await testCerts();
  assert.deepEqual(loadTlsFiles(certs.server.certPath, certs.server.keyPath), {
    cert: certs.server.cert,
    key: certs.server.key,
  });
  const cases: [string, string, string][] = [
    [
      `${certs.dir}/none.pem`,
      certs.server.keyPath,
      `Cannot read TLS certificate '${certs.dir}/none.pem': no such file`,
    ],
    [
      certs.server.certPath,
      certs.dir,
      `Cannot read TLS key '${certs.dir}': it is a directory`,
    ],
    [
      certs.server.keyPath,
      certs.server.keyPath,
      `Invalid TLS certificate '${certs.server.keyPath}': it holds no PEM certificate`,
    ],
    [
      certs.server.certPath,
      certs.server.certPath,
      `Invalid TLS key '${certs.server.certPath}': it holds no PEM key`,
    ],
    [
      certs.mismatched.certPath,
      certs.mismatched.keyPath,
      `Invalid TLS files '${certs.mismatched.certPath}' and '${certs.mismatched.keyPath}': ` +
      "the key does not match the certificate",
    ],
  ];
  for (const [certPath, keyPath, message] of cases) {
    assert.throws(() => loadTlsFiles(certPath, keyPath), (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.message, message);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
  checkTlsPair(certs.other.cert, certs.other.key);
});

Deno.test("describeTlsError words the TLS failures of Deno's TlsConn, and nothing else", () => {
  assert.equal(
    describeTlsError(new Deno.errors.InvalidData("received fatal alert: UnknownCA")),
    "TLS handshake failed: the client refused the server's certificate (UnknownCA)",
  );
  assert.match(
    describeTlsError(new Deno.errors.UnexpectedEof("eof")) ?? "",
    /^TLS handshake failed: the client closed/,
  );
  assert.equal(describeTlsError(new Deno.errors.ConnectionReset("reset")), undefined);
  assert.equal(describeTlsError(new Error("other")), undefined);
});

Deno.test("readHello waits for the whole first TLS record, and returns other bytes as they come", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const conn = await listener.accept();
  try {
    // A record of 10 bytes, its header and 3 bytes first, the rest 100 ms later.
    await client.write(new Uint8Array([0x16, 3, 1, 0, 10, 1, 2, 3]));
    const hello = readHello(conn);
    let done = false;
    hello.then(() => done = true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(done, false, "half a record is not a hello");
    await client.write(new Uint8Array([4, 5, 6, 7, 8, 9, 10]));
    assert.equal((await within(hello, "the hello", 5000))?.length, 15);
    // Not TLS: the first bytes, at once.
    await client.write(new Uint8Array([0, 0, 0, 3]));
    assert.deepEqual(await within(readHello(conn), "the head", 5000), new Uint8Array([0, 0, 0, 3]));
    // A peer that hangs up in the middle of its hello.
    await client.write(new Uint8Array([0x16, 3, 1, 1, 0]));
    client.close();
    assert.equal(await within(readHello(conn), "the end", 5000), null);
  } finally {
    conn.close();
    try {
      client.close();
    } catch {
      // Closed above.
    }
  }
});
