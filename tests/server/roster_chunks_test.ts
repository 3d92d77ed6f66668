import assert from "node:assert/strict";
import { CHUNK_BYTES, CHUNK_MEMBERS, OwnChunks } from "../../server/cluster/nats/roster_chunks.ts";
import { parseChunk } from "../../server/cluster/nats/roster_entries.ts";
import type { RosterMember } from "../../server/ops/presence.ts";

// 25-byte names, the longest by default, some with characters JSON escapes.
function members(count: number, from = 0): RosterMember[] {
  return Array.from({ length: count }, (_, i) => ({
    id: from + i,
    name: `"member\\${String(from + i).padStart(17, "0")}`,
  }));
}

Deno.test("OwnChunks keeps every chunk small at 20,000 members with the longest names", () => {
  const chunks = new OwnChunks();
  const all = members(20_000);
  chunks.set(all);
  const writes = chunks.takeChanged();
  const read: RosterMember[] = [];
  for (const { value } of writes) {
    assert.ok(value !== undefined);
    assert.ok(value.length <= CHUNK_BYTES + 64, `a chunk of ${value.length} bytes`);
    const members = parseChunk(value)!;
    assert.ok(members.length <= CHUNK_MEMBERS);
    read.push(...members);
  }
  assert.deepEqual(read.sort((a, b) => a.id - b.id), all);
  assert.equal(chunks.takeChanged().length, 0);
});

Deno.test("OwnChunks: a join or a leave changes one chunk; an emptied chunk is deleted", () => {
  const chunks = new OwnChunks(4, CHUNK_BYTES);
  const all = members(10);
  chunks.set(all);
  assert.deepEqual(chunks.takeChanged().map((write) => write.index), [0, 1, 2]);
  chunks.set([...all, ...members(1, 10)]);
  assert.deepEqual(chunks.takeChanged().map((write) => write.index), [2]);
  // A leave frees a place, which the next newcomer takes.
  const without5 = [...all, ...members(1, 10)].filter((member) => member.id !== 5);
  chunks.set(without5);
  assert.deepEqual(chunks.takeChanged().map((write) => write.index), [1]);
  const with11 = [...without5, ...members(1, 11)];
  chunks.set(with11);
  const [write] = chunks.takeChanged();
  assert.equal(write!.index, 1);
  assert.deepEqual(parseChunk(write!.value!)!.map((member) => member.id), [4, 6, 7, 11]);
  // Everyone of chunk 0 gone: its key goes.
  chunks.set(with11.filter((member) => member.id >= 4));
  assert.deepEqual(chunks.takeChanged(), [{ index: 0, value: undefined }]);
  assert.equal(chunks.holds(0), false);
});

Deno.test("OwnChunks: the same id under another name is a new member", () => {
  const chunks = new OwnChunks();
  chunks.set([{ id: 1, name: "alice" }]);
  chunks.takeChanged();
  chunks.set([{ id: 1, name: "bob" }]);
  const [write] = chunks.takeChanged();
  assert.deepEqual(parseChunk(write!.value!), [{ id: 1, name: "bob" }]);
  assert.equal(chunks.size, 1);
});

Deno.test("parseChunk refuses the member list of an older wirechat and garbage", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  assert.equal(parseChunk(encode('[{"id":1,"name":"alice"}]')), undefined);
  assert.equal(parseChunk(encode("{")), undefined);
  assert.equal(parseChunk(encode('[[1,"a"],[2]]')), undefined);
  assert.deepEqual(parseChunk(encode("[]")), []);
});
