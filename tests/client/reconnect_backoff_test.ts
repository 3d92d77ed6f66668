import assert from "node:assert/strict";
import { ReconnectBackoff } from "../../client/command/terminal/reconnect_backoff.ts";

Deno.test("ReconnectBackoff doubles from 0.5 s up to 30 s, and starts again after reset", () => {
  const backoff = new ReconnectBackoff({ random: () => 0.5 }); // no jitter
  const delays = Array.from({ length: 9 }, () => backoff.next());
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  backoff.reset();
  assert.equal(backoff.next(), 500);
});

Deno.test("ReconnectBackoff moves each delay by up to its jitter, never past the maximum", () => {
  const low = new ReconnectBackoff({ random: () => 0 });
  assert.deepEqual([low.next(), low.next()], [400, 800]);
  const high = new ReconnectBackoff({ random: () => 0.999999, max: 1000 });
  assert.deepEqual([high.next(), high.next(), high.next()], [600, 1000, 1000]);
  const spread = new ReconnectBackoff();
  for (let i = 0; i < 100; i++) {
    const delay = spread.next();
    assert.ok(delay >= 400 && delay <= 30_000, String(delay));
    spread.reset();
  }
});
