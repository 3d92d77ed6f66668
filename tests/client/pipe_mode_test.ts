import assert from "node:assert/strict";
import { ChatClient, connect, LoginRefusedError } from "../../client.ts";
import { runPipeMode } from "../../client/command/pipe_mode.ts";
import { COMMANDS_HELP } from "../../client/command/slash_command.ts";
import { encodeChatMessage, encodeString } from "../../mod.ts";
import { concat } from "../support/chunks.ts";
import { FakeServer } from "../support/fake_server.ts";

const encoder = new TextEncoder();

/** An input stream of the given chunks that ends, or stays open when `end` is false. */
function input(chunks: string[], end = true): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (end) controller.close();
    },
  });
}

async function setUp(options: { maxMessageSize?: number; closeOnEnd?: boolean } = {}) {
  const server = new FakeServer({ closeOnEnd: options.closeOnEnd ?? true });
  const [client, peer] = await Promise.all([
    connect({ hostname: "127.0.0.1", port: server.port, username: "bob", ...options }),
    server.accept(),
  ]);
  const printed: string[] = [];
  const warned: string[] = [];
  return {
    server,
    client,
    peer,
    printed,
    warned,
    print: (lines: readonly string[]) => void printed.push(...lines),
    warn: (line: string) => void warned.push(line),
  };
}

/** Plays a server that echoes: waits for `texts` after the login, sends each back. */
async function echo(peer: Awaited<ReturnType<typeof setUp>>["peer"], texts: string[]) {
  const expected = concat(["bob", ...texts].map(encodeString));
  assert.deepEqual(await peer.receive(expected.length), expected);
  await peer.send(
    concat(texts.map((text) => encodeChatMessage({ timestamp: 0, username: "bob", text }))),
  );
}

Deno.test("runPipeMode sends each line as it was, without its \\n or \\r\\n", async () => {
  const { server, client, peer, print, warn } = await setUp();
  await using _ = server;
  const lines = [
    "plain",
    "",
    "  spaced\t ",
    "crlf",
    "lone\rcr",
    "ünïcödé 👋",
    "last, unterminated",
  ];
  const session = runPipeMode(client, {
    input: input(["plain\n\n  spaced\t \ncrlf\r\nlone\rcr\nünïcö", "dé 👋\nlast, unterminated"]),
    print,
    warn,
  });
  await echo(peer, lines);
  assert.deepEqual(await session, { kind: "quit" });
  assert.deepEqual(peer.received, concat(["bob", ...lines].map(encodeString)));
});

Deno.test("runPipeMode prints every message received as <HH:MM> [user] text, sanitized", async () => {
  const { server, client, peer, printed, print, warn } = await setUp();
  await using _ = server;
  const timestamp = new Date(2024, 0, 1, 9, 5).getTime() / 1000;
  await peer.send(
    encodeChatMessage({ timestamp, username: "alice", text: "hi\n<09:05> [bob] forged" }),
  );
  await peer.send(encodeChatMessage({ timestamp, username: "eve\u202e", text: "\x1b[2J" }));
  const session = runPipeMode(client, { input: input(["ok\n"]), print, warn });
  await echo(peer, ["ok"]);
  assert.deepEqual(await session, { kind: "quit" });
  assert.deepEqual(printed.slice(0, 2), [
    "<09:05> [alice] hi␊<09:05> [bob] forged",
    "<09:05> [eve<U+202E>] ␛[2J",
  ]);
  assert.match(printed[2]!, /^<\d\d:\d\d> \[bob\] ok$/);
});

Deno.test("runPipeMode at the end of input waits for its own echoes before closing", async () => {
  const { server, client, peer, printed, print, warn } = await setUp();
  await using _ = server;
  const texts = Array.from({ length: 500 }, (_, i) => `line ${i}`);
  const session = runPipeMode(client, {
    input: input([texts.join("\n") + "\n"]),
    print,
    warn,
    wait: 60_000,
  });
  // Another user speaks first; the echoes come back only after the whole input.
  await peer.send(encodeChatMessage({ timestamp: 0, username: "alice", text: "line 0" }));
  await echo(peer, texts);
  assert.deepEqual(await session, { kind: "quit" });
  assert.equal(printed.length, 501);
  assert.ok(printed.at(-1)!.endsWith("[bob] line 499"));
});

Deno.test("runPipeMode gives up when no echo comes for `wait`, and says how many lines were not confirmed", async () => {
  const { server, client, peer, printed, warned, print, warn } = await setUp();
  await using _ = server;
  const session = runPipeMode(client, {
    input: input(["answered\nunanswered\nunanswered too\n"]),
    print,
    warn,
    wait: 200,
  });
  const sent = concat(["bob", "answered", "unanswered", "unanswered too"].map(encodeString));
  assert.deepEqual(await peer.receive(sent.length), sent);
  await peer.send(encodeChatMessage({ timestamp: 0, username: "bob", text: "answered" }));
  assert.deepEqual(await session, { kind: "quit", notConfirmed: 2 });
  assert.deepEqual(await peer.untilEnd(), sent);
  assert.equal(printed.length, 1);
  assert.deepEqual(warned, ["2 of 3 lines not confirmed: no echo from the server for 0.2 s"]);
});

Deno.test("runPipeMode waits as long as echoes keep coming, longer in all than `wait`", async () => {
  const { server, client, peer, printed, warned, print, warn } = await setUp();
  await using _ = server;
  const texts = ["one", "two", "three", "four", "five"];
  const session = runPipeMode(client, { input: input([texts.join("\n")]), print, warn, wait: 400 });
  const expected = concat(["bob", ...texts].map(encodeString));
  assert.deepEqual(await peer.receive(expected.length), expected);
  // A paced sender: one echo every 150 ms, 750 ms in all.
  for (const text of texts) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    await peer.send(encodeChatMessage({ timestamp: 0, username: "bob", text }));
  }
  assert.deepEqual(await session, { kind: "quit" });
  assert.equal(printed.length, 5);
  assert.deepEqual(warned, []);
});

Deno.test("runPipeMode: /WHO is sent as /who, /help and unknown commands answered on stderr, //x sends /x, /quit ends", async () => {
  const { server, client, peer, warned, print, warn } = await setUp();
  await using _ = server;
  const session = runPipeMode(client, {
    input: input([" /WHO \n/help\n/nick bob\n//etc\n/Quit\nnever sent\n"], false),
    print,
    warn,
    wait: 60_000,
  });
  const expected = concat(["bob", "/who", "/etc"].map(encodeString));
  assert.deepEqual(await peer.receive(expected.length), expected);
  // A server that knows /who answers it from * instead of relaying it.
  await peer.send(
    concat([
      encodeChatMessage({ timestamp: 0, username: "*", text: "1 here: bob" }),
      encodeChatMessage({ timestamp: 0, username: "bob", text: "/etc" }),
    ]),
  );
  assert.deepEqual(await session, { kind: "quit", notSent: 1 });
  assert.deepEqual(await peer.untilEnd(), expected);
  assert.deepEqual(warned, [
    ...COMMANDS_HELP,
    "line 3: /nick: unknown command; //text sends a line starting with /; not sent",
  ]);
});

Deno.test("runPipeMode says the login was refused, with the server's reason", async () => {
  const { server, client, peer, print, warn } = await setUp();
  await using _ = server;
  const session = runPipeMode(client, { input: input([], false), print, warn });
  await peer.receive(encodeString("bob").length);
  await peer.send(
    encodeChatMessage({ timestamp: 0, username: "*", text: 'the name "bob" is taken' }),
  );
  await peer.close();
  const end = await session;
  assert.equal(end.kind, "disconnected");
  assert.ok(end.kind === "disconnected" && end.error instanceof LoginRefusedError);
  assert.equal(end.error.message, 'Login refused: the name "bob" is taken');
});

Deno.test("runPipeMode says why the server closed the connection, and counts what was not confirmed", async () => {
  const { server, client, peer, print, warn } = await setUp();
  await using _ = server;
  const line = "x".repeat(40);
  const session = runPipeMode(client, { input: input([`${line}\n`], false), print, warn });
  await peer.receive(concat(["bob", line].map(encodeString)).length);
  await peer.send(
    encodeChatMessage({
      timestamp: 0,
      username: "*",
      text: "message of 40 bytes over the limit of 20",
    }),
  );
  await peer.close();
  const end = await session;
  assert.equal(end.kind, "disconnected");
  assert.ok(end.kind === "disconnected");
  assert.equal(
    end.error.message,
    "Connection closed by the server: message of 40 bytes over the limit of 20",
  );
  assert.equal(end.notConfirmed, 1);
});

Deno.test("runPipeMode refuses a line over the limit by its number, sends the others, counts it", async () => {
  const { server, client, peer, warned, print, warn } = await setUp({ maxMessageSize: 4 });
  await using _ = server;
  const session = runPipeMode(client, { input: input(["1234\n12345\nжжж\nok\n"]), print, warn });
  await echo(peer, ["1234", "ok"]);
  assert.deepEqual(await session, { kind: "quit", notSent: 2 });
  assert.deepEqual(warned, [
    "line 2: message of 5 bytes exceeds the limit of 4; not sent",
    "line 3: message of 6 bytes exceeds the limit of 4; not sent",
  ]);
});

Deno.test("runPipeMode with linger keeps reading after its echoes, then quits", async () => {
  const { server, client, peer, printed, print, warn } = await setUp();
  await using _ = server;
  const started = performance.now();
  const session = runPipeMode(client, { input: input(["!time\n"]), print, warn, linger: 300 });
  await echo(peer, ["!time"]);
  await new Promise((resolve) => setTimeout(resolve, 100)); // after the echo
  await peer.send(encodeChatMessage({ timestamp: 0, username: "bot", text: "tea time" }));
  assert.deepEqual(await session, { kind: "quit" });
  assert.ok(performance.now() - started >= 300);
  assert.equal(printed.length, 2);
  assert.ok(printed[1]!.endsWith("[bot] tea time"), printed[1]);
});

Deno.test("runPipeMode ends when the server closes the connection, without waiting for input", async () => {
  const { server, client, peer, printed, print, warn } = await setUp();
  await using _ = server;
  const session = runPipeMode(client, { input: input(["first\n"], false), print, warn });
  await echo(peer, ["first"]);
  await peer.close();
  const end = await session;
  assert.equal(end.kind, "disconnected");
  assert.equal(end.kind === "disconnected" && end.error.message, "Connection closed by the server");
  assert.equal(printed.length, 1, "what came before the close is printed");
});

Deno.test("runPipeMode counts a server that closes once all is echoed as a normal end", async () => {
  const { server, client, peer, print, warn } = await setUp();
  await using _ = server;
  const session = runPipeMode(client, {
    input: input(["one\n"]),
    print,
    warn,
    wait: 60_000,
  });
  await echo(peer, ["one"]);
  await peer.close();
  assert.deepEqual(await session, { kind: "quit" });
});

Deno.test("runPipeMode reports output it cannot write", async () => {
  const { server, client, peer, warn } = await setUp();
  await using _ = server;
  const broken = new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
  const session = runPipeMode(client, {
    input: input([], false),
    print: () => {
      throw broken;
    },
    warn,
  });
  await peer.send(encodeChatMessage({ timestamp: 0, username: "alice", text: "hi" }));
  const end = await session;
  assert.equal(end.kind, "failed");
  assert.equal(end.kind === "failed" && end.error.message, "Cannot write output: broken pipe");
  assert.equal(end.kind === "failed" && end.error.cause, broken);
});

Deno.test("runPipeMode reports input it cannot read, after sending what it read", async () => {
  const { server, client, peer, warn, print } = await setUp();
  await using _ = server;
  let pulls = 0;
  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(encoder.encode("read\n"));
      else controller.error(new Deno.errors.Interrupted("Interrupted system call (os error 4)"));
    },
  }, { highWaterMark: 0 });
  const end = await runPipeMode(client, { input: failing, print, warn });
  assert.equal(end.kind, "failed");
  assert.equal(
    end.kind === "failed" && end.error.message,
    "Cannot read input: interrupted system call",
  );
  assert.deepEqual(await peer.untilEnd(), concat(["bob", "read"].map(encodeString)));
});

Deno.test("runPipeMode reports the server's reason, not the error of a send it cut short", async () => {
  // A connection whose writes fail once the login is out, and whose reads bring
  // the server's reason only a moment later, as a reset socket can.
  const farewell = encodeChatMessage({
    timestamp: 0,
    username: "*",
    text: 'the name "bob" is taken',
  });
  let writes = 0;
  const failed = Promise.withResolvers<void>();
  let reads = 0;
  const conn = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 9000 },
    write(bytes: Uint8Array): Promise<number> {
      if (writes++ === 0) return Promise.resolve(bytes.length);
      failed.resolve();
      return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
    },
    async read(buffer: Uint8Array): Promise<number | null> {
      if (reads++ > 0) return null;
      await failed.promise;
      await new Promise((resolve) => setTimeout(resolve, 100));
      buffer.set(farewell);
      return farewell.length;
    },
    closeWrite: () => Promise.resolve(),
    close() {},
  } as unknown as Deno.Conn;
  const client = new ChatClient(conn, { username: "bob" });
  const end = await runPipeMode(client, {
    input: input(["hi\n"], false),
    print: () => {},
    warn: () => {},
  });
  assert.equal(end.kind, "disconnected");
  assert.equal(
    end.kind === "disconnected" && end.error.message,
    'Login refused: the name "bob" is taken',
  );
});
