// deno-lint-ignore-file no-control-regex -- these tests are about control characters
import assert from "node:assert/strict";
import { serve } from "../server.ts";
import { encodeChatMessage } from "../mod.ts";
import { concat } from "./support/chunks.ts";
import { FakeServer } from "./support/fake_server.ts";
import { CLIENT } from "./support/client_process.ts";
import { PseudoTerminal, PTY_UNAVAILABLE, shellQuote } from "./support/pseudo_terminal.ts";
import type { VirtualTerminal } from "./support/virtual_terminal.ts";
import { next, observer } from "./support/receive.ts";

const ignore = PTY_UNAVAILABLE !== undefined;

/**
 * The client in terminal mode under a pseudo-terminal, followed by its exit
 * status and the terminal's modes as `stty` reports them once it is gone.
 */
function startClient(port: number, args: string[] = [], options: { color?: boolean } = {}) {
  const client = [
    Deno.execPath(),
    "run",
    "-q",
    "--allow-net=127.0.0.1",
    CLIENT,
    "--host",
    "127.0.0.1",
  ]
    .concat(["--port", String(port), ...args, "alice"])
    .map(shellQuote)
    .join(" ");
  // The shell survives the client's Ctrl-C (a trap with a command is not
  // inherited), to report its status and the terminal's modes.
  const command = `trap 'true' INT; ${
    options.color ? "env -u NO_COLOR " : ""
  }${client}; echo "[exit $?]"; stty -a`;
  return new PseudoTerminal(`sh -c ${shellQuote(command)}`, {
    env: { TZ: "UTC", ...(options.color ? {} : { NO_COLOR: "1" }) },
  });
}

/** The row the cursor is on. */
function cursorRow(screen: VirtualTerminal): string {
  return screen.lines[screen.cursor.row]!;
}

/** Waits for the prompt line to read `line` with the cursor at `column`. */
function promptIs(terminal: PseudoTerminal, line: string, column: number): Promise<void> {
  return terminal.waitFor(
    `the prompt line ${JSON.stringify(line)}`,
    (screen) => cursorRow(screen) === line.trimEnd() && screen.cursor.column === column,
  );
}

/** Waits for the client's exit, then checks the terminal is back to normal. */
async function assertExitAndRestored(terminal: PseudoTerminal, code: number): Promise<void> {
  await terminal.waitFor(
    "the terminal modes",
    (screen) => /\bicanon\b/.test(screen.history.join("\n")),
  );
  assert.equal(await terminal.close(), 0);
  const after = terminal.output.slice(terminal.output.indexOf("[exit "));
  assert.match(after, new RegExp(`^\\[exit ${code}\\]`));
  // Canonical mode, echo and signals back on: the terminal is restored.
  for (const mode of ["icanon", "echo", "isig", "icrnl", "opost"]) {
    assert.match(after, new RegExp(`(^|\\s)${mode}\\b`), `${mode} is on`);
    assert.doesNotMatch(after, new RegExp(`-${mode}\\b`), `${mode} is on`);
  }
}

Deno.test({
  name: "terminal mode keeps a half-typed line intact while a message arrives, and sends it",
  ignore,
  async fn() {
    await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
    await using bob = await observer(server.addr.port, "bob");
    await using terminal = startClient(server.addr.port);
    await promptIs(terminal, "> ", 2);

    await terminal.type("hello wor");
    await promptIs(terminal, "> hello wor", 11);
    await bob.send("a message from bob");
    assert.equal((await next(bob)).text, "a message from bob"); // bob's own echo
    // The message goes above, the half-typed line stays below it, intact, with
    // the cursor in place.
    await terminal.waitFor("bob's message above the prompt line", (screen) => {
      const { row, column } = screen.cursor;
      return /^<\d\d:\d\d> \[bob\] a message from bob$/.test(screen.lines[row - 1]!) &&
        screen.lines[row] === "> hello wor" && column === 11;
    });

    await terminal.type("ld\r");
    assert.equal((await next(bob)).text, "hello world");
    await terminal.waitFor(
      "alice's echo",
      (screen) => screen.lines.some((line) => line.endsWith("[alice] hello world")),
    );
    await promptIs(terminal, "> ", 2);

    await terminal.type("\x04"); // Ctrl-D on an empty line
    await assertExitAndRestored(terminal, 0);
  },
});

Deno.test({
  name: "terminal mode edits multi-byte characters whole, recalls history, and refuses oversize",
  ignore,
  async fn() {
    await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
    await using bob = await observer(server.addr.port, "bob");
    await using terminal = startClient(server.addr.port, ["--max-message-size", "12"]);
    await promptIs(terminal, "> ", 2);

    // п р и в е т: two to the left, Backspace takes "в", then X goes in.
    await terminal.type("привет\x1b[D\x1b[D\x7fX\r");
    assert.equal((await next(bob)).text, "приXет");
    // An emoji with a skin tone is one character for Left and Backspace.
    await terminal.type("a👋🏽b\x1b[D\x7f\r");
    assert.equal((await next(bob)).text, "ab");
    // Ctrl-U clears the line; Home and End; Up recalls the line before.
    await terminal.type("junk\x15x\x1b[Hy\x1b[Fz\r");
    assert.equal((await next(bob)).text, "yxz");
    await terminal.type("\x1b[A\x1b[A\r");
    assert.equal((await next(bob)).text, "ab");

    // 13 bytes: refused with a note, kept in the editor for a fix.
    await terminal.type("1234567890abc\r");
    await terminal.waitFor(
      "the note",
      (screen) =>
        screen.lines.some((line) =>
          line === "-- Message not sent: its size of 13 bytes exceeds the limit of 12 bytes"
        ),
    );
    await promptIs(terminal, "> 1234567890abc", 15);
    await terminal.type("\x7f\r");
    assert.equal((await next(bob)).text, "1234567890ab", "the next message is the fixed one");

    // An empty line is not sent.
    await terminal.type("\r\rlast\r");
    assert.equal((await next(bob)).text, "last");

    await terminal.type("\x03"); // Ctrl-C
    await assertExitAndRestored(terminal, 0);
  },
});

Deno.test({
  name: "terminal mode says the server closed the connection, exits 1 and restores the terminal",
  ignore,
  async fn() {
    const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
    await using terminal = startClient(server.addr.port);
    await promptIs(terminal, "> ", 2);
    await terminal.type("half");
    await promptIs(terminal, "> half", 6);
    await server.shutdown();
    await terminal.waitFor(
      "the error line",
      (screen) => screen.history.includes("Connection closed by the server"),
    );
    await assertExitAndRestored(terminal, 1);
    assert.ok(!terminal.output.includes("Stack backtrace"));
  },
});

Deno.test({
  name: "terminal mode colours user names unless NO_COLOR is set, and escapes peer text",
  ignore,
  async fn() {
    await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
    await using bob = await observer(server.addr.port, "bob");
    for (const color of [true, false]) {
      await using terminal = startClient(server.addr.port, [], { color });
      await promptIs(terminal, "> ", 2);
      await bob.send("\x1b[2Jclear\nforged\u202e");
      await terminal.waitFor(
        "the message",
        (screen) => screen.lines.some((line) => line.endsWith("[bob] ␛[2Jclear␊forged<U+202E>")),
      );
      assert.equal(/\[\x1b\[\d+mbob\x1b\[39m\]/.test(terminal.output), color);
      await terminal.type("\x04");
      await assertExitAndRestored(terminal, 0);
    }
  },
});

Deno.test({
  name: "terminal mode draws a burst of 5,000 messages in order, in batches, the half line intact",
  ignore,
  async fn() {
    await using server = new FakeServer();
    await using terminal = startClient(server.port);
    const peer = await server.accept();
    await promptIs(terminal, "> ", 2);
    await terminal.type("half lin\x1b[D\x1b[D");
    await promptIs(terminal, "> half lin", 8);

    const count = 5000;
    const frames = Array.from(
      { length: count },
      (_, i) => encodeChatMessage({ timestamp: 0, username: "bob", text: `burst ${i}` }),
    );
    await peer.send(concat(frames));
    await terminal.waitFor("the last message above the prompt line", (screen) => {
      const { row } = screen.cursor;
      return screen.lines[row - 1] === `<00:00> [bob] burst ${count - 1}`;
    });
    await promptIs(terminal, "> half lin", 8);

    const shown = terminal.screen.history.filter((line) => line.startsWith("<00:00> [bob] "));
    assert.deepEqual(shown, frames.map((_, i) => `<00:00> [bob] burst ${i}`));
    // One redraw of the prompt line per batch, not one per message.
    const redraws = terminal.output.split("> half lin").length - 1;
    assert.ok(redraws < count / 10, `${redraws} redraws of the prompt line for ${count} messages`);

    // The half line is still there to finish and send.
    await terminal.type("\x1b[Fe\r"); // End, then the last letter
    assert.equal(
      new TextDecoder().decode(await peer.receive(22)).slice(-13),
      "\x00\x00\x00\x09half line",
    );
    await terminal.type("\x04");
    await assertExitAndRestored(terminal, 0);
  },
});

Deno.test({
  name: "terminal mode wraps a long message at spaces, its continuation rows indented",
  ignore,
  async fn() {
    await using server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error" });
    await using bob = await observer(server.addr.port, "bob");
    await using terminal = startClient(server.addr.port);
    await promptIs(terminal, "> ", 2);
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(" ");
    await bob.send(words);
    await terminal.waitFor(
      "the message's last word",
      (screen) => screen.lines.some((line) => line.endsWith("word29")),
    );
    const start = terminal.screen.lines.findIndex((line) => line.includes("[bob] word0 "));
    const rows = terminal.screen.lines.slice(start, start + 3);
    assert.match(rows[0]!, /^<\d\d:\d\d> \[bob\] word0 .* word10$/);
    assert.equal(
      rows[1],
      "        word11 word12 word13 word14 word15 word16 word17 word18 word19 word20",
    );
    assert.equal(rows[2], "        word21 word22 word23 word24 word25 word26 word27 word28 word29");
    await terminal.type("\x04");
    await assertExitAndRestored(terminal, 0);
  },
});
