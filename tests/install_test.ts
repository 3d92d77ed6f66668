import assert from "node:assert/strict";
import { assertConversation, assertHelpAndVersion } from "./support/conversation.ts";
import { projectFile } from "./support/process.ts";
import { assertCheckCommand } from "./check/support/check_command.ts";

/** The `deno install` command of docs/install.md that installs `entry` from a clone, as arguments. */
async function readmeInstall(entry: string): Promise<string[]> {
  const readme = await Deno.readTextFile(projectFile("docs/install.md"));
  const line = readme.split("\n").find((line) =>
    line.startsWith("deno install -g ") && line.endsWith(` ./${entry}`)
  );
  assert.ok(line, `docs/install.md has no "deno install -g ... ./${entry}" line`);
  return line.split(" ").slice(1);
}

/** Runs `deno install` from the project's root, into `root`. */
async function install(args: string[], root: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [args[0]!, "--root", root, ...args.slice(1)],
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
      await install(await readmeInstall("server.ts"), root);
      await install(await readmeInstall("client.ts"), root);
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

Deno.test({
  name: "deno install -g from a clone: the installed wirechat-check checks the installed server",
  ignore: Deno.build.os === "windows",
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "wirechat_install_" });
    try {
      await install(await readmeInstall("server.ts"), root);
      await install(await readmeInstall("check.ts"), root);
      const script = await Deno.readTextFile(`${root}/bin/wirechat-check`);
      for (const flag of ["--allow-net", "--allow-run", "--allow-write"]) {
        assert.ok(script.includes(flag));
      }
      await assertCheckCommand([`${root}/bin/wirechat-check`], [`${root}/bin/wirechat-server`]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
