import assert from "node:assert/strict";
import { type ChatClient, type ChatMessage, connect } from "../client.ts";
import { encodeChatMessage } from "../mod.ts";
import { describe, parseHex } from "../examples/decode_capture.ts";
import { reply, runBot } from "../examples/time_bot.ts";
import { within } from "./support/deadline.ts";
import { projectFile, runDeno } from "./support/process.ts";
import { startServer } from "./support/test_server.ts";

const TIME_BOT = projectFile("examples/time_bot.ts");

/** `deno run` arguments that start the bot against 127.0.0.1:`port`. */
function botArgs(port: number | string): string[] {
  return ["run", "--allow-net=127.0.0.1", TIME_BOT, "--host", "127.0.0.1", "--port", String(port)];
}
const DECODE_CAPTURE = projectFile("examples/decode_capture.ts");

/** The next message from `username` whose text matches `text`; others are skipped. */
async function nextFrom(client: ChatClient, username: string, text = /^/): Promise<ChatMessage> {
  for await (const message of client) {
    if (message.username === username && text.test(message.text)) return message;
  }
  throw new Error(`The connection ended before a message from ${username}`);
}

const at = (timestamp: number, username: string, text: string) => ({ timestamp, username, text });

Deno.test("time bot answers !time with the server's clock and !help, never itself", () => {
  assert.equal(
    reply(at(1700000000, "alice", "!time"), "timebot"),
    "alice: it is 22:13:20 UTC on 2023-11-14, by the server's clock",
  );
  assert.equal(reply(at(1700000000, "bob", " !time "), "timebot")?.startsWith("bob: it is"), true);
  assert.match(reply(at(0, "alice", "!help"), "timebot")!, /^alice: say !time/);
  assert.equal(reply(at(0, "timebot", "!time"), "timebot"), undefined);
  assert.equal(reply(at(0, "alice", "what time is it"), "timebot"), undefined);
  assert.equal(
    reply(at(Number.MAX_SAFE_INTEGER, "eve", "!time"), "timebot"),
    "eve: the server's clock reads 9007199254740991 s, past any date",
  );
});

Deno.test("time bot, in-process, answers a client's !time through the server", async () => {
  await using server = startServer();
  const bot = await connect({ hostname: "127.0.0.1", port: server.port, username: "timebot" });
  const running = runBot(bot);
  await using alice = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    username: "alice",
  });
  await server.logs.waitFor(/logged in as "timebot"/);
  await server.logs.waitFor(/logged in as "alice"/);
  await alice.send("!time");
  const question = await within(nextFrom(alice, "alice"), "alice's echo");
  // The bot's greeting may come before or after the question: skip it.
  const answer = await within(nextFrom(alice, "timebot", /^alice: /), "the bot's answer");
  assert.equal(answer.text, reply(question, "timebot"));
  await bot.close();
  await running; // closing the client ends the bot's loop
});

Deno.test("time bot, run as a command, greets, answers, and exits 0 on SIGINT", async () => {
  await using server = startServer();
  await using alice = await connect({
    hostname: "127.0.0.1",
    port: server.port,
    username: "alice",
  });
  await server.logs.waitFor(/logged in as "alice"/);
  const bot = new Deno.Command(Deno.execPath(), {
    args: botArgs(server.port),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = bot.output();
  try {
    const greeting = await within(nextFrom(alice, "timebot"), "the bot's greeting");
    assert.equal(greeting.text, "timebot here: say !time, or !help");
    await alice.send("!help");
    const help = await within(nextFrom(alice, "timebot"), "the bot's help");
    assert.equal(help.text, "alice: say !time and I tell you the time by the server's clock");
  } finally {
    bot.kill("SIGINT");
  }
  const { code, stdout, stderr } = await output;
  assert.deepEqual({
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  }, {
    code: 0,
    stdout: "",
    stderr: "",
  });
  await server.logs.waitFor(/"timebot" disconnected: left/);
});

Deno.test("time bot, run as a command, says in one line that it cannot connect, exit 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(listener.addr.port);
  listener.close();
  const { code, stdout, stderr } = await runDeno(botArgs(port));
  assert.deepEqual({ code, stdout, stderr }, {
    code: 1,
    stdout: "",
    stderr: `Cannot connect to 127.0.0.1:${port}: connection refused\n`,
  });
});

Deno.test("decode_capture prints the messages of the shipped capture, safely", async () => {
  const { code, stdout, stderr } = await runDeno(["run", "--allow-read", DECODE_CAPTURE]);
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.equal(
    stdout,
    "2023-11-14T22:13:20Z [alice] hello\n" +
      "2023-11-14T22:13:21Z [bob] hi alice 👋\n" +
      "2023-11-14T22:13:25Z [eve] hi␊<22:13> [bob] I owe eve £100\n",
  );
});

Deno.test("decode_capture reads raw bytes, and names the fault of a cut-off capture, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wirechat_capture_" });
  try {
    const bytes = new Uint8Array([
      ...encodeChatMessage(at(1700000000, "alice", "hello")),
      ...encodeChatMessage(at(1700000001, "bob", "hi")).subarray(0, 20),
    ]);
    await Deno.writeFile(`${dir}/cut.bin`, bytes);
    const { code, stdout, stderr } = await runDeno([
      "run",
      "--allow-read",
      DECODE_CAPTURE,
      `${dir}/cut.bin`,
    ]);
    assert.equal(code, 1);
    assert.equal(stdout, "2023-11-14T22:13:20Z [alice] hello\n");
    assert.match(stderr, /^\/.*cut\.bin: Cannot decode frame: .* \(TRUNCATED\)\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decode_capture's hex dumps skip whitespace and comments, and refuse anything else", () => {
  assert.deepEqual(
    parseHex("00 ff # a comment: 12\n\tA0b1\n# 99\n"),
    new Uint8Array([0, 255, 0xa0, 0xb1]),
  );
  assert.throws(() => parseHex("00 0g"), SyntaxError, 'Cannot parse hex dump: line 1 holds "000g"');
  assert.throws(
    () => parseHex("00\n0"),
    SyntaxError,
    "Cannot parse hex dump: 3 digits, an odd number",
  );
  assert.equal(describe(at(0, "x\x1b", "a\rb")), "1970-01-01T00:00:00Z [x␛] a␍b");
});
