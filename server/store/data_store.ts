/**
 * The server's embedded store (`--data DIR`): one SQLite file, `wirechat.sqlite`,
 * through `node:sqlite`. It holds the accounts (their SCRAM verifiers, never a
 * password) and, on a single node, the history. Requires `--allow-read` and
 * `--allow-write` for the folder.
 *
 * `node:sqlite` is synchronous: the room never waits on it. Accounts are read
 * once per authentication (one lookup by primary key); history rows are written
 * in batches by `history_writer.ts`, between turns of the event loop.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { ScramVerifier } from "../../protocol/scram.ts";
import { nameKey } from "../ops/presence.ts";

/** The file's name in the data folder. */
export const DATA_FILE = "wirechat.sqlite";

// Bumped when the tables change; a file from a newer server is refused.
const SCHEMA_VERSION = 1;

/** The data folder or its file cannot be used; the message is one line for the operator. */
export class DataStoreError extends Error {
  override name = "DataStoreError";
}

/** An account, as stored. */
export interface Account extends ScramVerifier {
  /** The name as it was registered. */
  readonly name: string;
}

/** One message of the history, as stored. */
export interface StoredMessage {
  /** The server's clock when it accepted the message, whole seconds of UNIX time. */
  readonly timestamp: number;
  /** The sender's user name. */
  readonly username: string;
  /** The message's UTF-8 bytes. */
  readonly text: Uint8Array;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/**
 * The store, open. Every method is synchronous and throws {@linkcode DataStoreError}
 * when the file fails.
 */
export class DataStore {
  /** The file's path. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #getAccount: StatementSync;
  readonly #insert: StatementSync;
  #closed = false;

  /**
   * Opens (or creates) the store in `dir`, creating the folder if needed, and
   * checks that the file is a wirechat store with a query (SQLite opens garbage
   * without complaint).
   *
   * @param dir The data folder.
   * @throws {DataStoreError} With one line when the folder or the file cannot be used.
   */
  constructor(dir: string) {
    this.path = `${dir.replace(/\/+$/, "") || "/"}/${DATA_FILE}`;
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new DataStoreError(`Cannot use the data folder "${dir}": ${oneLine(error)}`);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(this.path);
    } catch (error) {
      throw new DataStoreError(`Cannot open the data file "${this.path}": ${oneLine(error)}`);
    }
    this.#db = db;
    try {
      const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
        user_version: number;
      };
      if (version > SCHEMA_VERSION) {
        throw new Error(`it was written by a newer server (schema ${version})`);
      }
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(`
        CREATE TABLE IF NOT EXISTS accounts (
          key TEXT PRIMARY KEY, name TEXT NOT NULL, salt BLOB NOT NULL,
          iterations INTEGER NOT NULL, stored_key BLOB NOT NULL, server_key BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS history (
          seq INTEGER PRIMARY KEY AUTOINCREMENT, timestamp INTEGER NOT NULL,
          username TEXT NOT NULL, text BLOB NOT NULL
        );
        PRAGMA user_version = ${SCHEMA_VERSION};
      `);
      this.#getAccount = db.prepare(
        "SELECT name, salt, iterations, stored_key, server_key FROM accounts WHERE key = ?",
      );
      this.#insert = db.prepare("INSERT INTO history (timestamp, username, text) VALUES (?, ?, ?)");
      this.#rekey();
    } catch (error) {
      try {
        db.close();
      } catch {
        // Already unusable.
      }
      throw new DataStoreError(
        `Cannot use the data file "${this.path}": ${oneLine(error)}`,
      );
    }
  }

  /**
   * Names that count as the same may change with a release (`nameKey` follows the
   * confusables data): each account's key is worked out again at open. An account
   * whose new key another account holds already keeps its old one; `accounts list`
   * shows both names, and `accounts remove` settles it.
   *
   * @returns How many keys changed.
   */
  #rekey(): number {
    const rows = this.#db.prepare("SELECT key, name FROM accounts").all() as {
      key: string;
      name: string;
    }[];
    let changed = 0;
    const update = this.#db.prepare("UPDATE OR IGNORE accounts SET key = ? WHERE key = ?");
    for (const { key, name } of rows) {
      const fresh = nameKey(name);
      if (fresh !== key) changed += Number(update.run(fresh, key).changes);
    }
    return changed;
  }

  /**
   * The account of `name` or of any name that counts as the same ({@linkcode nameKey}).
   *
   * @param name A user name.
   * @returns The account, or `undefined` when the name is not registered.
   */
  account(name: string): Account | undefined {
    const row = this.#run(() => this.#getAccount.get(nameKey(name))) as
      | Record<string, unknown>
      | undefined;
    if (row === undefined) return undefined;
    return {
      name: row.name as string,
      salt: row.salt as Uint8Array,
      iterations: row.iterations as number,
      storedKey: row.stored_key as Uint8Array,
      serverKey: row.server_key as Uint8Array,
    };
  }

  /**
   * Registers `name` with a verifier.
   *
   * @returns `false` when the name (or one that counts as the same) is registered already.
   */
  addAccount(name: string, verifier: ScramVerifier): boolean {
    return this.#run(() => {
      const result = this.#db.prepare(
        "INSERT OR IGNORE INTO accounts (key, name, salt, iterations, stored_key, server_key) " +
          "VALUES (?, ?, ?, ?, ?, ?)",
      ).run(
        nameKey(name),
        name,
        verifier.salt,
        verifier.iterations,
        verifier.storedKey,
        verifier.serverKey,
      );
      return Number(result.changes) === 1;
    });
  }

  /**
   * Removes the account of `name` (or of a name that counts as the same).
   *
   * @returns `false` when there was none.
   */
  removeAccount(name: string): boolean {
    return this.#run(() =>
      Number(this.#db.prepare("DELETE FROM accounts WHERE key = ?").run(nameKey(name)).changes) ===
        1
    );
  }

  /** The registered names, sorted. */
  accountNames(): string[] {
    return this.#run(() =>
      (this.#db.prepare("SELECT name FROM accounts ORDER BY name").all() as { name: string }[])
        .map((row) => row.name)
    );
  }

  /**
   * The last `count` messages of the history, oldest first.
   *
   * @param count How many at most.
   */
  history(count: number): StoredMessage[] {
    if (count <= 0) return [];
    const rows = this.#run(() =>
      this.#db.prepare(
        "SELECT timestamp, username, text FROM history ORDER BY seq DESC LIMIT ?",
      ).all(count)
    ) as Record<string, unknown>[];
    return rows.reverse().map((row) => ({
      timestamp: Number(row.timestamp),
      username: String(row.username),
      text: row.text instanceof Uint8Array ? row.text : new Uint8Array(),
    }));
  }

  /**
   * Appends messages to the history in one transaction, then trims it to the last
   * `keep`.
   *
   * @param messages The messages, in the room's order.
   * @param keep How many messages the history keeps.
   */
  appendHistory(messages: readonly StoredMessage[], keep: number): void {
    this.#run(() => {
      const db = this.#db;
      db.exec("BEGIN");
      try {
        for (const { timestamp, username, text } of messages) {
          this.#insert.run(timestamp, username, text);
        }
        db.prepare(
          "DELETE FROM history WHERE seq <= (SELECT MAX(seq) FROM history) - ?",
        ).run(keep);
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  /** Closes the file; calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } catch {
      // Nothing more to lose.
    }
  }

  #run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw new DataStoreError(`The data file "${this.path}" failed: ${oneLine(error)}`);
    }
  }
}
