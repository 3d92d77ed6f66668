import assert from "node:assert/strict";
import { connect, ConnectError } from "../../client.ts";
import { parseCommand, UsageError } from "../../client/command/cli_options.ts";
import { encodeChatMessage } from "../../mod.ts";
import { encodeString } from "../../protocol/encode.ts";
import { CLIENT, CLIENT_ENV, hasStackTrace } from "../support/client_process.ts";
import { within } from "../support/deadline.ts";
import { FakeServer } from "../support/fake_server.ts";
import { finish, type Finished } from "../support/process.ts";
import { concatBytes } from "../../io/write_all.ts";
import { next } from "../support/receive.ts";
import { testCerts } from "../support/tls_certs.ts";

/** Runs the CLI client in pipe mode with the given read permission. */
function runCli(args: string[], input: string, allowRead = true): Promise<Finished> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-net=127.0.0.1,localhost",
      ...(allowRead ? ["--allow-read"] : []),
      CLIENT,
      ...args,
    ],
    env: CLIENT_ENV,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return within(finish(child, input), "the client's exit");
}

Deno.test("connect({ tls: true, caCerts }) logs in over TLS and exchanges frames both ways", async () => {
  const certs = await testCerts();
  await using server = new FakeServer({ tls: serverPair(certs.server) });
  const accepted = server.accept();
  const client = await within(
    connect({
      hostname: "localhost",
      port: server.port,
      username: "bob",
      tls: true,
      caCerts: [certs.ca],
    }),
    "connect",
  );
  const peer = await accepted;
  const login = encodeString("bob");
  assert.deepEqual(await within(peer.receive(login.length), "the login"), login);
  await client.send("hello");
  const hello = encodeString("hello");
  assert.deepEqual(
    await within(peer.receive(login.length + hello.length), "the message"),
    concatBytes([login, hello]),
  );
  await peer.send(encodeChatMessage({ timestamp: 60, username: "alice", text: "hi bob" }));
  assert.deepEqual(await within(next(client), "alice's message"), {
    timestamp: 60,
    username: "alice",
    text: "hi bob",
  });
  await client.close();
  assert.deepEqual(await client.closed, { kind: "local" });
});

function serverPair(pair: { cert: string; key: string }) {
  return { cert: pair.cert, key: pair.key };
}

async function refusal(
  options: Parameters<typeof connect>[0],
  server: FakeServer,
  plainBytes?: Uint8Array,
): Promise<ConnectError> {
  const accepted = server.accept();
  // A plain server answers the client's hello with what it speaks.
  if (plainBytes !== undefined) void accepted.then((peer) => peer.send(plainBytes));
  const error = await within(
    connect(options).then(async (client) => {
      await client.close();
      return undefined;
    }, (error) => error),
    "connect to fail",
  );
  await accepted;
  assert.ok(error instanceof ConnectError, `ConnectError expected, got ${error}`);
  return error;
}

Deno.test("connect with TLS refuses a certificate for another name, or from an unknown CA, at connect", async () => {
  const certs = await testCerts();
  {
    await using server = new FakeServer({ tls: serverPair(certs.other) });
    const { port } = server;
    const error = await refusal(
      { hostname: "localhost", port, username: "bob", tls: true, caCerts: [certs.ca] },
      server,
    );
    assert.equal(
      error.message,
      `Cannot connect to localhost:${port}: the server's certificate is not valid for the ` +
        "name 'localhost' (it is for other.example)",
    );
    assert.ok(error.cause instanceof Deno.errors.InvalidData);
  }
  {
    await using server = new FakeServer({ tls: serverPair(certs.server) });
    const { port } = server;
    // Deno's default roots do not know the test CA.
    const error = await refusal(
      { hostname: "localhost", port, username: "bob", tls: true },
      server,
    );
    assert.equal(
      error.message,
      `Cannot connect to localhost:${port}: the server's certificate is not trusted (UnknownIssuer)`,
    );
  }
  {
    await using server = new FakeServer(); // plain TCP
    const { port } = server;
    const error = await refusal(
      { hostname: "127.0.0.1", port, username: "bob", caCerts: [certs.ca] },
      server,
      encodeChatMessage({ timestamp: 0, username: "alice", text: "hi" }),
    );
    assert.equal(
      error.message,
      `Cannot connect to 127.0.0.1:${port}: the server does not speak TLS (is this its plain port?)`,
    );
  }
});

Deno.test("connect: caCerts with tls: false is a TypeError, before connecting", async () => {
  const certs = await testCerts();
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port: 1, username: "bob", tls: false, caCerts: [certs.ca] }),
    TypeError,
  );
});

Deno.test("client --ca <file> in pipe mode chats over TLS with the server", async () => {
  const certs = await testCerts();
  await using server = new FakeServer({ tls: serverPair(certs.server) });
  const accepted = server.accept();
  const run = runCli(
    ["--ca", certs.caPath, "--port", String(server.port), "--host", "localhost", "bob"],
    "hello over tls\n",
  );
  const peer = await within(accepted, "the client's connection");
  await peer.send(encodeChatMessage({ timestamp: 0, username: "alice", text: "hi" }));
  const expected = concatBytes([encodeString("bob"), encodeString("hello over tls")]);
  assert.deepEqual(await peer.receive(expected.length), expected);
  await peer.send(encodeChatMessage({ timestamp: 0, username: "bob", text: "hello over tls" }));
  const { code, stdout, stderr } = await run;
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.equal(stdout, "<00:00> [alice] hi\n<00:00> [bob] hello over tls\n");
  assert.deepEqual(await peer.untilEnd(), expected);
});

Deno.test("client --ca refuses a certificate for another name: one line, exit 1", async () => {
  const certs = await testCerts();
  await using server = new FakeServer({ tls: serverPair(certs.other) });
  const accepted = server.accept();
  const { code, stdout, stderr } = await runCli(
    ["--ca", certs.caPath, "--port", String(server.port), "--host", "localhost", "bob"],
    "never sent\n",
  );
  const peer = await accepted;
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    `Cannot connect to localhost:${server.port}: the server's certificate is not valid for ` +
      "the name 'localhost' (it is for other.example)\n",
  );
  assert.ok(!hasStackTrace(stderr));
  assert.equal((await peer.untilEnd()).length, 0, "nothing sent over a refused certificate");
});

Deno.test("client --ca: a file it cannot read or use is one line, exit 1, before connecting", async () => {
  const certs = await testCerts();
  const port = "9"; // nothing is connected to: the CA file is read first
  const cases: [string[], boolean, string][] = [
    [
      ["--ca", certs.caPath],
      false,
      `Cannot read the CA file '${certs.caPath}': no read permission: add --allow-read ` +
      "(deno run --allow-net --allow-read client.ts, or deno task client:tls)",
    ],
    [
      ["--ca", `${certs.dir}/none.pem`],
      true,
      `Cannot read the CA file '${certs.dir}/none.pem': no such file`,
    ],
    [
      ["--ca", certs.server.keyPath],
      true,
      `Invalid CA file '${certs.server.keyPath}': it holds no PEM certificate`,
    ],
  ];
  for (const [args, allowRead, message] of cases) {
    const result = await runCli(
      [...args, "--port", port, "--host", "127.0.0.1", "bob"],
      "",
      allowRead,
    );
    assert.deepEqual(result, { code: 1, stdout: "", stderr: `${message}\n` }, args.join(" "));
  }
});

Deno.test("parseCommand: --tls and --ca connect with TLS, on port 9443 unless --port says", () => {
  const base = {
    hostname: "localhost",
    username: "bob",
    maxUsernameSize: 25,
    maxMessageSize: 3000,
    maxIncomingSize: 16 * 1024 * 1024,
    writeTimeout: 30_000,
    maxBacklog: 100_000,
    reconnect: true,
    wait: 10_000,
    linger: 0,
  };
  assert.deepEqual(parseCommand(["bob"]), { kind: "chat", options: { ...base, port: 9000 } });
  assert.deepEqual(parseCommand(["--tls", "bob"]), {
    kind: "chat",
    options: { ...base, port: 9443, tls: true },
  });
  assert.deepEqual(parseCommand(["--ca", "ca.pem", "bob"]), {
    kind: "chat",
    options: { ...base, port: 9443, tls: true, caFile: "ca.pem" },
  });
  assert.deepEqual(parseCommand(["--ca=ca.pem", "--tls", "--port", "9000", "bob"]), {
    kind: "chat",
    options: { ...base, port: 9000, tls: true, caFile: "ca.pem" },
  });
  const misuse: [string[], string][] = [
    [["--ca", "", "bob"], "invalid value for --ca: it is empty"],
    [["--tls=yes", "bob"], "option --tls takes no value"],
    [["bob", "--ca"], "option --ca needs a value"],
  ];
  for (const [args, message] of misuse) {
    assert.throws(() => parseCommand(args), (error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, message);
      return true;
    });
  }
});

Deno.test("client on a port that speaks TLS: the server's one frame says so, the client says to try --tls", async () => {
  await using server = new FakeServer();
  const accepted = server.accept();
  const run = runCli(["--port", String(server.port), "--host", "127.0.0.1", "bob"], "hi\n");
  const peer = await within(accepted, "the client's connection");
  // What a TLS door answers a first record that is not TLS: one frame of the
  // seed's format from *, then the close.
  await peer.send(
    encodeChatMessage({ timestamp: 0, username: "*", text: "this port speaks TLS: use --tls" }),
  );
  await peer.close();
  const { code, stdout, stderr } = await run;
  assert.equal(code, 1);
  assert.equal(stdout, "<00:00> [*] this port speaks TLS: use --tls\n");
  assert.match(stderr, /^Connection closed: the server speaks TLS here: try --tls\n/);
});

Deno.test("client --tls on a plain port: a byte that is not TLS, and the client says the server does not speak TLS", async () => {
  const certs = await testCerts();
  await using server = new FakeServer();
  const accepted = server.accept();
  const run = runCli(
    ["--ca", certs.caPath, "--port", String(server.port), "--host", "localhost", "bob"],
    "never sent\n",
  );
  const peer = await within(accepted, "the client's connection");
  // What a plain door answers a TLS ClientHello (16 03 ...): a byte that is not
  // TLS, then the close.
  const hello = await peer.receive(2);
  assert.deepEqual([...hello.subarray(0, 2)], [0x16, 0x03]);
  await peer.send(new Uint8Array([0]));
  await peer.close();
  const { code, stdout, stderr } = await run;
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    `Cannot connect to localhost:${server.port}: the server does not speak TLS (is this its plain port?)\n`,
  );
});
