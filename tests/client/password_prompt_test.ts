import assert from "node:assert/strict";
import { scramVerifier } from "../../protocol/scram.ts";
import { serve } from "../../server.ts";
import { DataStore } from "../../server/store/data_store.ts";
import { CLIENT } from "../support/client_process.ts";
import { PseudoTerminal, PTY_UNAVAILABLE, shellQuote } from "../support/pseudo_terminal.ts";

Deno.test({
  name: "on a terminal, a registered name asks for the password without echo, then logs in",
  ignore: PTY_UNAVAILABLE !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "wirechat-prompt-" });
    const store = new DataStore(dir);
    store.addAccount("alice", await scramVerifier("correct horse"));
    store.close();
    const server = serve({ hostname: "127.0.0.1", port: 0, logLevel: "error", data: dir });
    try {
      const client = [
        Deno.execPath(),
        "run",
        "-q",
        "--allow-net=127.0.0.1",
        CLIENT,
        "--host",
        "127.0.0.1",
        "--port",
        String(server.addr.port),
        "alice",
      ].map(shellQuote).join(" ");
      const command = `trap 'true' INT; ${client}; echo "[exit $?]"`;
      await using terminal = new PseudoTerminal(`sh -c ${shellQuote(command)}`, {
        env: { TZ: "UTC", NO_COLOR: "1" },
      });
      await terminal.waitFor(
        "the password prompt",
        (screen) => screen.lines.some((line) => line.startsWith("Password for alice:")),
      );
      await terminal.type("correct horse\r");
      await terminal.waitFor(
        "the chat's prompt",
        (screen) => screen.lines[screen.cursor.row] === ">" && screen.cursor.column === 2,
      );
      await terminal.type("hello\r");
      await terminal.waitFor(
        "alice's echo",
        (screen) => screen.lines.some((line) => line.endsWith("[alice] hello")),
      );
      await terminal.type("\x04");
      await terminal.waitFor(
        "the exit",
        (screen) => screen.history.concat(screen.lines).some((line) => line === "[exit 0]"),
      );
      assert.ok(!terminal.output.includes("correct horse"), "the password is not echoed");
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
