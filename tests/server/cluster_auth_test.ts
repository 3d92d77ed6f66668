import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { ChatPeer } from "../support/chat_peer.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";
import { projectFile, runDeno, ServerProcess } from "../support/process.ts";

const SERVER = projectFile("server.ts");

async function secretFile(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "wirechat_secret_" });
  await Deno.writeTextFile(path, `${text}\n`);
  return path;
}

/** The config block of docs/cluster.md's authenticated quick start. */
async function documentedConfig(): Promise<string> {
  const doc = await Deno.readTextFile(projectFile("docs/cluster.md"));
  const match = /```conf\n([\s\S]*?)```/.exec(doc);
  assert.ok(match !== null, "docs/cluster.md has no ```conf block");
  return match[1]!;
}

Deno.test("--nats refuses credentials in its URL, in one line that names the flags", async () => {
  const { code, stderr } = await runDeno([
    "run",
    "--allow-net",
    SERVER,
    "--nats",
    "nats://node:s3cret@127.0.0.1:4222",
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /credentials in a --nats URL are refused .*--nats-password-file/);
  assert.doesNotMatch(stderr, /s3cret/);
  assert.equal(stderr.trim().split("\n").length, 1);
});

natsTest(
  "the documented NATS config: the nodes' user joins with a password file; nobody else may speak in the room",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "wirechat_conf_" });
    const config = `${dir}/nats.conf`;
    await Deno.writeTextFile(config, await documentedConfig());
    const env = { WIRECHAT_NATS_PASSWORD: "node-pw-1", WATCHER_NATS_PASSWORD: "watch-pw-2" };
    for (const [key, value] of Object.entries(env)) Deno.env.set(key, value);
    await using nats = await NatsServer.start(["-c", config]);
    const password = await secretFile("node-pw-1");
    try {
      await using node = await ServerProcess.start(
        ["--nats", nats.url, "--nats-user", "wirechat", "--nats-password-file", password],
        { denoArgs: ["--allow-net", "--allow-read"] },
      );
      await node.stderr.waitFor(/NATS backplane connected/, 1, 15_000);
      assert.equal(node.stderr.matching(/no authentication/).length, 0);
      const alice = await ChatPeer.login(node.port, "alice");
      alice.startReading();
      await node.stderr.waitFor(/logged in as "alice"/);
      // The watcher may read the room but not speak in it, as the server or as anyone.
      const watcher = await connect({ servers: nats.url, user: "watcher", pass: "watch-pw-2" });
      let denied = false;
      (async () => {
        for await (const status of watcher.status()) {
          if (status.type === "error" && /permission/i.test(String(status.error))) denied = true;
        }
      })();
      watcher.publish("wirechat.wirechat.voice", new Uint8Array(20));
      watcher.publish("wirechat.wirechat.msg", new Uint8Array(20));
      await watcher.flush();
      await alice.sendString("only nodes speak");
      await alice.waitForText("only nodes speak");
      assert.equal(alice.messages.length, 1);
      for (let i = 0; i < 50 && !denied; i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(denied, "nats-server did not deny the watcher's publish");
      await watcher.close();
      await alice.close();
      assert.equal((await node.stop()).code, 0);
      // A wrong password: one line, exit 1.
      const wrong = await secretFile("not-the-password");
      const { code, stderr } = await runDeno([
        "run",
        "--allow-net",
        "--allow-read",
        SERVER,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--nats",
        nats.url,
        "--nats-user",
        "wirechat",
        "--nats-password-file",
        wrong,
      ]);
      assert.equal(code, 1);
      assert.match(stderr.trim().split("\n").at(-1)!, /^wirechat-server: .*Authorization/);
      assert.doesNotMatch(stderr, /Uncaught|^\s+at |not-the-password/m);
    } finally {
      for (const key of Object.keys(env)) Deno.env.delete(key);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

natsTest("a node on a NATS without authentication logs one warning", async () => {
  await using nats = await NatsServer.start();
  await using node = await ServerProcess.start(["--nats", nats.url]);
  await node.stderr.waitFor(/NATS backplane connected/, 1, 15_000);
  assert.equal(node.stderr.matching(/no authentication; anyone who can reach it/).length, 1);
  assert.equal((await node.stop()).code, 0);
});

natsTest("a token file authenticates a node", async () => {
  await using nats = await NatsServer.start(["--auth", "tok-123"]);
  const token = await secretFile("tok-123");
  await using node = await ServerProcess.start(["--nats", nats.url, "--nats-token-file", token], {
    denoArgs: ["--allow-net", "--allow-read"],
  });
  await node.stderr.waitFor(/NATS backplane connected/, 1, 15_000);
  assert.equal(node.stderr.matching(/no authentication/).length, 0);
  assert.equal((await node.stop()).code, 0);
});
