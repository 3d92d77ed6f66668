/**
 * `wirechat-server accounts`: add, remove and list the accounts of a data folder.
 * The password of `add` is read from standard input (its first line), or at a
 * prompt without echo (twice) on a terminal; what is stored is its SCRAM-SHA-256
 * verifier, never the password.
 *
 * @module
 */

import { parseFlags, UsageError } from "../../cli/flags.ts";
import { errorMessage } from "../../cli/error_message.ts";
import { promptPassword, readFirstLine } from "../../cli/password.ts";
import { DEFAULT_MAX_USERNAME_SIZE } from "../../protocol/limits.ts";
import { MIN_ITERATIONS, type ScramVerifier, scramVerifier } from "../../protocol/scram.ts";
import { validateUsername } from "../../protocol/username.ts";
import { DataStore } from "../store/data_store.ts";
import type { Account } from "./authentication.ts";

// What the command needs of where accounts live: the data file, or a cluster's bucket.
interface AccountStore {
  account(name: string): Account | undefined | Promise<Account | undefined>;
  add(name: string, verifier: ScramVerifier): boolean | Promise<boolean>;
  remove(name: string): boolean | Promise<boolean>;
  names(): string[] | Promise<string[]>;
  close(): void | Promise<void>;
}

function fileStore(dir: string): AccountStore {
  const store = new DataStore(dir);
  return {
    account: (name) => store.account(name),
    add: (name, verifier) => store.addAccount(name, verifier),
    remove: (name) => store.removeAccount(name),
    names: () => store.accountNames(),
    close: () => store.close(),
  };
}

async function clusterStore(urls: string): Promise<AccountStore> {
  const { connect } = await import("@nats-io/transport-node");
  const { parseServers } = await import("../cluster/nats/nats_connection.ts");
  const { NatsAccounts } = await import("../cluster/nats/nats_accounts.ts");
  const { servers, credentials } = parseServers(urls.split(",").map((url) => url.trim()));
  let connection;
  try {
    connection = await connect({ servers, ...credentials, timeout: 5000 });
  } catch (error) {
    throw new Error(`Cannot connect to NATS at ${servers.join(",")}: ${errorMessage(error)}`);
  }
  try {
    const accounts = await NatsAccounts.open(connection);
    return {
      account: (name) => accounts.account(name),
      add: (name, verifier) => accounts.add(name, verifier),
      remove: (name) => accounts.remove(name),
      names: () => accounts.names(),
      close: () => connection.close(),
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

const NAME = "wirechat-server accounts";

/** The text of `accounts --help`. */
export const ACCOUNTS_HELP = `${NAME}: the accounts of a data folder.

USAGE:
  ${NAME} add <name> --data <dir>     Register a name; the password is read from
                                      standard input, or asked twice on a terminal
  ${NAME} remove <name> --data <dir>  Remove the account of a name (or its lookalike)
  ${NAME} list --data <dir>           Print the registered names, one a line
  deno task accounts <command> ...    The same

OPTIONS:
  --data <dir>             The server's data folder (the same as the server's --data)
  --nats <url>[,<url>...]  Instead, a cluster's accounts: its NATS JetStream bucket
                           wirechat_accounts, the same for every node (needs --allow-net)
  -h, --help               Print this help and exit

What is stored is a SCRAM-SHA-256 verifier (a random salt, ${MIN_ITERATIONS} iterations
of PBKDF2, StoredKey, ServerKey): it cannot log in by itself. The server reads the
accounts at each login: no restart is needed.`;

const FLAGS = {
  data: { type: "string" },
  nats: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Where the command reads the password and writes its lines (tests replace them). */
export interface AccountsIo {
  /** Reads the password of `add`. */
  password(name: string): Promise<string>;
  /** Prints a line to standard output. */
  print(line: string): void;
  /** Prints a line to standard error. */
  error(line: string): void;
}

async function defaultPassword(name: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) return await readFirstLine(Deno.stdin.readable);
  const first = await promptPassword(`Password for ${name}: `);
  const again = await promptPassword("Again: ");
  if (first !== again) throw new Error("the two passwords differ");
  return first;
}

const DEFAULT_IO: AccountsIo = {
  password: defaultPassword,
  print: (line) => console.log(line),
  error: (line) => console.error(line),
};

/**
 * Runs `accounts` with its arguments.
 *
 * @param args The arguments after `accounts`.
 * @param io Where the password comes from and the lines go.
 * @returns The exit status: 0 done, 1 a misuse or a failure (one line saying why).
 */
export async function accountsMain(args: string[], io: AccountsIo = DEFAULT_IO): Promise<number> {
  const fail = (message: string) => {
    io.error(`${NAME}: ${message}`);
    return 1;
  };
  let parsed;
  try {
    parsed = parseFlags(args, FLAGS);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return fail(`${error.message}; try: ${NAME} --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.print(ACCOUNTS_HELP);
    return 0;
  }
  const [command, name, extra] = positionals;
  const arity = command === "list" ? 1 : 2;
  if (!["add", "remove", "list"].includes(command ?? "") || positionals.length !== arity) {
    const what = command === undefined
      ? "a command is needed (add, remove or list)"
      : !["add", "remove", "list"].includes(command)
      ? `unknown command ${command}`
      : extra !== undefined || (arity === 1 && name !== undefined)
      ? `unexpected argument ${positionals[arity]}`
      : `${command} needs a name`;
    return fail(`${what}; try: ${NAME} --help`);
  }
  if ((values.data === undefined || values.data === "") === (values.nats === undefined)) {
    return fail(`one of --data <dir> or --nats <url> is needed; try: ${NAME} --help`);
  }
  if (name !== undefined && command === "add") {
    try {
      validateUsername(name, DEFAULT_MAX_USERNAME_SIZE);
    } catch (error) {
      return fail(errorMessage(error));
    }
  }
  let store: AccountStore;
  try {
    store = values.nats === undefined ? fileStore(values.data!) : await clusterStore(values.nats);
  } catch (error) {
    return fail(errorMessage(error));
  }
  try {
    switch (command) {
      case "list":
        for (const registered of await store.names()) io.print(registered);
        return 0;
      case "remove":
        if (!await store.remove(name!)) return fail(`no account for ${JSON.stringify(name)}`);
        io.error(`removed the account of ${JSON.stringify(name)}`);
        return 0;
      default: {
        const existing = await store.account(name!);
        if (existing !== undefined) {
          return fail(
            `${JSON.stringify(name)} is registered already (as ${
              JSON.stringify(existing.name)
            }): remove it first`,
          );
        }
        const password = await io.password(name!);
        if (password === "") return fail("the password is empty");
        const verifier = await scramVerifier(password);
        if (!await store.add(name!, verifier)) {
          return fail(`${JSON.stringify(name)} is registered already`);
        }
        io.error(`registered ${JSON.stringify(name)}`);
        return 0;
      }
    }
  } catch (error) {
    return fail(errorMessage(error));
  } finally {
    await store.close();
  }
}
