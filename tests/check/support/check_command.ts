/**
 * The end-to-end check that every way of getting `wirechat-check` must pass
 * (`./check.ts`, an installed script, a compiled binary): help, version, a
 * misuse, and a few cases against a running wirechat server.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Command, programEnv, runProgram } from "../../support/conversation.ts";
import { ServerProcess } from "../../support/process.ts";

/**
 * Checks that `wirechat-check` answers `--help` and `--version` with exit
 * status 0, a misuse with 2, and that its server cases pass against a server
 * started with `server` (exit status 0).
 *
 * @param check How to run the kit.
 * @param server How to run the server.
 */
export async function assertCheckCommand(check: Command, server: Command): Promise<void> {
  const { version } = JSON.parse(
    await Deno.readTextFile(new URL("../../../deno.json", import.meta.url)),
  );
  const help = await runProgram(check, ["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /wirechat-check server HOST:PORT/);
  const shown = await runProgram(check, ["--version"]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout, `wirechat-check ${version}\n`);
  const misuse = await runProgram(check, ["--bogus"]);
  assert.equal(misuse.code, 2);
  assert.match(misuse.stderr, /unknown option --bogus/);
  await using running = await ServerProcess.launch(server, [], { env: programEnv() });
  const run = await runProgram(check, [
    "server",
    `127.0.0.1:${running.port}`,
    "--only",
    "2.3/1,3.1/2",
  ]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /\n2 passed, 0 failed, 0 skipped\n$/);
}
