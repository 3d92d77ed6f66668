import assert from "node:assert/strict";
import { afterLoss, HELD, type Lost } from "../../client/command/terminal/reconnection.ts";
import { readFarewell } from "../../client/last_words.ts";

function lost(overrides: Partial<Lost> = {}): Lost {
  return {
    error: new Error("Connection closed by the server"),
    farewell: undefined,
    heard: false,
    heldFor: 0,
    ...overrides,
  };
}

const again = { again: true, reconnects: true };

Deno.test("afterLoss retries a lost connection, afresh once it held or delivered", () => {
  assert.deepEqual(afterLoss(lost(), again), {
    kind: "retry",
    why: "connection lost: connection closed by the server",
    resetBackoff: false,
  });
  assert.equal(
    (afterLoss(lost({ heard: true }), again) as { resetBackoff: boolean }).resetBackoff,
    true,
  );
  assert.equal(
    (afterLoss(lost({ heldFor: HELD }), again) as { resetBackoff: boolean }).resetBackoff,
    true,
  );
});

Deno.test("afterLoss keeps the line of a message over the server's limit and retries", () => {
  const farewell = readFarewell("message of 40 bytes over the limit of 20");
  assert.deepEqual(afterLoss(lost({ farewell }), { again: false, reconnects: true }), {
    kind: "retry",
    why:
      "the server closed the connection: message of 40 bytes over the limit of 20; the line is kept",
    resetBackoff: false,
  });
});

Deno.test("afterLoss ends the session on a port that speaks TLS, or when reconnecting is off", () => {
  const tls = lost({ farewell: readFarewell("this port speaks TLS: use --tls") });
  assert.equal(afterLoss(tls, again).kind, "end");
  assert.equal(afterLoss(lost(), { again: true, reconnects: false }).kind, "end");
});

Deno.test("afterLoss sanitizes what the error says", () => {
  const next = afterLoss(lost({ error: new Error("Gone\x1b[2J") }), again);
  assert.equal(next.kind === "retry" && next.why, "connection lost: gone␛[2J");
});
