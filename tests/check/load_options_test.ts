import assert from "node:assert/strict";
import { parseOptions } from "../../check/load/load_cli.ts";
import { parsePorts, portFor } from "../../check/load/load_options.ts";
import {
  MAX_USERNAME,
  readSyncRound,
  Sync,
  syncKind,
  userIndex,
} from "../../check/load/sync_message.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("portFor connects client i to the (i mod n)-th port", () => {
  const ports = [9001, 9002, 9003];
  assert.deepEqual(
    Array.from({ length: 7 }, (_, i) => portFor(i, ports)),
    [9001, 9002, 9003, 9001, 9002, 9003, 9001],
  );
  assert.deepEqual([0, 1, 2].map((i) => portFor(i, 9000)), [9000, 9000, 9000]);
});

Deno.test("portFor spreads the senders, the first clients, over the nodes", () => {
  const ports = [9001, 9002];
  const senders = [0, 1, 2, 3].map((i) => portFor(i, ports));
  assert.equal(senders.filter((port) => port === 9001).length, 2);
  assert.equal(senders.filter((port) => port === 9002).length, 2);
});

Deno.test("parsePorts reads one port or a comma-separated list", () => {
  assert.equal(parsePorts("9000"), 9000);
  assert.deepEqual(parsePorts("9001,9002"), [9001, 9002]);
  assert.throws(() => parsePorts("9001,"), /Invalid option --port: "" is not a port/);
  assert.throws(() => parsePorts("0"), /"0" is not a port from 1 to 65535/);
  assert.throws(() => parsePorts("9001,x"), /"x" is not a port/);
});

Deno.test("the load CLI takes --port P1,P2 as the ports of a cluster", () => {
  assert.deepEqual(parseOptions(["--port", "9001,9002", "--clients", "4"]).port, [9001, 9002]);
  assert.equal(parseOptions([]).port, 9000);
  assert.equal(parseOptions(["--clients", "4"]).clients, 4);
});

Deno.test("sync messages and user names are read in place", () => {
  const sync = bytes("#SYNC:000042");
  assert.equal(syncKind(sync, 0), Sync.Sync);
  assert.equal(readSyncRound(sync, 0), 42);
  assert.equal(syncKind(bytes("#FINL:000007"), 0), Sync.Final);
  assert.equal(syncKind(bytes("#SYNX:000007"), 0), Sync.Invalid);
  assert.equal(readSyncRound(bytes("#SYNC:00a042"), 0), -1);
  const names = bytes("u0 u17 u07 x1 u");
  assert.equal(userIndex(names, 0, 2), 0);
  assert.equal(userIndex(names, 3, 6), 17);
  assert.equal(userIndex(names, 7, 10), -1); // not canonical
  assert.equal(userIndex(names, 11, 13), -1);
  assert.equal(userIndex(names, 14, 15), -1);
  assert.equal(MAX_USERNAME, "u999999".length);
});
