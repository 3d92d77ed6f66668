import assert from "node:assert/strict";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import { projectFile } from "../support/process.ts";

Deno.test("server keeps chatting and exits at once when nobody reads its standard error", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", projectFile("server.ts"), "--host", "127.0.0.1", "--port", "0"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((status) => {
    exited = true;
    return status;
  });
  const peers: ChatPeer[] = [];
  try {
    // Read up to the line with the port, then never again: a stalled log shipper.
    const reader = child.stderr.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    while (!/listening on 127\.0\.0\.1:\d+/.test(seen)) {
      const { value, done } = await within(reader.read(), "the listening line", 10_000);
      if (done) throw new Error(`The server ended:\n${seen}`);
      seen += decoder.decode(value, { stream: true });
    }
    reader.releaseLock();
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(seen)![1]);

    // Two log lines per cycle, about 150 KB in all: far more than a pipe holds.
    const cycle = async () => (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    await within(
      (async () => {
        for (let i = 0; i < 1000; i += 20) await Promise.all(Array.from({ length: 20 }, cycle));
      })(),
      "1,000 connect/close cycles",
      20_000,
    );

    // Bob hears his own echo, so he is in the room before Alice speaks.
    const bob = await ChatPeer.login(port, "bob");
    peers.push(bob);
    await bob.sendString("anyone?");
    await bob.waitForText("anyone?");
    const alice = await ChatPeer.login(port, "alice");
    peers.push(alice);
    await alice.sendString("the log is stuck, the chat is not");
    await bob.waitForText("the log is stuck, the chat is not");
    await alice.waitForText("the log is stuck, the chat is not");

    const stopped = Date.now();
    child.kill("SIGTERM");
    const { code } = await within(status, "the server to exit", 5000);
    const took = Date.now() - stopped;
    assert.equal(code, 0);
    assert.ok(took < 1200, `took ${took} ms to exit`);
    for (const peer of peers) assert.ok(["closed", "reset"].includes(await peer.waitForEnd()));
  } finally {
    if (!exited) child.kill("SIGKILL");
    await status;
    for (const peer of peers) await peer.close();
    await child.stderr.cancel();
  }
});
