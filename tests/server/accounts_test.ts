import assert from "node:assert/strict";
import { AuthenticationError, connect, LoginRefusedError } from "../../client.ts";
import { SCRAM_LOGIN, ScramClient, scramVerifier } from "../../protocol/scram.ts";
import { DataStore } from "../../server/store/data_store.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

// One verifier at the real minimum of iterations, made once for the file (by the
// first test that needs it: an operation started outside a test is a leak).
let verifier: ReturnType<typeof scramVerifier> | undefined;

async function withAccounts(
  names: string[],
  options: Parameters<typeof startServer>[0] = {},
): Promise<TestServer & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "wirechat-accounts-" });
  const store = new DataStore(dir);
  for (const name of names) {
    store.addAccount(name, await (verifier ??= scramVerifier("correct horse")));
  }
  store.close();
  const server = startServer({ data: dir, ...options });
  return {
    ...server,
    dir,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("A registered name is refused without its password, with one line from *", async () => {
  await using server = await withAccounts(["alice"]);
  // The name, its case variants and its lookalikes (fullwidth, mathematical letters, a
  // capital I for the l): one name, the owner's. (`аlice` with a Cyrillic а never gets this
  // far: it mixes scripts.)
  for (const name of ["alice", "Alice", "ALICE", "ａｌｉｃｅ", "𝐚𝐥𝐢𝐜𝐞", "aIice"]) {
    const peer = await ChatPeer.login(server.port, name);
    const [why] = await peer.waitForMessages(1);
    assert.equal(why!.username, "*");
    assert.match(why!.text, /is registered/);
    assert.equal(await peer.waitForEnd(), "closed");
    await peer.close();
  }
  // An unregistered name still works as before.
  const bob = await ChatPeer.login(server.port, "bob");
  await bob.sendString("hi");
  await bob.waitForText("hi");
  await bob.close();
});

Deno.test("The owner logs in with connect({ password }) and is in the room", async () => {
  await using server = await withAccounts(["alice"]);
  await using alice = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    username: "alice",
    password: "correct horse",
  });
  await alice.send("it is me");
  for await (const message of alice) {
    assert.equal(`${message.username}: ${message.text}`, "alice: it is me");
    break;
  }
  await server.logs.waitFor(/logged in as "alice"/);
});

Deno.test("A wrong password is refused, logged with the address and never the password", async () => {
  await using server = await withAccounts(["alice"]);
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port: server.port, username: "alice", password: "hunter2" }),
    (error: Error) => error instanceof LoginRefusedError && /wrong password/.test(error.message),
  );
  const [line] = await server.logs.waitFor(/authentication .*failed: wrong password/);
  assert.match(line!, /127\.0\.0\.1:\d+/);
  assert.ok(!server.logs.matching(/hunter2/).length);
  assert.equal(server.server.stats.loggedIn, 0);
});

Deno.test("A lookalike of a registered name cannot authenticate as a new name", async () => {
  await using server = await withAccounts(["alice"]);
  // The owner's password under a case variant logs in (one account), a stranger's does not.
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port: server.port, username: "ALICE", password: "guess" }),
    LoginRefusedError,
  );
  await using owner = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    username: "ALICE",
    password: "correct horse",
  });
  assert.equal(owner.username, "ALICE");
});

Deno.test("An unregistered name with a password is refused with why; a server without --data refuses the marker", async () => {
  await using server = await withAccounts(["alice"]);
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port: server.port, username: "bob", password: "x" }),
    /not registered/,
  );
  await using plain = startServer();
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port: plain.port, username: "bob", password: "x" }),
    (error: Error) => /does not support accounts/.test(error.message),
  );
});

Deno.test("Each attempt gets a fresh server nonce", async () => {
  await using server = await withAccounts(["alice"]);
  const challenges: string[] = [];
  for (let i = 0; i < 2; i++) {
    const peer = await ChatPeer.login(server.port, SCRAM_LOGIN);
    await peer.sendString("n,,n=alice,r=samenonce");
    const [challenge] = await peer.waitForMessages(1);
    assert.equal(challenge!.username, "*");
    assert.match(challenge!.text, /^r=samenonce.+,s=.+,i=600000$/);
    challenges.push(challenge!.text);
    await peer.close();
  }
  assert.notEqual(challenges[0], challenges[1]);
});

Deno.test("Hostile authentications are refused with why: garbage, a message sent early", async () => {
  await using server = await withAccounts(["alice"]);
  const garbage = await ChatPeer.login(server.port, SCRAM_LOGIN);
  await garbage.sendString("hello everyone");
  const [why] = await garbage.waitForMessages(1);
  assert.match(why!.text, /not a SCRAM-SHA-256 client-first message/);
  assert.equal(await garbage.waitForEnd(), "closed");
  await garbage.close();
  // The proof and a message in one write: nothing of it reaches the room.
  const eager = await ChatPeer.login(server.port, SCRAM_LOGIN);
  const scram = new ScramClient("alice");
  await eager.sendString(scram.first);
  const [challenge] = await eager.waitForMessages(1);
  const final = await scram.final(challenge!.text, "correct horse");
  await eager.sendString(final);
  await eager.sendString("sneaked in");
  await eager.waitForEnd();
  await eager.close();
  assert.equal(server.server.stats.messages, 0);
});

Deno.test("The login deadline gives way to the authentication's while it is under way", async () => {
  await using server = await withAccounts(["alice"], { loginTimeout: 300 });
  const peer = await ChatPeer.login(server.port, SCRAM_LOGIN);
  const scram = new ScramClient("alice");
  await peer.sendString(scram.first);
  const [challenge] = await peer.waitForMessages(1);
  await new Promise((resolve) => setTimeout(resolve, 700)); // a password being typed
  assert.equal(peer.ended, undefined);
  await peer.sendString(await scram.final(challenge!.text, "correct horse"));
  const [, signature] = await peer.waitForMessages(2);
  assert.ok(scram.verify(signature!.text));
  await peer.sendString("typed slowly");
  await peer.waitForText("typed slowly");
  await peer.close();
});

Deno.test("--registered-only admits the owners alone", async () => {
  await using server = await withAccounts(["alice"], { registeredOnly: true });
  const bob = await ChatPeer.login(server.port, "bob");
  const [why] = await bob.waitForMessages(1);
  assert.match(why!.text, /registered names only/);
  await bob.waitForEnd();
  await bob.close();
  await using _alice = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    username: "alice",
    password: "correct horse",
  });
});

Deno.test("A failed attempt paces the next one on the same name", async () => {
  await using server = await withAccounts(["alice"]);
  const port = server.port;
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port, username: "alice", password: "one" }),
    LoginRefusedError,
  );
  const started = Date.now();
  await assert.rejects(
    connect({ hostname: "127.0.0.1", port, username: "alice", password: "two" }),
    LoginRefusedError,
  );
  // The second proof waited its turn (the interval is 500 ms; the PBKDF2 alone is less).
  assert.ok(Date.now() - started >= 400, `${Date.now() - started} ms`);
});

Deno.test("connect({ password }) is refused with AuthenticationError by a server that only echoes", async () => {
  // A seed server: it relays the client's own message back (from the marker's name).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: Uint8Array[] = [];
  const serving = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(4096);
    const echo = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]);
    let total = 0;
    while (true) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) break;
      received.push(buffer.slice(0, read));
      total += read;
      if (total >= 4 + SCRAM_LOGIN.length + 4) {
        // Echo the client-first message as from the marker, like the seed server.
        const login = buffer.slice(0, 4 + SCRAM_LOGIN.length);
        const rest = buffer.slice(4 + SCRAM_LOGIN.length, read);
        await conn.write(new Uint8Array([...echo, ...login, ...rest])).catch(() => {});
      }
    }
    conn.close();
  })();
  await assert.rejects(
    connect({
      hostname: "127.0.0.1",
      port: (listener.addr as Deno.NetAddr).port,
      username: "alice",
      password: "correct horse",
    }),
    (error: Error) => error instanceof AuthenticationError && error.kind === "unsupported",
  );
  await serving;
  listener.close();
  const bytes = new TextDecoder().decode(new Uint8Array(received.flatMap((chunk) => [...chunk])));
  assert.ok(!bytes.includes("p="), "no proof sent");
  assert.ok(!bytes.includes("correct horse"));
  assert.ok(bytes.includes("n,,n=alice,r="));
});
