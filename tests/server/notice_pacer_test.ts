import assert from "node:assert/strict";
import { NoticePacer, summaryText } from "../../server/ops/notice_pacer.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { startServer } from "../support/test_server.ts";

function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("NoticePacer holds a join, then says it; a leave within the hold says nothing at all", async () => {
  const said: string[] = [];
  const pacer = new NoticePacer((text) => said.push(text), { holdMs: 50 });
  const alice = {}, bob = {};
  pacer.joined(alice, "alice joined");
  pacer.joined(bob, "bob joined");
  pacer.left(bob, "bob left");
  assert.deepEqual(said, []);
  await waitMs(120);
  assert.deepEqual(said, ["alice joined"]);
  pacer.left(alice, "alice left");
  assert.deepEqual(said, ["alice joined", "alice left"]);
  pacer.close();
});

Deno.test("NoticePacer says at most its rate one by one, then one summary for the rest of the second", async () => {
  const said: string[] = [];
  const pacer = new NoticePacer((text) => said.push(text), { holdMs: 0, maxPerSecond: 5 });
  for (let i = 0; i < 300; i++) {
    const member = {};
    pacer.joined(member, `m${i} joined`);
    if (i % 2 === 0) pacer.left(member, `m${i} left`);
  }
  assert.equal(said.length, 5);
  await waitMs(1100);
  assert.equal(said.length, 6);
  // 300 joins and 150 leaves; 5 said one by one (3 joins, 2 leaves).
  assert.equal(said[5], summaryText(297, 148));
  pacer.close();
});

Deno.test("presence under join/leave churn: the room hears summaries, not thousands of lines", async () => {
  await using test = startServer({ presence: true });
  const alice = await test.join("alice");
  await alice.waitForText('"alice" joined');
  const before = alice.messages.length;
  // 300 logins that leave at once: none is announced (each leaves within the hold).
  for (let round = 0; round < 10; round++) {
    const peers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => ChatPeer.login(test.port, `churn${round}-${i}`)),
    );
    await test.logs.waitFor(/logged in as "churn/, 30 * (round + 1), 10_000);
    await Promise.all(peers.map((peer) => peer.close()));
  }
  await test.logs.waitFor(/"churn.*" disconnected/, 300, 10_000);
  await waitMs(1500);
  const notices = alice.messages.slice(before).filter((message) => message.username === "*");
  assert.ok(notices.length <= 3, `${notices.length} notices: ${notices.map((n) => n.text)}`);
  await alice.close();
});

Deno.test("presence: 50 members that stay past the hold are said in at most 20 lines and summaries", async () => {
  await using test = startServer({ presence: true });
  const alice = await test.join("alice");
  await alice.waitForText('"alice" joined');
  const before = alice.messages.length;
  const peers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => ChatPeer.login(test.port, `stay${i}`)),
  );
  const deadline = Date.now() + 5000;
  while (!alice.messages.some((message) => message.text.endsWith("in the last second"))) {
    assert.ok(Date.now() < deadline, "no summary arrived");
    await waitMs(20);
  }
  const notices = alice.messages.slice(before).filter((message) => message.username === "*");
  const single = notices.filter((notice) => / joined$/.test(notice.text)).length;
  const summary = notices.find((notice) => notice.text.endsWith("in the last second"))!;
  assert.ok(single <= 20, `${single} single notices`);
  assert.equal(single + Number(/^(\d+) joined/.exec(summary.text)![1]), 50);
  await Promise.all(peers.map((peer) => peer.close()));
  await alice.close();
});

Deno.test("/who is answered from one frame per roster version and second, rebuilt after a change", async () => {
  const { Room } = await import("../../server/room/room.ts");
  const { Presence } = await import("../../server/ops/presence.ts");
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const presence = new Presence(room, { announce: false, uniqueNames: false }, () => {});
  // Within one second (the frame carries its second), the same roster gives the same frame.
  // (Tried three times, in case a second ends between the two calls.)
  let first = presence.who(), second = presence.who();
  for (let tries = 1; tries < 3 && first !== second; tries++) {
    first = presence.who();
    second = presence.who();
  }
  assert.equal(first, second, "two answers in one second were built twice");
  presence.joined({ username: "alice" });
  assert.notEqual(presence.who(), first, "a join did not rebuild the answer");
  await presence.close();
  room.close();
});
