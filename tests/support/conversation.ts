/**
 * The end-to-end check that every way of getting wirechat must pass: the server
 * and two clients in pipe mode, each run as a command (`./server.ts`, an
 * installed script, a compiled binary), talking as a newcomer would try them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LineReader } from "./client_process.ts";
import { within } from "./deadline.ts";
import { finish, type Finished, ServerProcess } from "./process.ts";

/** A program and its leading arguments, e.g. `["./server.ts"]` or `["deno", "run", "x.ts"]`. */
export type Command = readonly [program: string, ...args: string[]];

/**
 * The environment of the spawned programs: the `deno` that runs the tests comes
 * first on `PATH` (for shebangs and installed scripts, which call `deno` by
 * name), no colours, and UTC.
 */
export function programEnv(): Record<string, string> {
  const deno = Deno.execPath();
  const bin = deno.slice(0, deno.lastIndexOf(Deno.build.os === "windows" ? "\\" : "/"));
  const separator = Deno.build.os === "windows" ? ";" : ":";
  return { PATH: `${bin}${separator}${Deno.env.get("PATH") ?? ""}`, NO_COLOR: "1", TZ: "UTC" };
}

function spawn(command: Command, args: readonly string[]): Deno.ChildProcess {
  const [program, ...leading] = command;
  return new Deno.Command(program, {
    args: [...leading, ...args],
    env: programEnv(),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs a command to its end with `stdin` as its standard input. */
export function runProgram(
  command: Command,
  args: readonly string[],
  stdin = "",
): Promise<Finished> {
  return finish(spawn(command, args), stdin);
}

/**
 * Checks that both programs answer `--help` and `--version` with exit status 0,
 * and a bad flag with exit status 1.
 *
 * @param server How to run the server.
 * @param client How to run the client.
 */
export async function assertHelpAndVersion(server: Command, client: Command): Promise<void> {
  const { version } = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  const serverHelp = await runProgram(server, ["--help"]);
  assert.equal(serverHelp.code, 0, serverHelp.stderr);
  assert.match(serverHelp.stdout, /^wirechat-server \S+: the wirechat chat server\./);
  assert.match(serverHelp.stdout, /--max-queue-bytes <bytes>/);
  const clientHelp = await runProgram(client, ["--help"]);
  assert.equal(clientHelp.code, 0, clientHelp.stderr);
  assert.match(clientHelp.stdout, /^wirechat-client \S+: chat over the wirechat protocol/);
  assert.match(clientHelp.stdout, /--max-incoming-size <bytes>/);

  assert.deepEqual(await runProgram(server, ["--version"]), {
    code: 0,
    stdout: `wirechat-server ${version}\n`,
    stderr: "",
  });
  assert.deepEqual(await runProgram(client, ["--version"]), {
    code: 0,
    stdout: `wirechat-client ${version}\n`,
    stderr: "",
  });

  const badServer = await runProgram(server, ["--bogus"]);
  assert.equal(badServer.code, 1);
  assert.match(
    badServer.stderr,
    /^wirechat-server: unknown option --bogus; try: wirechat-server --help\n$/,
  );
  const badClient = await runProgram(client, ["--bogus", "bob"]);
  assert.equal(badClient.code, 1);
  assert.match(
    badClient.stderr,
    /^wirechat-client: unknown option --bogus; try: wirechat-client --help\n$/,
  );
}

/**
 * Starts the server, has bob listen with one client while alice sends "hi bob"
 * with another, both in pipe mode, and checks what each prints and how each
 * exits; then stops the server with SIGINT, which must exit with status 0.
 *
 * @param server How to run the server.
 * @param client How to run the client.
 */
export async function assertConversation(server: Command, client: Command): Promise<void> {
  await using running = await ServerProcess.launch(server, [], { env: programEnv() });
  const at = ["--host", "127.0.0.1", "--port", String(running.port)];

  const bob = spawn(client, [...at, "bob"]);
  const bobLines = new LineReader(bob.stdout);
  const bobErrors = new Response(bob.stderr).text();
  let bobEnd: [string, string, Deno.CommandStatus];
  try {
    // Until the server has bob's login, or bob's client has given up.
    let exited = false;
    void bob.status.then(() => exited = true);
    const deadline = Date.now() + 15_000;
    while (running.stderr.matching(/logged in as "bob"/).length === 0) {
      if (exited) assert.fail(`bob's client exited before logging in: ${await bobErrors}`);
      if (Date.now() > deadline) assert.fail("bob did not log in within 15 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const alice = await runProgram(client, [...at, "alice"], "hi bob\n");
    assert.deepEqual({ code: alice.code, stderr: alice.stderr }, { code: 0, stderr: "" });
    assert.match(alice.stdout, /^<\d\d:\d\d> \[alice\] hi bob\n$/);
    const line = await within(bobLines.next(), "bob to receive alice's message", 15_000);
    assert.match(line ?? "", /^<\d\d:\d\d> \[alice\] hi bob$/);
  } finally {
    await bob.stdin.close(); // the end of bob's input: he leaves
    const timer = setTimeout(() => bob.kill("SIGKILL"), 15_000);
    bobEnd = await Promise.all([bobLines.rest(), bobErrors, bob.status]);
    clearTimeout(timer);
  }
  const [rest, errors, status] = bobEnd;
  assert.deepEqual({ code: status.code, stdout: rest, stderr: errors }, {
    code: 0,
    stdout: "",
    stderr: "",
  });

  assert.equal((await running.stop("SIGINT")).code, 0);
  assert.equal(
    running.stderr.matching(/shut down: closed 0 connections; 2 served, 1 message relayed/)
      .length,
    1,
    running.stderr.lines.join("\n"),
  );
}
