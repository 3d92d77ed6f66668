import assert from "node:assert/strict";
import { ChatPeer } from "../support/chat_peer.ts";
import { ServerProcess } from "../support/process.ts";

Deno.test({
  name: "a server without TLS logs SIGHUP and keeps serving",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using server = await ServerProcess.start();
    server.child.kill("SIGHUP");
    await server.stderr.waitFor(/SIGHUP ignored: no TLS certificate to reload/);
    const alice = await ChatPeer.login(server.port, "alice");
    await alice.sendString("still here");
    assert.equal((await alice.waitForMessages(1))[0]!.text, "still here");
    await alice.close();
    assert.equal((await server.stop()).code, 0);
  },
});
