import assert from "node:assert/strict";
import { startFloorServer } from "../../bench/floor_server.ts";
import { runLoad } from "../../check/load/load.ts";
import { floorServer } from "../../bench/targets.ts";

Deno.test("floor server relays every message to every client, in one order, nothing lost", async () => {
  const server = startFloorServer();
  try {
    const result = await runLoad({
      port: server.addr.port,
      clients: 6,
      senders: 3,
      messages: 200,
      size: 64,
      window: 8,
      durationLimit: 10,
    });
    assert.equal(result.stopReason, "done");
    assert.equal(result.deliveriesReceived, 6 * 3 * 200);
    assert.equal(result.lost + result.orderViolations + result.invalidFrames, 0);
  } finally {
    await server.close();
  }
});

Deno.test("floor server relays a message larger than its 64-byte reads", async () => {
  const server = startFloorServer();
  try {
    const result = await runLoad({
      port: server.addr.port,
      clients: 3,
      senders: 1,
      messages: 20,
      size: 3000,
      window: 1,
      durationLimit: 10,
    });
    assert.equal(result.stopReason, "done");
    assert.equal(result.deliveriesReceived, 3 * 20);
    assert.equal(result.lost + result.invalidFrames, 0);
  } finally {
    await server.close();
  }
});

Deno.test("floor server as the bench starts it: a listening line and --help", async () => {
  const spec = floorServer();
  const [program, ...args] = spec.command;
  const help = await new Deno.Command(program!, {
    args: [...args.slice(0, args.indexOf("--host")), "--help"],
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
  }).output();
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /USAGE:/);
  const wrong = await new Deno.Command(program!, {
    args: [...args.slice(0, args.indexOf("--host")), "--port", "x"],
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
  }).output();
  assert.equal(wrong.code, 1);
  assert.match(new TextDecoder().decode(wrong.stderr), /^floor_server: .*port/);
});
