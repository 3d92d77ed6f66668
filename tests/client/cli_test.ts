import assert from "node:assert/strict";
import { type ChatClient, type ChatMessage, sanitize } from "../../client.ts";
import { serve } from "../../server.ts";
import { encodeChatMessage } from "../../mod.ts";
import { EXIT_NOT_SENT, USAGE_HINT, VERSION } from "../../client/command/cli_options.ts";
import { FakeServer } from "../support/fake_server.ts";
import { hasStackTrace, LineReader, runClient, spawnClient } from "../support/client_process.ts";
import { within } from "../support/deadline.ts";
import { next, observer } from "../support/receive.ts";

const ZONE = "Asia/Kathmandu"; // UTC+05:45: local time that no rounding of UTC gives

function localTime(timestamp: number, timeZone = ZONE): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(timestamp * 1000));
}

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

function startServer(options: { maxMessageSize?: number } = {}) {
  return serve({ hostname: "127.0.0.1", port: 0, logLevel: "error", ...options });
}

async function take(client: ChatClient, count: number): Promise<ChatMessage[]> {
  const taken: ChatMessage[] = [];
  while (taken.length < count) taken.push(await within(next(client), `message ${taken.length}`));
  return taken;
}

function assertNoStackTrace(stderr: string): void {
  assert.ok(!hasStackTrace(stderr), `no stack trace expected:\n${stderr}`);
}

Deno.test("client --help prints the help and exits 0; --version the version", async () => {
  const help = await runClient(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^wirechat-client \d+\.\d+\.\d+: /);
  assert.match(help.stdout, /--max-incoming-size <bytes>/);
  assert.equal(help.stderr, "");
  const version = await runClient(["--version"]);
  assert.deepEqual(version, { code: 0, stdout: `wirechat-client ${VERSION}\n`, stderr: "" });
});

Deno.test("client misuse: one line on standard error that says to try --help, exit 1, before connecting", async () => {
  const port = String(closedPort()); // connecting would say "Cannot connect"
  const cases: [string[], string][] = [
    [["--port", port], "missing user name"],
    [["--port", port, "--nick", "x", "bob"], "unknown option --nick"],
    [
      ["--port", "70000", "bob"],
      'invalid value for --port: "70000" (expected an integer from 1 to 65535)',
    ],
    [["--port", port, "bob", "alice"], "unexpected argument alice (give one user name)"],
    [
      ["--", "--port", port, "--wait", "x", "bob"],
      'invalid value for --wait: "x" (expected seconds from 0.1 to 86400)',
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runClient(args);
    assert.equal(result.code, 1, args.join(" "));
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, `wirechat-client: ${message}; ${USAGE_HINT}\n`);
  }
});

Deno.test("client with a user name no server takes: one line, no usage hint, exit 1, before connecting", async () => {
  const port = String(closedPort());
  const cases: [string[], string][] = [
    [
      ["--port", port, "b".repeat(26)],
      "invalid user name: its size 26 exceeds the limit of 25 bytes",
    ],
    [
      ["--port", port, "--max-username-size", "3", "bobby"],
      "invalid user name: its size 5 exceeds the limit of 3 bytes",
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runClient(args);
    assert.deepEqual(result, { code: 1, stdout: "", stderr: `wirechat-client: ${message}\n` });
  }
});

Deno.test("client reports a refused connection in one line, exit 1", async () => {
  const port = closedPort();
  const result = await runClient(["--host", "127.0.0.1", "--port", String(port), "bob"]);
  assert.deepEqual(result, {
    code: 1,
    stdout: "",
    stderr: `Cannot connect to 127.0.0.1:${port}: connection refused\n`,
  });
});

Deno.test("client reports a host that does not exist in one line, exit 1", async () => {
  // `.invalid` never resolves (RFC 6761).
  const result = await runClient(["--host", "no-such-host.invalid", "bob"], "", { allowNet: "" });
  assert.deepEqual(result, {
    code: 1,
    stdout: "",
    stderr: "Cannot connect to no-such-host.invalid:9000: host not found\n",
  });
});

Deno.test("client in a pipe sends every line, in order, Unicode intact, and prints them back", async () => {
  await using server = startServer();
  const { port } = server.addr;
  await using watcher = await observer(port);
  const lines = [
    "hello",
    "",
    "  leading and trailing spaces  ",
    "tab\there",
    "Ünïcödé: привет, 中文, עברית, 👋🏽 👨‍👩‍👧",
    "e\u0301 combining",
    ...Array.from({ length: 300 }, (_, i) => `line ${i}`),
    "the last line, with no line ending",
  ];
  // \r\n and \n mixed; the input is written at once and closed: nothing may be lost.
  const input = lines.map((line, i) =>
    i === lines.length - 1 ? line : line + (i % 2 ? "\r\n" : "\n")
  )
    .join("");
  const result = await runClient(["--host", "127.0.0.1", "--port", String(port), "alice"], input, {
    env: { TZ: ZONE },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");

  const received = await take(watcher, lines.length);
  assert.deepEqual(
    received.map(({ username, text }) => [username, text]),
    lines.map((line) => ["alice", line]),
  );
  // The client waited for its own echoes: every line is printed back, in local time.
  const expected = received.map(({ timestamp, text }) =>
    `<${localTime(timestamp)}> [alice] ${sanitize(text)}\n`
  );
  assert.equal(result.stdout, expected.join(""));
});

Deno.test("client in a pipe prints other users' messages as they arrive, unbuffered", async () => {
  await using server = startServer();
  const { port } = server.addr;
  await using watcher = await observer(port, "bob");
  const child = spawnClient(["--host", "127.0.0.1", "--port", String(port), "alice"]);
  const stdout = new LineReader(child.stdout);
  const stdin = child.stdin.getWriter();
  await stdin.write(new TextEncoder().encode("I am here\n"));
  // The first line out proves alice is logged in; the input stays open.
  assert.match((await within(stdout.next(), "alice's echo"))!, /^<\d\d:\d\d> \[alice\] I am here$/);
  await watcher.send("hi alice\nfake <00:00> [admin] line");
  assert.match(
    (await within(stdout.next(), "bob's message"))!,
    /^<\d\d:\d\d> \[bob\] hi alice␊fake <00:00> \[admin\] line$/,
  );
  await stdin.close();
  assert.equal(await stdout.rest(), "");
  assert.equal((await child.status).code, 0);
  assert.equal(await new Response(child.stderr).text(), "");
});

Deno.test("client in a pipe refuses a line over the limit by its number, keeps the connection, exits 3", async () => {
  await using server = startServer();
  const { port } = server.addr;
  await using watcher = await observer(port);
  const result = await runClient(
    ["--host", "127.0.0.1", "--port", String(port), "--max-message-size", "6", "alice"],
    "before\nжжжж\n1234567\nafter\n",
  );
  assert.equal(result.code, EXIT_NOT_SENT);
  assert.equal(
    result.stderr,
    "line 2: message of 8 bytes exceeds the limit of 6; not sent\n" +
      "line 3: message of 7 bytes exceeds the limit of 6; not sent\n",
  );
  assert.deepEqual((await take(watcher, 2)).map(({ text }) => text), ["before", "after"]);
  assert.match(result.stdout, /\[alice\] before\n.*\[alice\] after\n$/);
});

Deno.test("client says so in one line and exits 1 when the server closes the connection", async () => {
  const server = startServer();
  const child = spawnClient(["--host", "127.0.0.1", "--port", String(server.addr.port), "alice"]);
  const stdout = new LineReader(child.stdout);
  const stdin = child.stdin.getWriter();
  await stdin.write(new TextEncoder().encode("hello\n"));
  await within(stdout.next(), "the echo");
  await server.shutdown();
  const { code } = await within(child.status, "the client's exit");
  await stdin.close().catch(() => {});
  assert.equal(code, 1);
  assert.equal(await stdout.rest(), "");
  assert.equal(await new Response(child.stderr).text(), "Connection closed by the server\n");
});

Deno.test("client says so in one line and exits 1 when the server breaks the protocol", async () => {
  await using server = new FakeServer();
  const child = spawnClient([
    "--host",
    "127.0.0.1",
    "--port",
    String(server.port),
    "--max-incoming-size",
    "10",
    "alice",
  ]);
  const peer = await server.accept();
  await peer.send(encodeChatMessage({ timestamp: 0, username: "mallory", text: "x".repeat(11) }));
  const { code, stdout, stderr } = await within(child.output(), "the client's exit");
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 1);
  assert.equal(new TextDecoder().decode(stdout), "");
  assert.equal(
    text,
    "Connection closed: the server sent an invalid frame: text size 11 exceeds the limit of 10 bytes\n",
  );
  assertNoStackTrace(text);
  await child.stdin.close().catch(() => {});
});

Deno.test("client without network permission says which permission is missing and how to grant it", async () => {
  // --allow-net=127.0.0.1 only: connecting to localhost is not allowed.
  const result = await runClient(["--port", String(closedPort()), "bob"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^Cannot connect to localhost:\d+: no network permission: add --allow-net \(deno run --allow-net client\.ts <username>, or deno task client <username>\)\n$/,
  );
});

Deno.test("client in a pipe with --linger prints a bot's answer that comes after the echo", async () => {
  await using server = startServer();
  const { port } = server.addr;
  await using bot = await observer(port);
  const answering = (async () => {
    for await (const message of bot) {
      if (message.text !== "!time") continue;
      await new Promise((resolve) => setTimeout(resolve, 300)); // after alice's echo
      await bot.send("it is tea time");
      return;
    }
  })();
  // A leading "--", as `deno task client -- ...` passes it, means nothing.
  const result = await runClient(
    ["--", "--host", "127.0.0.1", "--port", String(port), "--linger", "1.5", "alice"],
    "!time\n",
  );
  await answering;
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  assert.match(result.stdout, /\[alice\] !time\n.*it is tea time\n$/);
});

Deno.test("client in a pipe under the default rate limit: 3,000 lines all arrive, or the exit status says so", async () => {
  // The default limit (100 messages a second past a burst of 1,000) paces this
  // sender for about 20 s; the client waits as long as echoes keep coming.
  await using server = startServer();
  const { port } = server.addr;
  await using watcher = await observer(port);
  const count = 3000;
  const input = Array.from({ length: count }, (_, i) => `${i + 1}\n`).join("");
  const result = await runClient(["--host", "127.0.0.1", "--port", String(port), "bob"], input);
  const arrived: string[] = [];
  if (result.code === 0) {
    for (const { text } of await take(watcher, count)) arrived.push(text);
    assert.deepEqual(arrived, Array.from({ length: count }, (_, i) => `${i + 1}`));
    assert.equal(result.stderr, "");
    assert.equal(result.stdout.split("\n").length - 1, count);
  } else {
    // Anything short of all of them is said, with a status that is not 0.
    assert.equal(result.code, EXIT_NOT_SENT);
    assert.match(result.stderr, /^\d[\d,]* of 3,000 lines not confirmed: /);
  }
});

Deno.test("client in a pipe whose login is refused says so, with the server's reason, exit 1", async () => {
  await using server = serve({
    hostname: "127.0.0.1",
    port: 0,
    logLevel: "error",
    uniqueNames: true,
  });
  const { port } = server.addr;
  await using _alice = await observer(port, "alice");
  const result = await runClient(["--host", "127.0.0.1", "--port", String(port), "ALICE"], "hi\n");
  assert.equal(result.code, 1);
  // "hi" may have gone out before the refusal arrived: then it is counted.
  assert.match(
    result.stderr,
    /^Login refused: the name "ALICE" is taken\n(1 line sent was not confirmed\n)?$/,
  );
});
