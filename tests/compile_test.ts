import assert from "node:assert/strict";
import {
  compile,
  compileArgs,
  describeCompileFailure,
  outputPath,
  PROGRAMS,
} from "../scripts/compile.ts";
import { assertConversation, assertHelpAndVersion } from "./support/conversation.ts";
import { projectFile, runDeno } from "./support/process.ts";
import { assertCheckCommand } from "./check/support/check_command.ts";

/**
 * Why `deno compile` cannot build for this machine here, or undefined when it
 * can. It builds on a runtime, `denort`: the file `DENORT_BIN` names, or the one
 * in Deno's cache; otherwise it downloads it, which a test must not count on.
 * A `DENORT_BIN` that names no runtime is not a reason to skip: the test fails.
 */
async function missingRuntime(): Promise<string | undefined> {
  if (Deno.env.get("DENORT_BIN")) return undefined;
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const { denoDir } = JSON.parse(new TextDecoder().decode(info.stdout));
  const archive = `denort-${Deno.build.target}.zip`;
  try {
    await Deno.stat(`${denoDir}/dl/release/v${Deno.version.deno}/${archive}`);
    return undefined;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return "deno compile cannot fetch its runtime here; set DENORT_BIN to a denort binary, " +
      `or run deno task compile once online to cache ${archive}`;
  }
}

const missing = await missingRuntime();
const [server, client, kit] = PROGRAMS;

Deno.test({
  name: "compiled wirechat-server, wirechat-client and wirechat-check behave like deno run: " +
    "help, version, exit codes, a server and two clients talking, the kit checking the server" +
    (missing === undefined ? "" : ` (ignored: ${missing})`),
  ignore: missing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "wirechat_compile_" });
    try {
      const serverBinary = await compile(server!, dir);
      const clientBinary = await compile(client!, dir);
      await assertHelpAndVersion([serverBinary], [clientBinary]);
      await assertConversation([serverBinary], [clientBinary]);
      await assertCheckCommand([await compile(kit!, dir)], [serverBinary]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("compiled binaries are named for their target, with .exe for Windows", () => {
  assert.equal(
    outputPath(server!, "dist", "aarch64-apple-darwin"),
    "dist/wirechat-server-aarch64-apple-darwin",
  );
  assert.equal(
    outputPath(client!, "out", "x86_64-pc-windows-msvc"),
    "out/wirechat-client-x86_64-pc-windows-msvc.exe",
  );
  const here = Deno.build.os === "windows" ? "dist/wirechat-server.exe" : "dist/wirechat-server";
  assert.equal(outputPath(server!, "dist"), here);
});

Deno.test("deno compile gets each program's flags, the target and the entry point", () => {
  assert.deepEqual(compileArgs(server!, "dist/s", "aarch64-unknown-linux-gnu"), [
    "compile",
    "--quiet",
    "--allow-net",
    "--v8-flags=--max-semi-space-size=1",
    "--target",
    "aarch64-unknown-linux-gnu",
    "--output",
    "dist/s",
    new URL("../server.ts", import.meta.url).href,
  ]);
  assert.deepEqual(compileArgs(client!, "dist/c"), [
    "compile",
    "--quiet",
    "--allow-net",
    "--output",
    "dist/c",
    new URL("../client.ts", import.meta.url).href,
  ]);
});

Deno.test("scripts/compile.ts refuses an unknown target in one line, exit 1", async () => {
  const args = ["run", "-R", "-W", "--allow-run", projectFile("scripts/compile.ts")];
  const { code, stdout, stderr } = await runDeno([...args, "--target", "sparc-sun-solaris"]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(stderr, /^compile: unknown target "sparc-sun-solaris" \(expected one of x86_64-/);
  assert.equal(stderr.trimEnd().split("\n").length, 1);
  const help = await runDeno([...args, "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--all +Build for every target/);
});

Deno.test("scripts/compile.ts without a runtime says so in one line, names DENORT_BIN, leaves no dist/", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wirechat_compile_" });
  try {
    const outDir = `${dir}/dist`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", projectFile("scripts/compile.ts"), "--out-dir", outDir],
      env: { DENORT_BIN: `${dir}/no-denort`, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 1);
    assert.equal(new TextDecoder().decode(stdout), "");
    assert.match(
      text,
      /^compile: cannot build wirechat-server for this machine: deno compile failed: Could not find denort at '[^']+'; offline, set DENORT_BIN to a denort binary for the target \(see --help\)\n$/,
    );
    await assert.rejects(Deno.stat(outDir), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("describeCompileFailure turns a failed download into one line with the way out", () => {
  const stderr =
    "\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file 'dist/x'\n\n" +
    "Caused by:\n    0: Setting up base binary.\n    1: error sending request for url " +
    "(https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip)\n" +
    "    2: dns error\n    3: failed to lookup address information\n\nStack backtrace:\n   0: <unknown>\n";
  assert.equal(
    describeCompileFailure(stderr),
    "deno compile failed: cannot get its runtime, denort (failed to lookup address information); " +
      "offline, set DENORT_BIN to a denort binary for the target (see --help)",
  );
  assert.equal(
    describeCompileFailure('error: Module not found "file:///x.ts".\n'),
    'deno compile failed: Module not found "file:///x.ts".',
  );
});

Deno.test("scripts/compile.ts --help names DENORT_BIN", async () => {
  const { code, stdout } = await runDeno([
    "run",
    "-A",
    projectFile("scripts/compile.ts"),
    "--help",
  ]);
  assert.equal(code, 0);
  assert.match(stdout, /DENORT_BIN/);
});
