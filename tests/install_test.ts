import assert from "node:assert/strict";
import { assertConversation, assertHelpAndVersion } from "./support/conversation.ts";
import { projectFile } from "./support/process.ts";

// The commands of README.md, "deno install -g from a clone", into a folder of the test's own.
const INSTALL_SERVER = [
  "install",
  "-g",
  "-N",
  "--v8-flags=--max-semi-space-size=1",
  "-c",
  "deno.json",
  "-n",
  "wirechat-server",
  "./server.ts",
];
const INSTALL_CLIENT = [
  "install",
  "-g",
  "-N",
  "-c",
  "deno.json",
  "-n",
  "wirechat-client",
  "./client.ts",
];

/** Runs `deno install` from the project's root, into `root`. */
async function install(args: string[], root: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...args, "--root", root],
    cwd: projectFile(""),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const said = new TextDecoder().decode(stderr);
  assert.equal(code, 0, said);
  assert.doesNotMatch(said, /warning/i);
}

Deno.test({
  name:
    "deno install -g from a clone: the installed commands talk, with help, version and exit codes",
  ignore: Deno.build.os === "windows", // the installed scripts there are .cmd files
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "wirechat_install_" });
    try {
      await install(INSTALL_SERVER, root);
      await install(INSTALL_CLIENT, root);
      const server = `${root}/bin/wirechat-server`;
      const client = `${root}/bin/wirechat-client`;
      const script = await Deno.readTextFile(server);
      assert.match(script, /deno run --allow-net --v8-flags=--max-semi-space-size=1 /);
      await assertHelpAndVersion([server], [client]);
      await assertConversation([server], [client]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
