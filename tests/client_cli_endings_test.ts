import assert from "node:assert/strict";
import { encodeChatMessage } from "../mod.ts";
import { FakeServer } from "./support/fake_server.ts";
import { hasStackTrace, spawnClient } from "./support/client_process.ts";
import { within } from "./support/deadline.ts";

const decoder = new TextDecoder();

/** The client in a pipe, connected to `server` as alice. */
function spawnAgainst(server: FakeServer, args: string[] = []): Deno.ChildProcess {
  return spawnClient(["--host", "127.0.0.1", "--port", String(server.port), ...args, "alice"]);
}

Deno.test("client says the server closed the connection when it ends inside a frame", async () => {
  await using server = new FakeServer();
  const child = spawnAgainst(server);
  const peer = await server.accept();
  const frame = encodeChatMessage({ timestamp: 0, username: "bob", text: "cut short" });
  await peer.send(frame, frame.subarray(0, frame.length >> 1));
  await peer.close();
  const { code, stdout, stderr } = await within(child.output(), "the client's exit");
  await child.stdin.close().catch(() => {});
  const text = decoder.decode(stderr);
  assert.equal(code, 1);
  assert.match(decoder.decode(stdout), /^<\d\d:\d\d> \[bob\] cut short\n$/);
  assert.equal(
    text,
    "Connection closed: the server closed the connection in the middle of a message\n",
  );
  assert.ok(!hasStackTrace(text));
});

Deno.test("client in a pipe shows a user name with brackets quoted", async () => {
  await using server = new FakeServer();
  const child = spawnAgainst(server);
  const peer = await server.accept();
  await peer.send(encodeChatMessage({ timestamp: 0, username: "admin] hi [x", text: "y" }));
  await peer.close();
  const { code, stdout } = await within(child.output(), "the client's exit");
  await child.stdin.close().catch(() => {});
  assert.equal(code, 1);
  assert.match(decoder.decode(stdout), /^<\d\d:\d\d> \["admin\] hi \[x"\] y\n$/);
});
