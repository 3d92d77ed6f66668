import assert from "node:assert/strict";
import { PROGRAMS } from "../scripts/compile.ts";
import { assertConversation, assertHelpAndVersion } from "./support/conversation.ts";
import { projectFile } from "./support/process.ts";
import { assertCheckCommand } from "./check/support/check_command.ts";

const SERVER = projectFile("server.ts");
const CLIENT = projectFile("client.ts");
const CHECK = projectFile("check.ts");
const unix = Deno.build.os !== "windows";

/** The `deno run` flags of a file's shebang line. */
async function shebangFlags(path: string): Promise<string[]> {
  const [first] = (await Deno.readTextFile(path)).split("\n", 1);
  const match = /^#!\/usr\/bin\/env -S deno run (.*)$/.exec(first ?? "");
  assert.ok(match, `${path} starts with no deno run shebang: ${first}`);
  return match[1]!.split(" ");
}

Deno.test({
  name: "server.ts, client.ts and check.ts are executable",
  ignore: !unix,
  async fn() {
    for (const path of [SERVER, CLIENT, CHECK]) {
      assert.equal((await Deno.stat(path)).mode! & 0o111, 0o111, `${path} is not executable`);
    }
  },
});

Deno.test({
  name: "./server.ts and ./client.ts run through their shebangs: help, version, exit codes",
  ignore: !unix,
  async fn() {
    await assertHelpAndVersion([SERVER], [CLIENT]);
  },
});

Deno.test({
  name: "./server.ts and two ./client.ts talk: their shebangs grant the network",
  ignore: !unix,
  async fn() {
    await assertConversation([SERVER], [CLIENT]);
  },
});

Deno.test("shebangs, deno task and deno compile run each program with the same flags", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(projectFile("deno.json")));
  const taskFlags = (task: string, entry: string) => {
    const match = new RegExp(`^deno run (.*) ${entry}$`).exec(tasks[task].command);
    assert.ok(match, `deno task ${task} does not run ${entry}: ${tasks[task].command}`);
    return match[1]!.split(" ");
  };
  const [server, client, kit] = PROGRAMS;
  assert.deepEqual(await shebangFlags(SERVER), server!.flags);
  assert.deepEqual(taskFlags("start", "server.ts"), server!.flags);
  assert.deepEqual(await shebangFlags(CLIENT), client!.flags);
  assert.deepEqual(taskFlags("client", "client.ts"), client!.flags);
  assert.deepEqual(await shebangFlags(CHECK), kit!.flags);
  assert.deepEqual(taskFlags("check", "check.ts"), kit!.flags);
});

Deno.test({
  name: "./check.ts runs through its shebang and checks ./server.ts",
  ignore: !unix,
  async fn() {
    await assertCheckCommand([CHECK], [SERVER]);
  },
});
