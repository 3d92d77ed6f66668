import assert from "node:assert/strict";
import { encodeString } from "../../protocol/encode.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { NatsServer, natsTest } from "../support/nats_server.ts";
import { ServerProcess } from "../support/process.ts";

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Logs in as `name` and waits for the verdict: let in (still open after a moment) or refused. */
async function tryLogin(port: number, name: string): Promise<"in" | string> {
  const peer = await ChatPeer.connect(port);
  peer.startReading();
  await peer.sendRaw(encodeString(name));
  for (let i = 0; i < 40 && peer.ended === undefined; i++) await waitMs(25);
  const verdict = peer.ended === undefined ? "in" : peer.messages.at(-1)?.text ?? "closed";
  await peer.close();
  return verdict;
}

natsTest(
  "a node stalled for less than the lease keeps its users' names; past it, they go, and the holder is told",
  async () => {
    await using nats = await NatsServer.start();
    const flags = ["--nats", nats.url, "--unique-names", "--presence", "--cluster-lease", "8"];
    await using a = await ServerProcess.start(flags);
    await using b = await ServerProcess.start(flags);
    await a.stderr.waitFor(/NATS backplane connected/, 1, 15_000);
    await b.stderr.waitFor(/NATS backplane connected/, 1, 15_000);
    const bob = await ChatPeer.login(a.port, "bob");
    bob.startReading();
    const alice = await ChatPeer.login(b.port, "alice");
    alice.startReading();
    await bob.waitForText('"alice" joined', 10_000);

    // A stall shorter than the lease: nothing changes for anyone.
    b.child.kill("SIGSTOP");
    try {
      // Six seconds: past what 0.2.0 allowed a node (five), within the lease (eight).
      await waitMs(6000);
      assert.match(await tryLogin(a.port, "ALICE"), /the name "ALICE" is taken/);
    } finally {
      b.child.kill("SIGCONT");
    }
    await waitMs(3000);
    assert.ok(!bob.messages.some((m) => m.text === '"alice" left'), "alice was announced as gone");
    assert.equal(alice.ended, undefined);

    // A stall past the lease: the others count B gone and its names free.
    b.child.kill("SIGSTOP");
    try {
      await bob.waitForText('"alice" left', 15_000);
      assert.equal(await tryLogin(a.port, "ALICE"), "in");
      const impostor = await ChatPeer.login(a.port, "ALICE"); // stays
      impostor.startReading();
      await a.stderr.waitFor(/logged in as "ALICE"/, 2);
      b.child.kill("SIGCONT");
      // Back, B finds alice's name claimed: alice is told why, then cut off.
      const why = await alice.waitForText(
        'the name "alice" was taken while this server was away from the cluster',
        15_000,
      );
      assert.equal(why.username, "*");
      assert.equal(await alice.waitForEnd(10_000), "closed");
      await impostor.close();
    } finally {
      b.child.kill("SIGCONT");
    }
    await bob.close();
    await alice.close();
  },
);
