import assert from "node:assert/strict";
import { startServer } from "../support/test_server.ts";

Deno.test("server reads the clock once a commit, not once a member's write", async () => {
  await using test = startServer({ maxMessageRate: 0 });
  const peers = await Promise.all(Array.from({ length: 10 }, (_, i) => test.join(`p${i}`)));
  const clock = performance.now;
  let reads = 0;
  performance.now = () => {
    reads++;
    return clock.call(performance);
  };
  try {
    // One message at a time: 50 commits, 500 writes.
    for (let i = 1; i <= 50; i++) {
      await peers[0]!.sendString(`m${i}`);
      for (const peer of peers) await peer.waitForMessages(i);
    }
  } finally {
    performance.now = clock;
  }
  assert.ok(reads <= 150, `${reads} clock reads for 50 commits and 500 writes`);
  for (const peer of peers) await peer.close();
});
