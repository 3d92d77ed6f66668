import assert from "node:assert/strict";
import { type AccountsIo, accountsMain } from "../../server/accounts/accounts_command.ts";
import { DataStore } from "../../server/store/data_store.ts";
import { MIN_ITERATIONS, scramVerifier } from "../../protocol/scram.ts";
import { runDeno } from "../support/process.ts";

function io(password = "s3cret"): AccountsIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    password: () => Promise.resolve(password),
    print: (line) => out.push(line),
    error: (line) => err.push(line),
  };
}

Deno.test("accounts add, list and remove; a lookalike is the same account; a verifier, not the password, is stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wirechat-accounts-cmd-" });
  try {
    assert.equal(await accountsMain(["add", "alice", "--data", dir], io()), 0);
    const again = io();
    assert.equal(await accountsMain(["add", "ALICE", "--data", dir], again), 1);
    assert.match(again.err[0]!, /"ALICE" is registered already \(as "alice"\)/);
    const listed = io();
    assert.equal(await accountsMain(["list", "--data", dir], listed), 0);
    assert.deepEqual(listed.out, ["alice"]);
    const store = new DataStore(dir);
    const account = store.account("alice")!;
    assert.equal(account.iterations, MIN_ITERATIONS);
    assert.equal(account.salt.length, 16);
    store.close();
    const file = await Deno.readFile(`${dir}/wirechat.sqlite`);
    assert.ok(!new TextDecoder("latin1").decode(file).includes("s3cret"));
    assert.equal(await accountsMain(["remove", "Alice", "--data", dir], io()), 0);
    const empty = io();
    assert.equal(await accountsMain(["list", "--data", dir], empty), 0);
    assert.deepEqual(empty.out, []);
    const missing = io();
    assert.equal(await accountsMain(["remove", "alice", "--data", dir], missing), 1);
    assert.match(missing.err[0]!, /no account for "alice"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("accounts refuses misuse in one line: no command, no --data, a bad name, an empty password", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wirechat-accounts-cmd-" });
  try {
    for (
      const [args, pattern, password] of [
        [[], /a command is needed/, "x"],
        [["add", "--data", dir], /add needs a name/, "x"],
        [["add", "bob"], /one of --data <dir> or --nats <url> is needed/, "x"],
        [["frob", "--data", dir], /unknown command frob/, "x"],
        [["add", "*", "--data", dir], /reserved for the server/, "x"],
        [["add", "bob", "--data", dir], /the password is empty/, ""],
      ] as const
    ) {
      const seen = io(password);
      assert.equal(await accountsMain([...args], seen), 1, args.join(" "));
      assert.equal(seen.err.length, 1);
      assert.match(seen.err[0]!, pattern);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wirechat-server accounts add reads the password from standard input", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wirechat-accounts-cmd-" });
  try {
    const permissions = ["--allow-read", "--allow-write"];
    const added = await runDeno(
      ["run", ...permissions, "server.ts", "accounts", "add", "carol", "--data", dir],
      "pencil\n",
    );
    assert.equal(added.code, 0, added.stderr);
    const listed = await runDeno([
      "run",
      ...permissions,
      "server.ts",
      "accounts",
      "list",
      "--data",
      dir,
    ]);
    assert.equal(listed.stdout, "carol\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DataStore works each account's key out again at open (nameKey may change with a release)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wirechat-accounts-cmd-" });
  try {
    const store = new DataStore(dir);
    store.addAccount("alice", await scramVerifier("x", { iterations: 1 }));
    store.close();
    // A key made by an older nameKey.
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(`${dir}/wirechat.sqlite`);
    db.prepare("UPDATE accounts SET key = 'old-key-of-alice'").run();
    db.close();
    const reopened = new DataStore(dir);
    assert.equal(reopened.account("ALICE")?.name, "alice");
    reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
