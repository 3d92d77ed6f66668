import assert from "node:assert/strict";
import { OwnMessages } from "../../server/cluster/nats/own_messages.ts";
import { MAX_WAIT_MS } from "../../server/room/room.ts";

Deno.test("OwnMessages lets another node's message wait only just after one of this node's", () => {
  const own = new OwnMessages("node-a");
  assert.equal(own.mayWait("node-b-1", 0), false); // this node has read nothing of its own
  own.sent("node-a-1", 10);
  assert.equal(own.mayWait("node-a-1", 11), false);
  assert.equal(own.mayWait("node-b-2", 12), true);
  assert.equal(own.mayWait(undefined, 12), true);
  assert.equal(own.mayWait("node-b-3", 11 + MAX_WAIT_MS - 1), true);
  assert.equal(own.mayWait("node-b-4", 11 + MAX_WAIT_MS), false); // its members went quiet
});

Deno.test("OwnMessages lets an own message wait while a later one of this node's is out", () => {
  const own = new OwnMessages("node-a");
  own.sent("node-a-1", 0);
  own.sent("node-a-2", 1);
  assert.equal(own.mayWait("node-a-1", 2), true); // node-a-2 is on its way
  assert.equal(own.mayWait("node-a-2", 3), false); // the last one out
  // A retry sends the same id again: nothing more is out.
  own.sent("node-a-2", 4);
  assert.equal(own.mayWait("node-a-2", 5), false);
  // One sent long ago and never read back (the stream lost it) makes no one wait.
  own.sent("node-a-4", 10);
  assert.equal(own.mayWait("node-a-3", 10 + MAX_WAIT_MS), false);
});

Deno.test("OwnMessages takes an id the caller named, or another node's, as not its own", () => {
  const own = new OwnMessages("node-a");
  own.sent("node-a-1", 0);
  for (const id of ["node-a-left-1", "node-a-", "node-ab-7", "node-a-1.5", "other-2", ""]) {
    // Another node's message, right after none of this node's was read: it may not wait.
    assert.equal(own.mayWait(id, 1), false, id);
  }
  assert.equal(own.mayWait("node-a-1", 2), false);
  assert.equal(own.mayWait("node-a-left-1", 3), true, "another's, just after an own one");
});

Deno.test("OwnMessages: a forged id of this node's holds another's frames at most MAX_WAIT_MS", () => {
  const own = new OwnMessages("node-a");
  // Someone who can publish to the room's subject uses this node's prefix, with a huge number.
  assert.equal(own.mayWait(`node-a-${Number.MAX_SAFE_INTEGER}`, 0), false);
  assert.equal(own.mayWait("node-b-1", 1), true); // as after an own message...
  assert.equal(own.mayWait("node-b-2", MAX_WAIT_MS), false); // ...for MAX_WAIT_MS at most
  // The node's own messages never wait for one that will not come.
  own.sent("node-a-1", 30);
  own.sent("node-a-2", 31);
  assert.equal(own.mayWait("node-a-1", 32), false);
  assert.equal(own.mayWait("node-a-2", 33), false);
});

Deno.test("OwnMessages makes this node's ids, and reads them back as its own", () => {
  const own = new OwnMessages("node-a");
  const first = own.nextId();
  const second = own.nextId();
  assert.deepEqual([first, second], ["node-a-1", "node-a-2"]);
  own.sent(first, 0);
  own.sent(second, 0);
  assert.equal(own.mayWait(first, 1), true); // its own, with the second still out
  assert.equal(own.mayWait(second, 2), false);
});
