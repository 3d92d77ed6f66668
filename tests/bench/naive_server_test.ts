import assert from "node:assert/strict";
import { type NaiveServer, startNaiveServer } from "../../bench/naive_server.ts";
import { parseServerSpec, ServerProcess } from "../../bench/server_process.ts";
import { type ChatMessage, ClientDecoder, encodeString } from "../../mod.ts";
import { defaultServers } from "../../bench/run.ts";

/** A raw test client: sends bytes, collects decoded messages, sees the close. */
class TestClient {
  readonly messages: ChatMessage[] = [];
  readonly #conn: Deno.TcpConn;
  readonly #decoder = new ClientDecoder((message) => this.messages.push(message));
  readonly closed: Promise<void>;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.closed = this.#read();
  }

  static async connect(server: NaiveServer): Promise<TestClient> {
    return new TestClient(await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  }

  async send(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) at += await this.#conn.write(bytes.subarray(at));
  }

  async waitFor(count: number): Promise<void> {
    for (let waited = 0; this.messages.length < count; waited += 5) {
      if (waited > 2000) throw new Error(`Timed out: ${this.messages.length} of ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // the server closed it
    }
    await this.closed;
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(4096);
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) return;
        this.#decoder.push(buffer.subarray(0, n));
      }
    } catch {
      // closed
    }
  }
}

Deno.test("naive server relays every message to every logged-in client, the sender too", async () => {
  const server = startNaiveServer();
  const [alice, bob, lurker] = await Promise.all([
    TestClient.connect(server),
    TestClient.connect(server),
    TestClient.connect(server),
  ]);
  try {
    await alice.send(encodeString("alice"));
    await bob.send(encodeString("bob"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await alice.send(encodeString("hi bob"));
    await alice.waitFor(1);
    await bob.send(encodeString("hi alice"));
    await Promise.all([alice.waitFor(2), bob.waitFor(2)]);
    for (const client of [alice, bob]) {
      assert.deepEqual(client.messages.map((m) => [m.username, m.text]), [
        ["alice", "hi bob"],
        ["bob", "hi alice"],
      ]);
      const now = Date.now() / 1000;
      for (const message of client.messages) assert.ok(Math.abs(message.timestamp - now) < 5);
    }
    assert.equal(lurker.messages.length, 0, "a client that has not logged in receives nothing");
  } finally {
    await Promise.all([alice.close(), bob.close(), lurker.close()]);
    await server.close();
  }
});

Deno.test("naive server closes a connection whose string exceeds its limit", async () => {
  const server = startNaiveServer({ maxUsernameSize: 5, maxMessageSize: 10 });
  const [long, ok, chatty] = await Promise.all([
    TestClient.connect(server),
    TestClient.connect(server),
    TestClient.connect(server),
  ]);
  try {
    await long.send(encodeString("abcdef"));
    await long.closed;
    await ok.send(encodeString("abcde"));
    await chatty.send(encodeString("c"));
    await chatty.send(encodeString("0123456789"));
    await chatty.waitFor(1);
    await chatty.send(new Uint8Array([0, 0, 0, 11])); // no payload needed
    await chatty.closed;
    await ok.waitFor(1);
    assert.deepEqual(ok.messages.map((m) => m.text), ["0123456789"]);
  } finally {
    await Promise.all([long.close(), ok.close(), chatty.close()]);
    await server.close();
  }
});

Deno.test("naive server closes a connection that sends invalid UTF-8", async () => {
  const server = startNaiveServer();
  const client = await TestClient.connect(server);
  try {
    await client.send(encodeString("bob"));
    await client.send(new Uint8Array([0, 0, 0, 2, 0xc3, 0x28]));
    await client.closed;
    assert.equal(client.messages.length, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("naive server CLI starts under ServerProcess, announces its port and stops", async () => {
  const server = await ServerProcess.start(defaultServers().naive);
  try {
    assert.ok(server.port > 0);
    assert.match(server.log.join("\n"), new RegExp(`listening on 127\\.0\\.0\\.1:${server.port}`));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    conn.close();
  } finally {
    await server.stop();
  }
  assert.equal(server.running, false);
});

Deno.test("ServerProcess gives a {port} placeholder a free port", async () => {
  const script = new URL("../../bench/naive_server.ts", import.meta.url).pathname;
  // Ready means it accepts connections; the listening line may be read later, so
  // it is made a condition of being ready too.
  const server = await ServerProcess.start({
    ...parseServerSpec(`naive=${Deno.execPath()} run --allow-net ${script} --port {port}`),
    readyLine: /listening on /,
  });
  try {
    assert.ok(server.port > 0);
    // Ready means it accepts connections; its log line may come a moment later.
    const line = new RegExp(`listening on 127\\.0\\.0\\.1:${server.port}`);
    for (let i = 0; i < 250 && !line.test(server.log.join("\n")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(server.log.join("\n"), line);
  } finally {
    await server.stop();
  }
});

Deno.test("ServerProcess reports a server that exits, with its log", async () => {
  await assert.rejects(
    ServerProcess.start({ label: "bad", command: ["sh", "-c", "echo oops >&2; exit 3"] }),
    /Cannot start bad: it exited; its log ends with:\noops/,
  );
});
