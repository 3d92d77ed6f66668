import assert from "node:assert/strict";
import { main } from "../../check/cli.ts";
import { serve } from "../../server.ts";
import { projectFile } from "../support/process.ts";
import { type Faults, startReferenceServer } from "./support/reference_server.ts";

/** Runs `wirechat-check` in-process, its output captured. */
async function check(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (text) => out += text, err: (text) => err += text });
  return { code, out, err };
}

async function withReference<T>(faults: Faults, fn: (address: string) => Promise<T>): Promise<T> {
  await using server = startReferenceServer(faults);
  return await fn(`127.0.0.1:${server.port}`);
}

Deno.test("wirechat-check --help and --version exit 0", async () => {
  const help = await check(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /wirechat-check server HOST:PORT/);
  assert.match(help.out, /wirechat-check client \[options\] -- COMMAND/);
  const version = await check(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.out, /^wirechat-check \d+\.\d+\.\d+\n$/);
});

Deno.test("wirechat-check exits 2 for wrong arguments, with the problem in one line", async () => {
  for (
    const [args, problem] of [
      [[], /say what to check/],
      [["serve", "127.0.0.1:9000"], /unknown mode "serve"/],
      [["server"], /server needs one HOST:PORT/],
      [["server", "localhost"], /expected HOST:PORT, got "localhost"/],
      [["server", "127.0.0.1:99999"], /invalid value for --port/],
      [["server", "127.0.0.1:9000", "--bogus"], /unknown option --bogus/],
      [["server", "127.0.0.1:9000", "--only", "9.9/9"], /no case numbered 9\.9\/9/],
      [["server", "127.0.0.1:9000", "--timeout", "soon"], /invalid value for --timeout/],
      [["server", "127.0.0.1:9000", "--quick"], /--quick is for bench/],
      [["client"], /client needs -- COMMAND/],
      [["client", "--tz", "Mars/Olympus", "--", "x"], /not a time zone/],
      [["bench", "127.0.0.1:9000", "--scenario", "marathon"], /invalid value for --scenario/],
      [["bench", "127.0.0.1:9000", "--strict"], /--strict is not for bench/],
    ] as const
  ) {
    const { code, err } = await check([...args]);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, problem, args.join(" "));
    assert.match(err, /Run wirechat-check --help/);
  }
});

Deno.test("wirechat-check exits 2 when the server cannot be reached or the client cannot run", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const server = await check(["server", `127.0.0.1:${port}`]);
  assert.equal(server.code, 2);
  assert.match(server.err, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}`));
  const bench = await check(["bench", `127.0.0.1:${port}`]);
  assert.equal(bench.code, 2);
  const client = await check(["client", "--", "/no/such/chat-client", "{host}"]);
  assert.equal(client.code, 2);
  assert.match(client.err, /cannot run \/no\/such\/chat-client: no such file/);
});

Deno.test("wirechat-check --list lists the cases with their numbers, without a server", async () => {
  const server = await check(["server", "--list"]);
  assert.equal(server.code, 0);
  assert.match(server.out, /^1\/1 +The timestamp/m);
  assert.match(server.out, /^5\.2\/1 +.* \[extension\]$/m);
  assert.ok(server.out.trim().split("\n").length >= 40);
  const client = await check(["client", "--list", "--only", "4/1,4/14"]);
  assert.equal(client.out.trim().split("\n").length, 2);
});

Deno.test("a failed case prints its rule, Expected and Actual, and the run exits 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wirechat_check_" });
  try {
    const { code, out } = await withReference({ noEcho: true }, (address) =>
      check([
        "server",
        address,
        "--only",
        "2.3/1,1/6",
        "--timeout",
        "0.5",
        "--json",
        `${dir}/r.json`,
        "--junit",
        `${dir}/r.xml`,
      ]));
    assert.equal(code, 1);
    assert.match(out, /✘ 2\.3\/1 The sender receives its own message\n/);
    assert.match(out, /\n {6}> For every message it accepts, the server sends to every logged-in/);
    assert.match(out, /\n {6}Expected: .+\n {6}Actual: {3}.+\n/);
    assert.match(out, /\n0 passed, 2 failed, 0 skipped\n$/);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
    assert.equal(json.failed, 2);
    assert.equal(json.cases[0].id, "1/6");
    assert.ok(json.cases[0].expected && json.cases[0].actual);
    const xml = await Deno.readTextFile(`${dir}/r.xml`);
    assert.match(
      xml,
      /<testsuites name="wirechat-check server 127\.0\.0\.1:\d+" tests="2" failures="2"/,
    );
    assert.match(xml, /<failure message="Expected: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wirechat-check exits 0 when every case run passes; extension cases run when named", async () => {
  await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
  const { code, out } = await check([
    "server",
    `127.0.0.1:${server.addr.port}`,
    "--only",
    "2.3/1,3.1/2,5.2/1",
  ]);
  assert.equal(code, 0, out);
  assert.match(out, /✔ 5\.2\/1 .* \[extension\]/);
  assert.match(out, /\n3 passed, 0 failed, 0 skipped\n$/);
});

Deno.test("wirechat-check client runs the client cases against a command with placeholders", async () => {
  const { code, out } = await check([
    "client",
    "--only",
    "2.2/1,4/1",
    "--",
    Deno.execPath(),
    "run",
    "--allow-net",
    projectFile("client.ts"),
    "--port={port}",
    "--host",
    "{host}",
    "{name}",
  ]);
  assert.equal(code, 0, out);
  assert.match(out, /\(TZ=Asia\/Kathmandu\)/);
  assert.match(out, /\n2 passed, 0 failed, 0 skipped\n$/);
});

Deno.test("wirechat-check bench measures a scenario: deliveries/s, latency, per client", async () => {
  await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
  const { code, out, err } = await check([
    "bench",
    `127.0.0.1:${server.addr.port}`,
    "--quick",
    "--scenario",
    "pingpong",
  ]);
  assert.equal(code, 0, err);
  assert.match(out, /^pingpong: 10 clients, 1 sender/m);
  assert.match(out, /^ {2}deliveries +[\d,]+ in [\d.]+ s: [\d,]+\/s/m);
  assert.match(out, /^ {2}latency +p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max/m);
  assert.match(out, /^ {2}per client +min [\d,]+\/s, avg [\d,]+\/s, max [\d,]+\/s/m);
  assert.match(out, /^ {2}clean +nothing lost/m);
  assert.match(err, /^bench: /m);
});

Deno.test("wirechat-check bench exits 1 when a server garbles what it relays", async () => {
  const { code, out } = await withReference(
    { receiverName: true },
    (address) => check(["bench", address, "--quick", "--scenario", "pingpong"]),
  );
  assert.equal(code, 1);
  assert.match(out, /NOT CLEAN/);
});
