#!/usr/bin/env -S deno run --allow-all
/**
 * `deno task bench:client`: how fast the command-line client prints a flood.
 *
 * A small fake server on 127.0.0.1 waits for the client's login, then writes
 * 20,000 pre-encoded messages of 64 bytes of text at once. The client runs on a
 * pseudo-terminal (`script` from util-linux) and in a pipe; the figure is
 * messages per second from the first byte the server writes to the last line
 * the client prints. Beside them, `cat` prints the same lines, as the client
 * formats them, from a file, on a pseudo-terminal and in a pipe: the baseline,
 * measured in the same run (its time includes starting `cat`).
 *
 * ```sh
 * deno task bench:client                 # 20,000 messages, best of 3 runs
 * deno task bench:client --messages 5000 --runs 1
 * ```
 *
 * @module
 */

import { integerValue, parseFlags, UsageError } from "../cli/flags.ts";
import { encodeChatMessage } from "../protocol/encode.ts";

const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const TEXT_SIZE = 64;
const NEWLINE = 10;
const EMPTY_PROMPT = "> \x1b[K\r\x1b[2C";

/** Where the output goes: a pseudo-terminal or a pipe. */
type Output = "terminal" | "pipe";

/** One measured run. */
interface Run {
  /** Messages per second. */
  rate: number;
  /** Whether the prompt line was drawn intact after the last message (terminal only). */
  promptIntact: boolean;
}

/** The text of message `i`: its number, padded to 64 bytes. */
function messageText(i: number): string {
  return `flood ${String(i).padStart(6, "0")} `.padEnd(TEXT_SIZE, "x");
}

/** Every frame of the flood, in one buffer, and the lines a client prints for them. */
function makeFlood(count: number): { bytes: Uint8Array; lines: string } {
  const frames = Array.from(
    { length: count },
    (_, i) => encodeChatMessage({ timestamp: 0, username: "bob", text: messageText(i) }),
  );
  const bytes = new Uint8Array(frames.reduce((size, frame) => size + frame.length, 0));
  let at = 0;
  for (const frame of frames) {
    bytes.set(frame, at);
    at += frame.length;
  }
  const lines = Array.from({ length: count }, (_, i) => `<00:00> [bob] ${messageText(i)}\n`);
  return { bytes, lines: lines.join("") };
}

/** Runs `command` under a pseudo-terminal of 24 × 200, or with pipes. */
function spawn(output: Output, command: string[]): Deno.ChildProcess {
  const env = { NO_COLOR: "1", TZ: "UTC", SHELL: "/bin/sh" };
  if (output === "pipe") {
    return new Deno.Command(command[0]!, {
      args: command.slice(1),
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  }
  const quoted = command.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
  return new Deno.Command("script", {
    args: [
      "--quiet",
      "--flush",
      "--return",
      "--command",
      `stty rows 24 cols 200; exec ${quoted}`,
      "/dev/null",
    ],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/**
 * Reads a child's output until `count` lines have come, then a little more.
 *
 * @returns When the last line came (performance.now()), and the output after it.
 */
async function readLines(
  child: Deno.ChildProcess,
  count: number,
): Promise<{ end: number; tail: string }> {
  const reader = child.stdout.getReader();
  let seen = 0;
  let end = 0;
  let tail = new Uint8Array(0);
  while (seen < count) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`The output ended after ${seen} of ${count} lines`);
    for (let at = value.indexOf(NEWLINE); at !== -1; at = value.indexOf(NEWLINE, at + 1)) {
      if (++seen === count) {
        end = performance.now();
        tail = value.slice(at + 1);
        break;
      }
    }
  }
  // The prompt line drawn after the last batch may come in the next read.
  const more = await Promise.race([
    reader.read(),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 200)),
  ]);
  const rest = more?.value ?? new Uint8Array(0);
  reader.releaseLock();
  void child.stdout.cancel().catch(() => {});
  return { end, tail: new TextDecoder().decode(tail) + new TextDecoder().decode(rest) };
}

/** Ends a child: Ctrl-D on a terminal, end of input on a pipe, then SIGTERM if need be. */
async function stop(child: Deno.ChildProcess, output: Output): Promise<void> {
  const writer = child.stdin.getWriter();
  if (output === "terminal") await writer.write(new Uint8Array([4])).catch(() => {});
  await writer.close().catch(() => {});
  const timer = setTimeout(() => child.kill("SIGTERM"), 5000);
  await child.status;
  clearTimeout(timer);
}

/** The client against a fake server that floods it once it has logged in. */
async function runClient(output: Output, flood: Uint8Array, count: number): Promise<Run> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const child = spawn(output, [
    Deno.execPath(),
    "run",
    "-q",
    "--allow-net=127.0.0.1",
    CLIENT,
    "--host",
    "127.0.0.1",
    "--port",
    String(listener.addr.port),
    "bob",
  ]);
  const conn = await listener.accept();
  // The login: the user name "bob", 7 bytes.
  const login = new Uint8Array(64);
  for (let got = 0; got < 7;) {
    const read = await conn.read(login);
    if (read === null) throw new Error("The client closed before logging in");
    got += read;
  }
  const reading = readLines(child, count);
  const start = performance.now();
  const writing = (async () => {
    for (let at = 0; at < flood.length;) at += await conn.write(flood.subarray(at));
  })();
  const { end, tail } = await reading;
  await writing;
  await stop(child, output);
  conn.close();
  return {
    rate: count / ((end - start) / 1000),
    // The empty prompt line, cursor after "> ", closes the output.
    promptIntact: output === "pipe" || tail.endsWith(EMPTY_PROMPT),
  };
}

/** `cat` of the lines the client prints, from a file. */
async function runCat(output: Output, file: string, count: number): Promise<Run> {
  const start = performance.now();
  const child = spawn(output, ["cat", file]);
  const { end } = await readLines(child, count);
  await stop(child, output);
  return { rate: count / ((end - start) / 1000), promptIntact: true };
}

function best(runs: readonly Run[]): Run {
  return runs.reduce((a, b) => (b.rate > a.rate ? b : a));
}

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    messages: { type: "string" },
    runs: { type: "string" },
  });
  const count = integerValue("messages", values.messages ?? "20000", 1, 10_000_000);
  const runs = integerValue("runs", values.runs ?? "3", 1, 100);
  const { bytes, lines } = makeFlood(count);
  const file = await Deno.makeTempFile({ prefix: "wirechat-flood-" });
  try {
    await Deno.writeTextFile(file, lines);
    console.log(
      `Client flood: ${
        count.toLocaleString("en")
      } messages of ${TEXT_SIZE} bytes, best of ${runs}\n`,
    );
    console.log("| output                  | client msg/s | `cat` msg/s | prompt intact |");
    console.log("| ----------------------- | -----------: | ----------: | ------------- |");
    for (const output of ["terminal", "pipe"] as const) {
      const client: Run[] = [];
      const cat: Run[] = [];
      for (let i = 0; i < runs; i++) {
        client.push(await runClient(output, bytes, count));
        cat.push(await runCat(output, file, count));
      }
      const label = output === "terminal" ? "pseudo-terminal (script)" : "pipe";
      const rate = (run: Run) => Math.round(run.rate).toLocaleString("en");
      const intact = output === "terminal"
        ? (client.every((run) => run.promptIntact) ? "yes" : "NO")
        : "n/a";
      console.log(
        `| ${label.padEnd(23)} | ${rate(best(client)).padStart(12)} | ${
          rate(best(cat)).padStart(11)
        } | ${intact.padEnd(13)} |`,
      );
    }
  } finally {
    await Deno.remove(file);
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`client_flood: ${error.message}`);
    Deno.exit(1);
  }
}
