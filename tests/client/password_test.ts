import assert from "node:assert/strict";
import { encodeChatMessage, encodeString } from "../../mod.ts";
import { SCRAM_LOGIN, scramVerifier } from "../../protocol/scram.ts";
import { serve } from "../../server.ts";
import { DataStore } from "../../server/store/data_store.ts";
import { PLAIN_TCP_WARNING } from "../../client/command/password_source.ts";
import { CLIENT, CLIENT_ENV } from "../support/client_process.ts";
import { finish } from "../support/process.ts";

function runClient(args: string[], input: string, env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env=WIRECHAT_PASSWORD",
      CLIENT,
      ...args,
    ],
    env: { ...CLIENT_ENV, ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return finish(child, input);
}

async function serverWithAlice() {
  const dir = await Deno.makeTempDir({ prefix: "wirechat-client-accounts-" });
  const store = new DataStore(dir);
  store.addAccount("alice", await scramVerifier("correct horse"));
  store.close();
  const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error", data: dir });
  return {
    port: server.addr.port,
    dir,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("The client logs in to a registered name with --password-file or WIRECHAT_PASSWORD, warning once over plain TCP", async () => {
  await using server = await serverWithAlice();
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "correct horse\n");
    const port = String(server.port);
    const withFile = await runClient(
      ["--host", "127.0.0.1", "--port", port, "--password-file", file, "alice"],
      "hello\n",
    );
    assert.equal(withFile.code, 0, withFile.stderr);
    assert.match(withFile.stdout, /\[alice\] hello/);
    assert.equal(withFile.stderr.split(PLAIN_TCP_WARNING).length - 1, 1);
    const withVariable = await runClient(
      ["--host", "127.0.0.1", "--port", port, "alice"],
      "hi\n",
      { WIRECHAT_PASSWORD: "correct horse" },
    );
    assert.equal(withVariable.code, 0, withVariable.stderr);
    assert.match(withVariable.stdout, /\[alice\] hi/);
    const wrong = await runClient(
      ["--host", "127.0.0.1", "--port", port, "alice"],
      "hi\n",
      { WIRECHAT_PASSWORD: "hunter2" },
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Login refused: wrong password for "alice"/);
    // Without a password in a pipe: the server's reason, exit 1.
    const none = await runClient(["--host", "127.0.0.1", "--port", port, "alice"], "hi\n");
    assert.equal(none.code, 1);
    assert.match(none.stderr, /is registered/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("The client sends no secret to a seed server and says it does not support accounts", async () => {
  // A seed server: it relays every message to everyone, the sender included.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const recorded: number[] = [];
  const serving = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    let login: string | undefined;
    let pending: number[] = [];
    while (true) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) break;
      recorded.push(...buffer.subarray(0, read));
      pending.push(...buffer.subarray(0, read));
      while (pending.length >= 4) {
        const size = new DataView(new Uint8Array(pending).buffer).getUint32(0);
        if (pending.length < 4 + size) break;
        const text = new TextDecoder().decode(new Uint8Array(pending.slice(4, 4 + size)));
        pending = pending.slice(4 + size);
        if (login === undefined) {
          login = text;
          continue;
        }
        const frame = encodeChatMessage({ timestamp: 1, username: login, text });
        await conn.write(frame).catch(() => {});
      }
    }
    conn.close();
  })();
  const result = await runClient(
    ["--host", "127.0.0.1", "--port", String((listener.addr as Deno.NetAddr).port), "alice"],
    "hello\n",
    { WIRECHAT_PASSWORD: "correct horse" },
  );
  await serving;
  listener.close();
  assert.equal(result.code, 1);
  assert.match(result.stderr, /this server does not support accounts/);
  const bytes = new Uint8Array(recorded);
  const expected = new Uint8Array([
    ...encodeString(SCRAM_LOGIN),
    ...encodeString(new TextDecoder().decode(bytes.subarray(4 + SCRAM_LOGIN.length + 4))),
  ]);
  // Exactly the marker and the client-first message: no proof, no message, no password.
  assert.deepEqual(bytes, expected);
  assert.match(new TextDecoder().decode(bytes), /n,,n=alice,r=[A-Za-z0-9+/=]+$/);
});
