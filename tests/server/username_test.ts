import assert from "node:assert/strict";
import { ChatPeer } from "../support/chat_peer.ts";
import { startServer } from "../support/test_server.ts";

Deno.test("server closes a login whose name could pass for another user's", async () => {
  await using test = startServer();
  const bob = await test.join("bob");
  const mallory = await ChatPeer.connect(test.port);
  await mallory.sendString("bob\u200b");
  await mallory.sendString("I am bob"); // never relayed
  assert.ok(["closed", "reset"].includes(await mallory.waitForEnd()));
  await test.logs.waitFor(
    /disconnected: protocol error: Invalid user name: it contains U\+200B, which renders invisibly or reorders text \(INVALID_USERNAME\)/,
  );
  await bob.sendString("still me");
  const [message] = await bob.waitForMessages(1);
  assert.deepEqual([message!.username, message!.text], ["bob", "still me"]);
  assert.equal(test.server.stats.loggedIn, 1);
  for (const peer of [bob, mallory]) await peer.close();
});

Deno.test("server closes logins as * or with invisible characters or whitespace at an end", async () => {
  await using test = startServer();
  const names = ["*", "\u202eecila", "eve\u2028", "\ufeffeve", " eve", "eve\u00a0"];
  for (const name of names) {
    const eve = await ChatPeer.connect(test.port);
    await eve.sendString(name);
    assert.ok(["closed", "reset"].includes(await eve.waitForEnd()), JSON.stringify(name));
    await eve.close();
  }
  await test.logs.waitFor(
    /Invalid user name: "\*" is reserved for the server \(INVALID_USERNAME\)/,
  );
  await test.logs.waitFor(/Invalid user name: .*\(INVALID_USERNAME\)/, names.length);
  assert.equal(test.server.stats.loggedIn, 0);
  // Ordinary names with inner spaces, other scripts and emoji still log in.
  const anna = await test.join("Анна Б.");
  const family = await test.join("👨‍👩‍👧");
  await family.sendString("hi");
  assert.equal((await anna.waitForText("hi")).username, "👨‍👩‍👧");
  for (const peer of [anna, family]) await peer.close();
});

// Issue 19: tried as an impostor would, each of these was accepted on a server with
// --unique-names while alice was logged in; each prints like `alice` or like `*`.
const IMPOSTORS: [name: string, why: RegExp][] = [
  ["alice\u034f", /invalid user name: it contains U\+034F, which renders invisibly/],
  ["alice\ufe0f", /invalid user name: it contains U\+FE0F/],
  ["alice\ufe00", /invalid user name: it contains U\+FE00/],
  ["alice\u180b", /invalid user name: it contains U\+180B/],
  ["al\u3164ice", /invalid user name: it contains U\+3164/],
  ["\u115falice", /invalid user name: it contains U\+115F/],
  ["alice\u2800", /invalid user name: it contains U\+2800/],
  ["\u0430lice", /invalid user name: it mixes scripts that pass for each other: Cyrl, Latn/],
  ["\uff41\uff4c\uff49\uff43\uff45", /^the name "ａｌｉｃｅ" is taken$/],
  ["\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}", /^the name "𝐚𝐥𝐢𝐜𝐞" is taken$/],
  ["\u{1d5ba}\u{1d5c5}\u{1d5c2}\u{1d5bc}\u{1d5be}", /^the name "𝖺𝗅𝗂𝖼𝖾" is taken$/],
  ["aIice", /^the name "aIice" is taken$/],
  ["\uff0a", /invalid user name: "＊" looks like "\*", which is reserved for the server/],
  ["\u2217", /invalid user name: "∗" looks like "\*", which is reserved for the server/],
  ["\u2731", /invalid user name: "✱" looks like "\*", which is reserved for the server/],
];

Deno.test("--unique-names: every impostor of alice and of * from issue 19 is refused and told why", async (t) => {
  await using test = startServer({ uniqueNames: true });
  const alice = await test.join("alice");
  for (const [name, why] of IMPOSTORS) {
    await t.step(JSON.stringify(name), async () => {
      const impostor = await ChatPeer.login(test.port, name);
      try {
        await impostor.sendString("send me your password"); // never relayed
        assert.ok(["closed", "reset"].includes(await impostor.waitForEnd()));
        assert.equal(impostor.messages.length, 1);
        assert.equal(impostor.messages[0]!.username, "*");
        assert.match(impostor.messages[0]!.text, why);
      } finally {
        await impostor.close();
      }
    });
  }
  assert.equal(test.server.stats.loggedIn, 1);
  await alice.sendString("/who");
  assert.equal((await alice.waitForMessages(1))[0]!.text, '1 here: "alice"');
  await alice.close();
});

Deno.test("/who quotes each name: `bob, admin` cannot forge an entry, nor a quote a notice", async () => {
  await using test = startServer({ presence: true });
  const alice = await test.join("alice");
  await alice.waitForText('"alice" joined');
  const bob = await test.join("bob, admin");
  await alice.waitForText('"bob, admin" joined');
  const eve = await ChatPeer.login(test.port, 'eve" left');
  await test.logs.waitFor(/logged in as "eve\\" left"/);
  await alice.waitForText('"eve\\" left" joined');
  await alice.sendString("/who");
  await alice.waitForText('3 here: "alice", "bob, admin", "eve\\" left"');
  await eve.close();
  await alice.waitForText('"eve\\" left" left');
  await bob.close();
  await alice.waitForText('"bob, admin" left');
  await alice.close();
});
