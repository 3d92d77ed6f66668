import assert from "node:assert/strict";
import { ChatPeer } from "../support/chat_peer.ts";
import { projectFile, runDeno, ServerProcess } from "../support/process.ts";
import { parseServerArgs } from "../../server/cli.ts";
import { serve } from "../../server.ts";
import { UsageError } from "../../cli/flags.ts";

const SERVER = projectFile("server.ts");

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  assert.match(lines[0]!, pattern);
  assert.match(lines[0]!, /^wirechat-server: /);
  assert.ok(!/^\s+at /m.test(stderr), `a stack trace was printed:\n${stderr}`);
  assert.ok(!stderr.includes("Uncaught"), stderr);
}

Deno.test("server --help prints usage and every option, and exits 0", async () => {
  const { code, stdout } = await runDeno(["run", SERVER, "--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "--host",
      "--port",
      "--max-username-size",
      "--max-message-size",
      "--max-clients",
      "--max-queue-bytes",
      "--login-timeout",
      "--log-level",
      "--version",
      "--web-host",
    ]
  ) assert.ok(stdout.includes(flag), flag);
  assert.ok(stdout.includes("USAGE:\n  wirechat-server [options]\n"), stdout);
  assert.ok(stdout.includes("  deno install -g -N --v8-flags=--max-semi-space-size=1 "), stdout);
});

Deno.test("server --version prints the version from deno.json", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(projectFile("deno.json")));
  const { code, stdout } = await runDeno(["run", SERVER, "-V"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), `wirechat-server ${version}`);
});

Deno.test("server rejects bad flags with one line that says to try --help, exit 1", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown option --bogus/],
    [["--port", "abc"], /invalid value for --port: "abc" \(expected an integer from 0 to 65535\)/],
    [["--port", "70000"], /invalid value for --port/],
    [["--max-message-size=-1"], /invalid value for --max-message-size: "-1"/],
    [["--max-message-size", "-1"], /invalid value for --max-message-size: "-1"/],
    [["--port", "--host", "x"], /option --port needs a value \(write --port=--host/],
    [["--", "extra"], /unexpected argument extra/],
    [["--max-username-size", "0"], /invalid value for --max-username-size/],
    // Nobody could say anything.
    [
      ["--max-message-size", "0"],
      /invalid value for --max-message-size: "0" \(expected an integer from 1 /,
    ],
    [["--web", "host:"], /invalid value for --web: "host:" \(expected a port or host:port/],
    [["--metrics", "a:b"], /invalid value for --metrics: "a:b" \(expected a port or host:port/],
    [["--login-timeout", "0"], /invalid value for --login-timeout/],
    [["--log-level", "loud"], /invalid value for --log-level: "loud"/],
    [["--port"], /option --port needs a value/],
    [["extra"], /unexpected argument extra/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await runDeno(["run", "--allow-net", SERVER, ...args]);
    assert.equal(code, 1, args.join(" "));
    assertOneLineError(stderr, pattern);
    assert.match(stderr, /; try: wirechat-server --help\n$/);
    assert.equal(stderr.split("\n").length, 2, `one line: ${stderr}`);
  }
});

Deno.test("server reports a port in use in one line, exit 1", async () => {
  await using running = await ServerProcess.start();
  const { code, stderr } = await runDeno([
    "run",
    "--allow-net",
    SERVER,
    "--host",
    "127.0.0.1",
    "--port",
    String(running.port),
  ]);
  assert.equal(code, 1);
  assertOneLineError(
    stderr,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${running.port}: the address is already in use`),
  );
});

Deno.test("server without network permission says so in one line, exit 1", async () => {
  const { code, stderr } = await runDeno(["run", "--no-prompt", SERVER, "--port", "0"]);
  assert.equal(code, 1);
  assertOneLineError(stderr, /no network permission \(run with --allow-net\)/);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`server relays messages and exits 0 on ${signal}, closing connections`, async () => {
    await using server = await ServerProcess.start();
    const alice = await ChatPeer.login(server.port, "alice");
    await server.stderr.waitFor(/logged in as "alice"/);
    await alice.sendString("through the CLI");
    assert.equal((await alice.waitForMessages(1))[0]!.text, "through the CLI");
    const stopped = Date.now();
    const status = await server.stop(signal);
    assert.ok(Date.now() - stopped < 1000, `took ${Date.now() - stopped} ms`);
    assert.equal(status.code, 0);
    assert.equal(await alice.waitForEnd(), "closed");
    await server.stderr.waitFor(new RegExp(`received ${signal}, shutting down`));
    // One connection, one message: singular nouns.
    await server.stderr.waitFor(/shut down: closed 1 connection; 1 served, 1 message relayed, /);
    await alice.close();
  });
}

Deno.test("server keeps running when it runs out of file descriptors", async () => {
  // A low descriptor limit makes accept fail with "Too many open files".
  await using server = await ServerProcess.start([], {
    shell: "ulimit -n 48",
  });
  const peers: ChatPeer[] = [];
  for (let i = 0; i < 60; i++) peers.push(await ChatPeer.connect(server.port));
  await server.stderr.waitFor(/error accept failed: .*retrying in \d+ ms/);
  for (const peer of peers) await peer.close();
  // With descriptors free again, the server accepts and relays as before.
  const alice = await ChatPeer.login(server.port, "alice");
  await alice.sendString("back in business");
  assert.equal((await alice.waitForMessages(1, 10_000))[0]!.text, "back in business");
  await alice.close();
  assert.equal((await server.stop()).code, 0);
});

Deno.test("server keeps serving after its standard error is closed", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", SERVER, "--host", "127.0.0.1", "--port", "0"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Read up to the line with the port, then close the pipe, as `| head -1` would.
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/listening on 127\.0\.0\.1:\d+/.test(seen)) seen += (await reader.read()).value ?? "";
  await reader.cancel();
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(seen)![1]);
  const alice = await ChatPeer.login(port, "alice");
  await alice.sendString("nobody reads the log");
  assert.equal((await alice.waitForMessages(1))[0]!.text, "nobody reads the log");
  await alice.close();
  child.kill("SIGTERM");
  assert.equal((await child.status).code, 0);
});

Deno.test("parseServerArgs skips the leading -- that deno task start -- passes through", () => {
  assert.deepEqual(parseServerArgs(["--", "--port", "9001"]), { port: 9001 });
  assert.deepEqual(parseServerArgs(["--port", "9001"]), { port: 9001 });
  assert.throws(() => parseServerArgs(["--port", "1", "--", "--host"]), (error) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.message, "unexpected argument --host");
    return true;
  });
});

Deno.test("deno task start and deno task client take flags with or without -- before them", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(projectFile("deno.json")));
  const config = projectFile("deno.json");
  for (const [task, name] of [["start", "wirechat-server"], ["client", "wirechat-client"]]) {
    for (const args of [["--", "--version"], ["--version"]]) {
      const { code, stdout } = await runDeno(["task", "-q", "--config", config, task!, ...args]);
      assert.equal(code, 0, `deno task ${task} ${args.join(" ")}`);
      assert.equal(stdout, `${name} ${version}\n`);
    }
  }
});

Deno.test("server logs SIGINT once when a second one comes while it shuts down", async () => {
  await using server = await ServerProcess.start();
  // bob never reads: the shutdown waits (up to its grace) for his queue to drain,
  // long enough for an impatient second Ctrl-C.
  const bob = await ChatPeer.login(server.port, "bob");
  const alice = await ChatPeer.login(server.port, "alice");
  await server.stderr.waitFor(/logged in as "alice"/);
  for (let i = 0; i < 200; i++) await alice.sendString("x".repeat(2900));
  server.child.kill("SIGINT");
  await server.stderr.waitFor(/received SIGINT/);
  server.child.kill("SIGINT");
  assert.equal((await server.status()).code, 0);
  assert.equal(server.stderr.matching(/received SIGINT/).length, 1, server.stderr.lines.join("\n"));
  await alice.close();
  await bob.close();
});

Deno.test("parseServerArgs: a bare port for --web binds --host, for --metrics 127.0.0.1", () => {
  assert.deepEqual(parseServerArgs(["--web", "8080"]), {
    web: { hostname: "0.0.0.0", port: 8080 },
  });
  assert.deepEqual(parseServerArgs(["--host", "127.0.0.2", "--web", "8080"]), {
    hostname: "127.0.0.2",
    web: { hostname: "127.0.0.2", port: 8080 },
  });
  assert.deepEqual(parseServerArgs(["--web", "[::1]:8080"]), {
    web: { hostname: "::1", port: 8080 },
  });
  // An operator's endpoint is not public unless an address says so.
  assert.deepEqual(parseServerArgs(["--metrics", "9100"]), {
    metrics: { hostname: "127.0.0.1", port: 9100 },
  });
  assert.deepEqual(parseServerArgs(["--metrics", "0.0.0.0:9100"]), {
    metrics: { hostname: "0.0.0.0", port: 9100 },
  });
  assert.throws(() => parseServerArgs(["--max-username-size", "0"]), UsageError);
  assert.throws(() => parseServerArgs(["--max-message-size", "0"]), UsageError);
});

Deno.test("server --pid-file writes the process's ID once listening and removes it at exit", async () => {
  const dir = await Deno.makeTempDir();
  const pidFile = `${dir}/wirechat.pid`;
  try {
    await using server = await ServerProcess.start(["--pid-file", pidFile], {
      denoArgs: ["--allow-net", `--allow-write=${dir}`, `--allow-read=${dir}`],
    });
    // The file is written once the server is ready, just after its "listening" line.
    for (let tries = 0; tries < 200; tries++) {
      if (await Deno.stat(pidFile).then(() => true, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await Deno.readTextFile(pidFile)).trim(), String(server.child.pid));
    assert.equal((await server.stop("SIGTERM")).code, 0);
    await assert.rejects(Deno.stat(pidFile), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server --pid-file without write permission says so in one line, exit 1", async () => {
  const { code, stderr } = await runDeno([
    "run",
    "--allow-net",
    "--no-prompt",
    SERVER,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--pid-file",
    "/tmp/wirechat-test-never-written.pid",
  ]);
  assert.equal(code, 1);
  const last = stderr.trimEnd().split("\n").at(-1)!;
  assert.equal(
    last,
    "wirechat-server: cannot write the PID file '/tmp/wirechat-test-never-written.pid': " +
      "no write permission: add --allow-write=/tmp/wirechat-test-never-written.pid",
  );
});

Deno.test("serve refuses a message size of 0, as the flag does: nobody could say anything", () => {
  assert.throws(
    () => serve({ maxMessageSize: 0, log() {} }),
    {
      name: "RangeError",
      message: "Invalid maxMessageSize: 0 is not an integer from 1 to 4294967295",
    },
  );
});
Deno.test("parseServerArgs takes --web-host NAME, repeatable, and refuses a name that is not one", () => {
  assert.deepEqual(
    parseServerArgs([
      "--web",
      "127.0.0.1:8080",
      "--web-host",
      "chat.example.com",
      "--web-host",
      "a-b.example",
    ]),
    { web: { hostname: "127.0.0.1", port: 8080, hosts: ["chat.example.com", "a-b.example"] } },
  );
  assert.throws(
    () => parseServerArgs(["--web", "127.0.0.1:8080", "--web-host", "evil.example:80"]),
    (error) => error instanceof UsageError && /invalid value for --web-host/.test(error.message),
  );
  assert.throws(
    () => parseServerArgs(["--web-host", "chat.example.com"]),
    (error) => error instanceof UsageError && /--web-host needs --web/.test(error.message),
  );
});

Deno.test("the default server does not load npm:ws: only the web door imports it, lazily", async () => {
  const { code, stdout } = await runDeno(["info", "--json", SERVER]);
  assert.equal(code, 0);
  const graph = JSON.parse(stdout) as {
    modules: { specifier: string; dependencies?: { specifier: string; isDynamic?: boolean }[] }[];
  };
  const importers = graph.modules.flatMap((module) =>
    (module.dependencies ?? [])
      .filter((dependency) =>
        dependency.specifier === "ws" || dependency.specifier.startsWith("npm:ws")
      )
      .map((dependency) => ({ from: module.specifier, dynamic: dependency.isDynamic === true }))
  );
  assert.equal(importers.length, 1, JSON.stringify(importers));
  assert.match(importers[0]!.from, /server\/doors\/web_door\.ts$/);
  assert.equal(importers[0]!.dynamic, true);
});
