import assert from "node:assert/strict";
import type { LinkOrigin } from "../../server/session/link.ts";
import {
  checkTlsPair,
  describeTlsError,
  loadTlsFiles,
  TlsDoor,
  type TlsDoorLog,
} from "../../server/doors/tls_door.ts";
import { within } from "../support/deadline.ts";
import { type CertPair, testCerts } from "../support/tls_certs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A door on 127.0.0.1 whose accepted connections the test takes one by one. */
class DoorUnderTest implements AsyncDisposable {
  readonly door: TlsDoor;
  readonly lines: string[] = [];
  readonly #accepted: [Deno.TlsConn, LinkOrigin][] = [];
  readonly #conns = new Set<Deno.Conn>();
  #arrived = Promise.withResolvers<void>();

  constructor(pair: CertPair) {
    const log: TlsDoorLog = {
      error: (line) => this.lines.push(`error ${line}`),
      info: (line) => this.lines.push(`info ${line}`),
    };
    this.door = new TlsDoor(
      { hostname: "127.0.0.1", port: 0, cert: pair.cert, key: pair.key },
      (conn, origin) => {
        this.#conns.add(conn);
        this.#accepted.push([conn, origin]);
        this.#arrived.resolve();
        this.#arrived = Promise.withResolvers();
      },
      log,
    );
  }

  get port(): number {
    return this.door.addr.port;
  }

  /** The next connection the door hands over. */
  async next(): Promise<[Deno.TlsConn, LinkOrigin]> {
    while (this.#accepted.length === 0) {
      await within(this.#arrived.promise, "the door to hand over a connection", 5000);
    }
    return this.#accepted.shift()!;
  }

  /** Remembers a client connection, to close it at the end. */
  track<T extends Deno.Conn>(conn: T): T {
    this.#conns.add(conn);
    return conn;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.door.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed by the test already.
      }
    }
  }
}

async function readText(conn: Deno.Conn, size: number): Promise<string> {
  const buffer = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const read = await within(conn.read(buffer.subarray(at)), "bytes to arrive", 5000);
    if (read === null) throw new Error("Unexpected end of stream");
    at += read;
  }
  return decoder.decode(buffer);
}

async function writeText(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

async function connectTls(port: number, ca: string, hostname = "localhost") {
  return await within(
    Deno.connectTls({ hostname, port, caCerts: [ca] }),
    "connectTls",
    5000,
  );
}

Deno.test("TlsDoor hands over a TLS connection, its origin, and bytes flow both ways", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  assert.deepEqual(door.lines, [`info listening on 127.0.0.1:${door.port} (TLS)`]);
  for (const hostname of ["localhost", "127.0.0.1"]) {
    const client = door.track(await connectTls(door.port, certs.ca, hostname));
    await within(client.handshake(), "the client's handshake", 5000);
    const [conn, origin] = await door.next();
    assert.equal(origin.door, "tls");
    assert.equal(origin.hostname, "127.0.0.1");
    assert.equal(origin.peer, `127.0.0.1:${client.localAddr.port}`);
    await writeText(client, "hello server");
    assert.equal(await readText(conn, 12), "hello server");
    await writeText(conn, "hello client");
    assert.equal(await readText(client, 12), "hello client");
    client.close();
    conn.close();
  }
});

Deno.test("TlsDoor.reload: accepted connections stay, new connections get the new certificate", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const port = door.port;
  const before = door.track(await connectTls(port, certs.ca));
  const [beforeConn] = await door.next();
  await writeText(before, "ping");
  assert.equal(await readText(beforeConn, 4), "ping");

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
  const [refusedConn] = await door.next();
  await assert.rejects(
    within(refusedConn.read(new Uint8Array(16)), "the refused read", 5000),
    Deno.errors.InvalidData,
  );

  // The connection accepted before the reload still works, both ways.
  await writeText(before, "still here");
  assert.equal(await readText(beforeConn, 10), "still here");
  await writeText(beforeConn, "yes");
  assert.equal(await readText(before, 3), "yes");

  // And a reload to a certificate for localhost lets new clients in again.
  await door.door.reload(certs.renewed.cert, certs.renewed.key);
  const after = door.track(await connectTls(port, certs.ca));
  await within(after.handshake(), "the handshake after the reload", 5000);
  const [afterConn] = await door.next();
  await writeText(after, "new");
  assert.equal(await readText(afterConn, 3), "new");
});

Deno.test("TlsDoor.reload with a broken pair throws one line and keeps the old certificate", async () => {
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
  await assert.rejects(
    async () => {
      const { cert, key } = loadTlsFiles(`${certs.dir}/missing.pem`, certs.server.keyPath);
      await door.door.reload(cert, key);
    },
    { message: `Cannot read TLS certificate '${certs.dir}/missing.pem': no such file` },
  );
  assert.ok(!door.lines.some((line) => line.includes("reloaded")));
  // Still listening, with the certificate for localhost.
  const client = door.track(await connectTls(door.port, certs.ca));
  await within(client.handshake(), "the handshake after failed reloads", 5000);
  const [conn] = await door.next();
  await writeText(client, "ok");
  assert.equal(await readText(conn, 2), "ok");
});

Deno.test("TlsDoor: plain TCP sent to the TLS port fails the first read, as describeTlsError says", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const raw = door.track(await Deno.connect({ hostname: "127.0.0.1", port: door.port }));
  await writeText(raw, "\u0000\u0000\u0000\u0003bob"); // a wirechat login, in clear
  const [conn] = await door.next();
  const error = await within(
    conn.read(new Uint8Array(64)).then(() => undefined, (error) => error),
    "the read to fail",
    5000,
  );
  assert.ok(error instanceof Deno.errors.InvalidData, `InvalidData expected, got ${error}`);
  assert.equal(error.message, "received corrupt message of type InvalidContentType");
  assert.equal(
    describeTlsError(error),
    "TLS handshake failed: the client does not speak TLS " +
      "(received corrupt message of type InvalidContentType)",
  );
  conn.close();

  // The door goes on accepting.
  const client = door.track(await connectTls(door.port, certs.ca));
  await within(client.handshake(), "the next client's handshake", 5000);
  await door.next();
});

Deno.test("TlsDoor: a client that does not trust the certificate fails the server's read with UnknownCA", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  // No caCerts: Deno's default roots do not know the test CA.
  const client = door.track(await Deno.connectTls({ hostname: "localhost", port: door.port }));
  const handshake = client.handshake().then(() => undefined, (error) => error);
  const [conn] = await door.next();
  const error = await within(
    conn.read(new Uint8Array(64)).then(() => undefined, (error) => error),
    "the read to fail",
    5000,
  );
  const clientError = await within(handshake, "the client's handshake to fail", 5000);
  assert.ok(clientError instanceof Deno.errors.InvalidData);
  assert.equal(clientError.message, "invalid peer certificate: UnknownIssuer");
  assert.ok(error instanceof Deno.errors.InvalidData, `InvalidData expected, got ${error}`);
  assert.equal(error.message, "received fatal alert: UnknownCA");
  assert.equal(
    describeTlsError(error),
    "TLS handshake failed: the client refused the server's certificate (UnknownCA)",
  );
});

Deno.test("TlsDoor: a client that hangs up before the handshake fails the read with UnexpectedEof", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const raw = await Deno.connect({ hostname: "127.0.0.1", port: door.port });
  raw.close();
  const [conn] = await door.next();
  const error = await within(
    conn.read(new Uint8Array(64)).then(() => undefined, (error) => error),
    "the read to fail",
    5000,
  );
  assert.ok(error instanceof Deno.errors.UnexpectedEof, `UnexpectedEof expected, got ${error}`);
  assert.match(describeTlsError(error) ?? "", /^TLS handshake failed: the client closed/);
  assert.equal(describeTlsError(new Deno.errors.ConnectionReset("reset")), undefined);
  assert.equal(describeTlsError(new Error("other")), undefined);
});

Deno.test("TlsDoor: a handshake that never starts leaves the read pending, and other clients are served", async () => {
  const certs = await testCerts();
  await using door = new DoorUnderTest(certs.server);
  const silent = door.track(await Deno.connect({ hostname: "127.0.0.1", port: door.port }));
  const [silentConn] = await door.next(); // handed over at once: the door does not wait
  let settled = false;
  const read = silentConn.read(new Uint8Array(64)).then(
    () => settled = true,
    () => settled = true,
  );
  // Meanwhile another client is served.
  const client = door.track(await connectTls(door.port, certs.ca));
  await within(client.handshake(), "the other client's handshake", 5000);
  const [conn] = await door.next();
  await writeText(client, "hi");
  assert.equal(await readText(conn, 2), "hi");
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(settled, false, "the silent client's read should still be pending");
  // What the session's login deadline does: close it.
  silentConn.close();
  await within(read, "the pending read to end once closed", 5000);
  silent.close();
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
