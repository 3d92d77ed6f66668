import assert from "node:assert/strict";
import { AttemptPacer } from "../../server/accounts/attempt_pacer.ts";

Deno.test("AttemptPacer lets keys without failures through at once", () => {
  const pacer = new AttemptPacer({ now: () => 0 });
  for (let i = 0; i < 100; i++) assert.equal(pacer.reserve(["address a", "name alice"]), 0);
});

Deno.test("AttemptPacer paces a brute force to one attempt per interval, per name and per address", () => {
  let now = 0;
  const pacer = new AttemptPacer({ intervalMs: 500, maxWaitMs: 2000, now: () => now });
  pacer.failed(["address a", "name alice"]);
  // Parallel attempts from many addresses on one name queue one interval apart.
  const waits = [1, 2, 3, 4].map((i) => pacer.reserve([`address ${i}`, "name alice"]));
  assert.deepEqual(waits, [500, 1000, 1500, 2000]);
  assert.equal(pacer.reserve(["address 5", "name alice"]), undefined); // would wait too long
  // The address that failed is paced on any name.
  assert.equal(pacer.reserve(["address a", "name bob"]), 500);
  // A minute later, the failures are forgotten.
  now = 60_000;
  assert.equal(pacer.reserve(["address a", "name alice"]), 0);
});

Deno.test("AttemptPacer at full speed allows at most a few attempts a second", () => {
  let now = 0;
  const pacer = new AttemptPacer({ now: () => now });
  let attempts = 0;
  // An attacker tries as soon as it may, for 10 seconds, failing each time.
  while (now < 10_000) {
    const wait = pacer.reserve(["address x", "name alice"]);
    if (wait === undefined) break;
    now += wait;
    attempts++;
    pacer.failed(["address x", "name alice"]);
  }
  assert.ok(attempts <= 21, `${attempts} attempts in 10 s`);
});
