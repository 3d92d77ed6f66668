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
