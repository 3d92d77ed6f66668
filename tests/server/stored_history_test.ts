import assert from "node:assert/strict";
import { DataStore } from "../../server/store/data_store.ts";
import { HistoryWriter } from "../../server/store/history_writer.ts";
import { encodeString } from "../../protocol/encode.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { runDeno, ServerProcess } from "../support/process.ts";
import { startServer } from "../support/test_server.ts";

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "wirechat-data-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("With --data, the history survives a restart, with its original timestamps", async () => {
  await using dir = await tempDir();
  let sent;
  {
    await using server = startServer({ data: dir.path, history: 3 });
    const alice = await server.join("alice");
    for (const text of ["one", "two", "three", "four"]) await alice.sendString(text);
    sent = await alice.waitForMessages(4);
    await alice.close();
  }
  const store = new DataStore(dir.path);
  assert.deepEqual(
    store.history(10).map((message) => message.timestamp),
    sent.slice(1).map((message) => message.timestamp),
  );
  assert.deepEqual(store.history(10).map((message) => new TextDecoder().decode(message.text)), [
    "two",
    "three",
    "four",
  ]);
  // A message stored long ago is served with its own timestamp, not the restart's.
  store.appendHistory(
    [{ timestamp: 1_000_000, username: "carol", text: new Uint8Array([104]) }],
    3,
  );
  store.close();
  await using server = startServer({ data: dir.path, history: 3 });
  const bob = await ChatPeer.login(server.port, "bob");
  const history = await bob.waitForMessages(3);
  assert.deepEqual(history, [...sent.slice(2), {
    timestamp: 1_000_000,
    username: "carol",
    text: "h",
  }]);
  await bob.close();
});

Deno.test("The history is trimmed to its length as it is written", () => {
  const path = Deno.makeTempDirSync({ prefix: "wirechat-data-" });
  try {
    const store = new DataStore(path);
    const writer = new HistoryWriter(store, 5, { maxBatch: 4 });
    const name = encodeString("alice");
    for (let i = 0; i < 23; i++) {
      writer.add(1_000_000 + i, name, new TextEncoder().encode(`m${i}`));
      if (writer.pending >= 4) writer.flush();
    }
    writer.close();
    const rows = store.history(100);
    assert.equal(rows.length, 5);
    assert.deepEqual(rows.map((row) => row.timestamp), [
      1_000_018,
      1_000_019,
      1_000_020,
      1_000_021,
      1_000_022,
    ]);
    assert.equal(rows[0]!.username, "alice");
    store.close();
  } finally {
    Deno.removeSync(path, { recursive: true });
  }
});

Deno.test("After SIGKILL, the history holds what was sent up to the last batch", async () => {
  await using dir = await tempDir();
  const flags = ["--data", dir.path, "--history", "50"];
  const permissions = ["--allow-net", "--allow-read", "--allow-write"];
  {
    await using server = await ServerProcess.start(flags, { denoArgs: permissions });
    const alice = await ChatPeer.login(server.port, "alice");
    for (let i = 0; i < 20; i++) await alice.sendString(`message ${i}`);
    await alice.waitForMessages(20);
    // A batch waits 50 ms at most: past it, everything is on disk.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await alice.close();
    const status = await server.stop("SIGKILL");
    assert.equal(status.signal, "SIGKILL");
  }
  await using server = await ServerProcess.start(flags, { denoArgs: permissions });
  const bob = await ChatPeer.login(server.port, "bob");
  const history = await bob.waitForMessages(20);
  assert.deepEqual(
    history.map((message) => message.text),
    [...Array(20).keys()].map((i) => `message ${i}`),
  );
  await bob.close();
});

Deno.test("A corrupt data file or an unusable folder is one line at start and exit 1", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/file`, "not a folder");
  await Deno.mkdir(`${dir.path}/garbage`);
  await Deno.writeFile(
    `${dir.path}/garbage/wirechat.sqlite`,
    new TextEncoder().encode("this is no database ".repeat(300)),
  );
  for (
    const [data, pattern] of [
      [`${dir.path}/file/data`, /Cannot use the data folder .*Not a directory/],
      [`${dir.path}/garbage`, /Cannot use the data file .*file is not a database/],
    ] as const
  ) {
    const { code, stderr } = await runDeno([
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "server.ts",
      "--port",
      "0",
      "--data",
      data,
    ]);
    assert.equal(code, 1);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, pattern);
    assert.doesNotMatch(stderr, /\bat \w|Error:/);
  }
});

Deno.test("Stored messages that break the limits or are not UTF-8 are skipped at start, and counted", async () => {
  await using dir = await tempDir();
  const store = new DataStore(dir.path);
  store.appendHistory([
    { timestamp: 1_000_000, username: "carol", text: new Uint8Array([0xff, 0xfe]) },
    { timestamp: 1_000_001, username: "carol", text: new Uint8Array(40) },
    { timestamp: 1_000_002, username: "c".repeat(40), text: new Uint8Array([104]) },
    { timestamp: 1_000_003, username: "carol", text: new Uint8Array([104, 105]) },
  ], 10);
  store.close();
  await using server = startServer({ data: dir.path, history: 10, maxMessageSize: 20 });
  await server.logs.waitFor(/history: 3 stored messages skipped as invalid/);
  const bob = await ChatPeer.login(server.port, "bob");
  await bob.sendString("now");
  const [first, second] = await bob.waitForMessages(2);
  assert.deepEqual(first, { timestamp: 1_000_003, username: "carol", text: "hi" });
  assert.equal(second!.text, "now");
  await bob.close();
});
