import assert from "node:assert/strict";
import { encodeChatMessage } from "../../mod.ts";
import { FakeServer } from "../support/fake_server.ts";
import { hasStackTrace, spawnClient } from "../support/client_process.ts";
import { within } from "../support/deadline.ts";
import { StalledServer } from "../support/stalled_server.ts";

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

Deno.test("client in a pipe gives up on a server that takes no data, after --write-timeout", async () => {
  await using server = new StalledServer();
  const child = spawnClient([
    "--host",
    "127.0.0.1",
    "--port",
    String(server.port),
    "--write-timeout",
    "1",
    "alice",
  ]);
  // 20 MB of input, of which the client can only send what the socket buffers hold.
  const line = new TextEncoder().encode("x".repeat(999) + "\n");
  const input = new Uint8Array(20 * line.length * 1024);
  for (let at = 0; at < input.length; at += line.length) input.set(line, at);
  const writer = child.stdin.getWriter();
  const feeding = writer.write(input).then(() => writer.close()).catch(() => {});
  const started = Date.now();
  const { code, stdout, stderr } = await within(child.output(), "the client's exit", 20_000);
  await feeding;
  assert.equal(code, 1);
  assert.equal(decoder.decode(stdout), "");
  // The lines written to the socket and never echoed are counted.
  assert.match(
    decoder.decode(stderr),
    new RegExp(
      `^The server at 127\\.0\\.0\\.1:${server.port} took no data for 1 s; giving up\n` +
        "[\\d,]+ lines sent were not confirmed\n$",
    ),
  );
  assert.ok(Date.now() - started < 15_000, "it gives up within a bounded time");
});
