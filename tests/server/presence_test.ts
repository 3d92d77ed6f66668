import assert from "node:assert/strict";
import { type ChatMessage, encodeString } from "../../mod.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { startServer } from "../support/test_server.ts";

/** `user: text` for each message, for compact assertions. */
function lines(messages: readonly ChatMessage[]): string[] {
  return messages.map((message) => `${message.username}: ${message.text}`);
}

Deno.test("presence: joins and leaves are announced from * in the room's one order", async () => {
  await using test = startServer({ presence: true });
  const alice = await test.join("alice");
  await alice.waitForText('"alice" joined');
  const bob = await test.join("bob");
  await alice.waitForText('"bob" joined');
  await alice.sendString("hi");
  await bob.waitForText("hi");
  await bob.close();
  await alice.waitForText('"bob" left');
  assert.deepEqual(lines(alice.messages), [
    '*: "alice" joined',
    '*: "bob" joined',
    "alice: hi",
    '*: "bob" left',
  ]);
  assert.deepEqual(lines(bob.messages), ['*: "bob" joined', "alice: hi"]);
  await alice.close();
});

Deno.test("presence: nothing is announced without --presence", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  await bob.close();
  await test.logs.waitFor(/"bob" disconnected/);
  await alice.sendString("hi");
  assert.deepEqual(lines(await alice.waitForMessages(1)), ["alice: hi"]);
  await alice.close();
});

Deno.test("presence: a leave after a protocol error carries the reason", async () => {
  await using test = startServer({ presence: true, maxMessageSize: 10 });
  const alice = await test.join("alice");
  const carol = await test.join("carol");
  await alice.waitForText('"carol" joined'); // a join is held a second before it is said
  await carol.sendString("far too long for the limit");
  assert.equal((await alice.waitForText('"carol" left (protocol error)')).username, "*");
  await carol.close();
  await alice.close();
});

Deno.test("presence: a dropped slow consumer's leave carries the reason", async () => {
  const maxQueueBytes = 64 * 1024;
  await using test = startServer({ presence: true, maxQueueBytes, maxMessageSize: 65536 });
  const alice = await test.join("alice");
  const sloth = await ChatPeer.login(test.port, "sloth"); // never reads
  await alice.waitForText('"sloth" joined');
  const text = "x".repeat(60_000);
  for (let sent = 0; test.logs.matching(/"sloth" disconnected: slow consumer/).length === 0;) {
    assert.ok(sent < 2000, "the slow consumer was never dropped");
    await alice.sendString(text);
    sent++;
    if (sent % 8 === 0) await alice.waitForMessages(2 + sent); // alice reads her echoes
  }
  const notice = await alice.waitForText('"sloth" left (slow consumer)', 10_000);
  assert.equal(notice.username, "*");
  await sloth.close();
  await alice.close();
});

Deno.test("presence: notices count as messages for --history", async () => {
  await using test = startServer({ presence: true, history: 2 });
  const alice = await test.join("alice");
  const carol = await test.join("carol");
  await alice.waitForText('"carol" joined');
  await alice.sendString("one");
  await carol.waitForText("one");
  const bob = await test.join("bob");
  assert.deepEqual(lines(await bob.waitForMessages(3)), [
    '*: "carol" joined',
    "alice: one",
    '*: "bob" joined',
  ]);
  assert.equal(test.server.stats.historySize, 2);
  for (const peer of [alice, bob, carol]) await peer.close();
});

Deno.test("/who: only its sender hears the answer, after what was queued for it", async () => {
  await using test = startServer(); // /who needs no --presence
  const alice = await test.join("alice");
  const carol = await test.join("carol");
  const bob = await test.join("bob");
  // One write: "hello" is queued for alice before /who is read.
  await alice.sendRaw(new Uint8Array([...encodeString("hello"), ...encodeString("/who")]));
  await alice.waitForMessages(2);
  await bob.sendString("after");
  await alice.waitForText("after");
  await carol.waitForText("after");
  assert.deepEqual(lines(alice.messages), [
    "alice: hello",
    '*: 3 here: "alice", "bob", "carol"',
    "bob: after",
  ]);
  assert.deepEqual(lines(bob.messages), ["alice: hello", "bob: after"]);
  assert.deepEqual(lines(carol.messages), ["alice: hello", "bob: after"]);
  assert.equal(test.server.stats.messages, 2); // not part of the room's order
  // Nothing due: the answer still comes at once.
  await carol.sendString("/who");
  assert.equal((await carol.waitForMessages(3))[2]!.text, '3 here: "alice", "bob", "carol"');
  for (const peer of [alice, bob, carol]) await peer.close();
});

Deno.test("/who: the answer is not kept as history", async () => {
  await using test = startServer({ history: 5 });
  const alice = await test.join("alice");
  await alice.sendString("/who");
  await alice.waitForText('1 here: "alice"');
  await alice.sendString("one");
  await alice.waitForText("one");
  const bob = await test.join("bob");
  assert.deepEqual(lines(await bob.waitForMessages(1)), ["alice: one"]);
  await bob.sendString("two");
  assert.deepEqual(lines(await bob.waitForMessages(2)), ["alice: one", "bob: two"]);
  for (const peer of [alice, bob]) await peer.close();
});

Deno.test("--unique-names: a taken name is refused with a message from *; the holder notices nothing", async () => {
  await using test = startServer({ uniqueNames: true, presence: true });
  const alice = await test.join("alice");
  const jose = await test.join("jos\u00e9");
  await alice.waitForText('"jos\u00e9" joined');
  for (const name of ["alice", "ALICE", "Alice", "JOSE\u0301"]) {
    const twin = await ChatPeer.login(test.port, name);
    assert.equal(await twin.waitForEnd(), "closed");
    assert.deepEqual(lines(twin.messages), [`*: the name "${name}" is taken`]);
    await twin.close();
  }
  assert.equal(test.server.stats.refusedBy["name taken"], 4);
  await test.logs.waitFor(/login refused: the name "JOSE\u0301" is taken/);
  await alice.sendString("still here");
  await jose.waitForText("still here");
  assert.deepEqual(lines(alice.messages), [
    '*: "alice" joined',
    '*: "jos\u00e9" joined',
    "alice: still here",
  ]);
  // Once alice leaves, her name is free again.
  await alice.close();
  await jose.waitForText('"alice" left');
  const again = await test.join("Alice");
  await again.waitForText('"Alice" joined');
  for (const peer of [again, jose]) await peer.close();
});

Deno.test("without --unique-names, two clients may share a name", async () => {
  await using test = startServer();
  const first = await test.join("alice");
  const second = await test.join("alice");
  await second.sendString("hi");
  await first.waitForText("hi");
  for (const peer of [first, second]) await peer.close();
});

Deno.test("/who: only the exact message counts; anything longer is relayed", async () => {
  await using test = startServer();
  const alice = await test.join("alice");
  const bob = await test.join("bob");
  for (const text of ["/who ", "/whom", "/WHO"]) await alice.sendString(text);
  assert.deepEqual(lines(await bob.waitForMessages(3)), [
    "alice: /who ",
    "alice: /whom",
    "alice: /WHO",
  ]);
  for (const peer of [alice, bob]) await peer.close();
});

Deno.test("--unique-names: claims go by confusable skeleton; a name and its lookalikes are one", async () => {
  const { Room } = await import("../../server/room/room.ts");
  const { Presence } = await import("../../server/ops/presence.ts");
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const presence = new Presence(room, { announce: false, uniqueNames: true }, () => {});
  assert.equal(presence.claim("alice"), undefined);
  const lookalikes = [
    "Alice",
    "aIice",
    "\u0430lice",
    "\uff41\uff4c\uff49\uff43\uff45",
    "\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}",
  ];
  for (const name of lookalikes) {
    assert.equal(presence.claim(name), `the name ${JSON.stringify(name)} is taken`);
  }
  assert.equal(presence.claim("alicia"), undefined);
  presence.unclaim("alice");
  // ALICE (keys ALlCE and alice) and aIice (keys alice and aiice) share a key.
  assert.equal(presence.claim("ALICE"), undefined);
  assert.equal(presence.claim("aIice"), 'the name "aIice" is taken');
  assert.equal(presence.claim("AIICE"), undefined); // its keys AllCE and aiice are free
  presence.unclaim("ALICE");
  assert.equal(presence.claim("alice"), undefined);
  await presence.close();
  room.close();
});

Deno.test("--unique-names in a cluster: every key of a name is claimed, or none", async () => {
  const { Room } = await import("../../server/room/room.ts");
  const { Presence } = await import("../../server/ops/presence.ts");
  const held = new Map<string, string>([["aiice", "other node"]]);
  const released: string[] = [];
  let failing = false;
  const roster = {
    node: "n1",
    claim(key: string) {
      if (failing) return Promise.reject(new Error("NATS is away"));
      if (held.has(key)) return Promise.resolve(false);
      held.set(key, "n1");
      return Promise.resolve(true);
    },
    release(key: string) {
      released.push(key);
      if (held.get(key) === "n1") held.delete(key);
    },
    update() {},
    others: () => [],
    close: () => Promise.resolve(),
  };
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const presence = new Presence(room, { announce: false, uniqueNames: true }, () => {});
  presence.join(Promise.resolve(roster));
  // aIice's keys are alice and aiice; another node holds aiice: alice is given back.
  assert.equal(await presence.claim("aIice"), 'the name "aIice" is taken');
  assert.deepEqual(released, ["alice"]);
  assert.deepEqual([...held.keys()], ["aiice"]);
  // ALICE's keys are ALlCE and alice: both claimed, both released when it goes.
  assert.equal(await presence.claim("ALICE"), undefined);
  assert.deepEqual([...held.keys()].sort(), ["ALlCE", "aiice", "alice"]);
  presence.unclaim("ALICE");
  assert.deepEqual([...held.keys()], ["aiice"]);
  // The cluster cannot answer: nothing stays claimed here.
  failing = true;
  assert.equal(await presence.claim("bob"), "names cannot be checked now: try again later");
  failing = false;
  assert.equal(await presence.claim("bob"), undefined);
  await presence.close();
  room.close();
});

Deno.test("a claim lost while away dismisses the member holding any key of the name", async () => {
  const { Room } = await import("../../server/room/room.ts");
  const { Presence } = await import("../../server/ops/presence.ts");
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const presence = new Presence(room, { announce: false, uniqueNames: true }, () => {});
  const told: string[] = [];
  const member = { username: "ALICE", dismiss: (why: string) => told.push(why) };
  assert.equal(presence.claim("ALICE"), undefined);
  presence.joined(member);
  presence.lost("bob");
  assert.deepEqual(told, []);
  presence.lost("alice"); // ALICE's folded key
  assert.deepEqual(told, [
    'the name "ALICE" was taken while this server was away from the cluster',
  ]);
  await presence.close();
  room.close();
});

Deno.test("whoText and the notices quote each name as a JSON string", async () => {
  const { joinText, leaveText, whoText } = await import("../../server/ops/presence.ts");
  assert.equal(whoText(["carol", "alice", "bob, admin"]), '3 here: "alice", "bob, admin", "carol"');
  // As docs/protocol.md tells a client to read it: the text after the first ": " as a JSON array.
  const names = ["bob, admin", 'eve" left', "a\\b", "\u0430lice", "👩🏽‍💻"];
  const text = whoText(names);
  assert.deepEqual(JSON.parse(`[${text.slice(text.indexOf(": ") + 2)}]`), names.toSorted());
  assert.equal(joinText('x" joined'), '"x\\" joined" joined');
  assert.equal(leaveText("a\\b", "slow consumer"), '"a\\\\b" left (slow consumer)');
  assert.equal(leaveText("bob", "login timeout"), '"bob" left (timeout)');
});

Deno.test("a storm of joins hands the cluster one way to list the members, not a copy per join", async () => {
  const { Room } = await import("../../server/room/room.ts");
  const { Presence } = await import("../../server/ops/presence.ts");
  const updates: unknown[] = [];
  const roster = {
    node: "n1",
    claim: () => Promise.resolve(true),
    release() {},
    update(members: unknown) {
      updates.push(members);
    },
    others: () => [],
    close: () => Promise.resolve(),
  };
  const room = new Room({ maxLag: 1 << 20, history: 0 });
  const presence = new Presence(room, { announce: false, uniqueNames: false }, () => {});
  presence.join(Promise.resolve(roster));
  await Promise.resolve();
  await Promise.resolve();
  updates.length = 0;
  for (let i = 0; i < 500; i++) presence.joined({ username: `user${i}`, dismiss() {} });
  // Each join says "changed"; the list itself is made only when the cluster asks.
  assert.equal(updates.length, 500);
  assert.ok(updates.every((update) => update === updates[0] && typeof update === "function"));
  const listed = (updates[0] as () => { name: string }[])();
  assert.equal(listed.length, 500);
  assert.equal(listed[499]!.name, "user499");
  await presence.close();
  room.close();
});
