import assert from "node:assert/strict";
import denoConfig from "../../deno.json" with { type: "json" };
import { HELP, parseCommand, UsageError, VERSION } from "../../client/command/cli_options.ts";
import { ProtocolError } from "../../protocol/errors.ts";

function usageError(message: string | RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}

// A user name no server takes is not a usage error: the command line is right.
function nameError(message: string | RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${error}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}

Deno.test("parseCommand takes the defaults of the original", () => {
  assert.deepEqual(parseCommand(["bob"]), {
    kind: "chat",
    options: {
      hostname: "localhost",
      port: 9000,
      username: "bob",
      maxUsernameSize: 25,
      maxMessageSize: 3000,
      maxIncomingSize: 16 * 1024 * 1024,
      writeTimeout: 30_000,
      maxBacklog: 100_000,
      reconnect: true,
      wait: 10_000,
      linger: 0,
    },
  });
});

Deno.test("parseCommand reads every flag, with separate or inline values", () => {
  const command = parseCommand([
    "--host",
    "chat.example",
    "--port=9001",
    "--max-username-size",
    "10",
    "--max-message-size=100",
    "--max-incoming-size",
    "1000",
    "--write-timeout=2",
    "--max-backlog",
    "50",
    "--no-reconnect",
    "alice",
  ]);
  assert.deepEqual(command, {
    kind: "chat",
    options: {
      hostname: "chat.example",
      port: 9001,
      username: "alice",
      maxUsernameSize: 10,
      maxMessageSize: 100,
      maxIncomingSize: 1000,
      writeTimeout: 2000,
      maxBacklog: 50,
      reconnect: false,
      wait: 10_000,
      linger: 0,
    },
  });
});

Deno.test("parseCommand takes a user name that starts with a dash after --", () => {
  const command = parseCommand(["--", "-bob-"]);
  assert.equal(command.kind === "chat" && command.options.username, "-bob-");
});

Deno.test("parseCommand skips a leading -- before a flag, as deno task passes it through", () => {
  const command = parseCommand(["--", "--port", "9001", "bob"]);
  assert.equal(command.kind === "chat" && command.options.port, 9001);
  assert.deepEqual(parseCommand(["--", "-V"]), { kind: "version" });
});

Deno.test("parseCommand takes --wait and --linger in seconds, for pipe mode", () => {
  const command = parseCommand(["--wait", "2.5", "--linger", "1", "bob"]);
  assert.ok(command.kind === "chat");
  assert.equal(command.options.wait, 2500);
  assert.equal(command.options.linger, 1000);
  const plain = parseCommand(["bob"]);
  assert.ok(plain.kind === "chat");
  assert.equal(plain.options.wait, 10_000); // for each next echo
  assert.equal(plain.options.linger, 0);
  assert.throws(
    () => parseCommand(["--wait", "soon", "bob"]),
    usageError('invalid value for --wait: "soon" (expected seconds from 0.1 to 86400)'),
  );
  assert.throws(() => parseCommand(["--wait", "0", "bob"]), usageError(/--wait/));
});

Deno.test("parseCommand refuses --max-message-size 0: nothing could be said", () => {
  assert.throws(
    () => parseCommand(["--max-message-size", "0", "bob"]),
    usageError(/invalid value for --max-message-size: "0" \(expected an integer from 1 to/),
  );
});

Deno.test("parseCommand gives --help and --version precedence over a missing user name", () => {
  assert.deepEqual(parseCommand(["--help"]), { kind: "help" });
  assert.deepEqual(parseCommand(["-h"]), { kind: "help" });
  assert.deepEqual(parseCommand(["--version"]), { kind: "version" });
  assert.deepEqual(parseCommand(["-V", "bob"]), { kind: "version" });
});

Deno.test("parseCommand refuses a missing or extra user name", () => {
  assert.throws(() => parseCommand([]), usageError("missing user name"));
  assert.throws(() => parseCommand(["--port", "9000"]), usageError("missing user name"));
  assert.throws(
    () => parseCommand(["bob", "alice"]),
    usageError("unexpected argument alice (give one user name)"),
  );
});

Deno.test("parseCommand refuses unknown flags and flags without their value", () => {
  assert.throws(() => parseCommand(["--nick", "bob"]), usageError("unknown option --nick"));
  assert.throws(() => parseCommand(["-x", "bob"]), usageError("unknown option -x"));
  assert.throws(
    () => parseCommand(["bob", "--port"]),
    usageError("option --port needs a value"),
  );
  assert.throws(() => parseCommand(["--help=yes"]), usageError("option --help takes no value"));
});

Deno.test("parseCommand refuses a port or size that is not an integer in range", () => {
  for (const port of ["0", "65536", "abc", "-1", "1e3", "80.5", "", " 80", "0x50"]) {
    assert.throws(
      () => parseCommand(["--port", port, "bob"]),
      usageError(
        `invalid value for --port: "${port}" (expected an integer from 1 to 65535)`,
      ),
    );
  }
  assert.throws(
    () => parseCommand(["--max-message-size", "4294967296", "bob"]),
    usageError(
      /^invalid value for --max-message-size: "4294967296" \(expected an integer from 1 to 4294967295\)$/,
    ),
  );
  assert.throws(
    () => parseCommand(["--max-username-size", "0", "bob"]),
    usageError(/expected an integer from 1 to/),
  );
  assert.throws(
    () => parseCommand(["--host=", "bob"]),
    usageError("invalid value for --host: it is empty"),
  );
});

Deno.test("parseCommand refuses a user name over the limit, counted in UTF-8 bytes", () => {
  assert.throws(
    () => parseCommand(["b".repeat(26)]),
    nameError("Invalid user name: its size 26 exceeds the limit of 25 bytes"),
  );
  // 13 Cyrillic letters are 13 characters but 26 bytes.
  assert.throws(
    () => parseCommand(["ж".repeat(13)]),
    nameError(/its size 26 exceeds the limit of 25/),
  );
  assert.equal(parseCommand(["ж".repeat(12)]).kind, "chat");
  assert.equal(parseCommand(["--max-username-size", "26", "ж".repeat(13)]).kind, "chat");
  assert.throws(
    () => parseCommand(["--max-username-size", "3", "bobby"]),
    nameError(/limit of 3/),
  );
});

Deno.test("parseCommand refuses an empty user name or one with a control character", () => {
  assert.throws(() => parseCommand([""]), nameError("Invalid user name: it is empty"));
  assert.throws(
    () => parseCommand(["bob\x1b[31m"]),
    nameError("Invalid user name: it contains the control character U+001B"),
  );
});

Deno.test("the help names every flag; the version is deno.json's", () => {
  for (
    const flag of [
      "--host",
      "--port",
      "--max-username-size",
      "--max-message-size",
      "--max-incoming-size",
      "--wait",
      "--linger",
      "--help",
      "--version",
    ]
  ) {
    assert.ok(HELP.includes(flag), `help names ${flag}`);
  }
  assert.equal(VERSION, denoConfig.version);
  assert.match(HELP, /^wirechat-client \d/);
  assert.ok(!HELP.includes("Usage: client.ts"));
  assert.match(HELP, /deno install -g -N -n wirechat-client jsr:@wirechat\/wirechat\/client/);
});
