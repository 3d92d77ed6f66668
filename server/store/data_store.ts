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
import { nameKeys } from "../../protocol/skeleton.ts";

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

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // not fatal: the caller checks the text's bytes

// The messages of a batch of relay frames, up to where they stop parsing.
function parseFrames(frames: Uint8Array): StoredMessage[] {
  const view = new DataView(frames.buffer, frames.byteOffset, frames.byteLength);
  const messages: StoredMessage[] = [];
  for (let at = 0; at + 16 <= frames.length;) {
    const timestamp = Number(view.getBigUint64(at));
    const nameSize = view.getUint32(at + 8);
    if (at + 16 + nameSize > frames.length) break;
    const textSize = view.getUint32(at + 12 + nameSize);
    const end = at + 16 + nameSize + textSize;
    if (end > frames.length) break;
    messages.push({
      timestamp,
      username: decoder.decode(frames.subarray(at + 12, at + 12 + nameSize)),
      text: frames.slice(at + 16 + nameSize, end),
    });
    at = end;
  }
  return messages;
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
          seq INTEGER PRIMARY KEY AUTOINCREMENT, count INTEGER NOT NULL, frames BLOB NOT NULL
        );
        PRAGMA user_version = ${SCHEMA_VERSION};
      `);
      this.#getAccount = db.prepare(
        "SELECT name, salt, iterations, stored_key, server_key FROM accounts WHERE key = ?",
      );
      this.#insert = db.prepare("INSERT INTO history (count, frames) VALUES (?, ?)");
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
   * Names that count as the same may change with a release (the confusables data
   * follows Unicode): each account's keys are worked out again at open. A name has
   * one or two keys (`nameKeys`), one row each; a key another account holds
   * already stays with that account.
   *
   * @returns How many rows changed.
   */
  #rekey(): number {
    const rows = this.#db.prepare("SELECT key, name FROM accounts").all() as {
      key: string;
      name: string;
    }[];
    const byName = new Map<string, string[]>();
    for (const { key, name } of rows) byName.set(name, [...(byName.get(name) ?? []), key]);
    let changed = 0;
    for (const [name, keys] of byName) {
      const fresh = nameKeys(name);
      if (fresh.length === keys.length && fresh.every((key) => keys.includes(key))) continue;
      const account = this.#getAccount.get(keys[0]!) as Record<string, unknown>;
      this.#db.prepare("DELETE FROM accounts WHERE name = ?").run(name);
      changed += this.#insertAccount(name, account, fresh);
    }
    return changed;
  }

  #insertAccount(name: string, row: Record<string, unknown>, keys: readonly string[]): number {
    const insert = this.#db.prepare(
      "INSERT OR IGNORE INTO accounts (key, name, salt, iterations, stored_key, server_key) " +
        "VALUES (?, ?, ?, ?, ?, ?)",
    );
    let inserted = 0;
    for (const key of keys) {
      inserted += Number(
        insert.run(
          key,
          name,
          row.salt as Uint8Array,
          row.iterations as number,
          row.stored_key as Uint8Array,
          row.server_key as Uint8Array,
        ).changes,
      );
    }
    return inserted;
  }

  /**
   * The account of `name` or of any name that counts as the same (shares a key).
   *
   * @param name A user name.
   * @returns The account, or `undefined` when the name is not registered.
   */
  account(name: string): Account | undefined {
    for (const key of nameKeys(name)) {
      const row = this.#run(() => this.#getAccount.get(key)) as
        | Record<string, unknown>
        | undefined;
      if (row === undefined) continue;
      return {
        name: row.name as string,
        salt: row.salt as Uint8Array,
        iterations: row.iterations as number,
        storedKey: row.stored_key as Uint8Array,
        serverKey: row.server_key as Uint8Array,
      };
    }
    return undefined;
  }

  /**
   * Registers `name` with a verifier, under each of its keys.
   *
   * @returns `false` when the name (or one that counts as the same) is registered already.
   */
  addAccount(name: string, verifier: ScramVerifier): boolean {
    if (this.account(name) !== undefined) return false;
    return this.#run(() =>
      this.#insertAccount(name, {
        salt: verifier.salt,
        iterations: verifier.iterations,
        stored_key: verifier.storedKey,
        server_key: verifier.serverKey,
      }, nameKeys(name)) > 0
    );
  }

  /**
   * Removes the account of `name` (or of a name that counts as the same).
   *
   * @returns `false` when there was none.
   */
  removeAccount(name: string): boolean {
    const account = this.account(name);
    if (account === undefined) return false;
    return this.#run(() =>
      Number(this.#db.prepare("DELETE FROM accounts WHERE name = ?").run(account.name).changes) > 0
    );
  }

  /** The registered names, sorted. */
  accountNames(): string[] {
    return this.#run(() =>
      (this.#db.prepare("SELECT DISTINCT name FROM accounts ORDER BY name").all() as {
        name: string;
      }[])
        .map((row) => row.name)
    );
  }

  /**
   * The last `count` messages of the history, oldest first, as stored: a batch
   * whose bytes do not parse ends where they stop (the caller checks each message).
   *
   * @param count How many at most.
   */
  history(count: number): StoredMessage[] {
    if (count <= 0) return [];
    const batches: Uint8Array[] = [];
    let total = 0;
    this.#run(() => {
      for (
        const row of this.#db.prepare("SELECT count, frames FROM history ORDER BY seq DESC")
          .iterate() as Iterable<{ count: number; frames: unknown }>
      ) {
        if (row.frames instanceof Uint8Array) batches.push(row.frames);
        total += Number(row.count);
        if (total >= count) break;
      }
    });
    const messages: StoredMessage[] = [];
    for (const frames of batches.reverse()) messages.push(...parseFrames(frames));
    return messages.slice(-count);
  }

  /**
   * Appends one batch of messages, as relay frames (timestamp, user name, text,
   * as clients receive them), in one row, then trims the history to the batches
   * that hold its last `keep` messages.
   *
   * @param frames The frames, one after another; copied before this returns.
   * @param count How many messages they hold.
   * @param keep How many messages the history keeps.
   */
  appendFrames(frames: Uint8Array, count: number, keep: number): void {
    this.#run(() => {
      const db = this.#db;
      db.exec("BEGIN");
      try {
        this.#insert.run(count, frames);
        // The oldest batches go once the newer ones hold `keep` messages without them.
        db.prepare(
          `DELETE FROM history WHERE seq < (
             SELECT seq FROM (
               SELECT seq, SUM(count) OVER (ORDER BY seq DESC) AS newer FROM history
             ) WHERE newer >= ? ORDER BY seq DESC LIMIT 1)`,
        ).run(keep);
        this.#trimOldest(keep);
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  // The oldest batch left may hold messages past the last `keep`: they go too, so
  // that the file holds the last `keep` messages and nothing more.
  #trimOldest(keep: number): void {
    const { total } = this.#db.prepare("SELECT SUM(count) AS total FROM history").get() as {
      total: number;
    };
    const excess = Number(total) - keep;
    if (excess <= 0) return;
    const oldest = this.#db.prepare("SELECT seq, count, frames FROM history ORDER BY seq LIMIT 1")
      .get() as { seq: number; count: number; frames: Uint8Array };
    const frames = oldest.frames;
    const view = new DataView(frames.buffer, frames.byteOffset, frames.byteLength);
    let at = 0;
    for (let dropped = 0; dropped < excess && at + 16 <= frames.length; dropped++) {
      const nameSize = view.getUint32(at + 8);
      at += 16 + nameSize + view.getUint32(at + 12 + nameSize);
    }
    this.#db.prepare("UPDATE history SET count = ?, frames = ? WHERE seq = ?")
      .run(Number(oldest.count) - excess, frames.subarray(Math.min(at, frames.length)), oldest.seq);
  }

  /**
   * Appends messages to the history as one batch (see {@linkcode appendFrames}).
   *
   * @param messages The messages, in the room's order.
   * @param keep How many messages the history keeps.
   */
  appendHistory(messages: readonly StoredMessage[], keep: number): void {
    const encoded = messages.map(({ timestamp, username, text }) => {
      const name = encoder.encode(username);
      const frame = new Uint8Array(16 + name.length + text.length);
      const view = new DataView(frame.buffer);
      view.setBigUint64(0, BigInt(timestamp));
      view.setUint32(8, name.length);
      frame.set(name, 12);
      view.setUint32(12 + name.length, text.length);
      frame.set(text, 16 + name.length);
      return frame;
    });
    const all = new Uint8Array(encoded.reduce((sum, frame) => sum + frame.length, 0));
    let at = 0;
    for (const frame of encoded) {
      all.set(frame, at);
      at += frame.length;
    }
    this.appendFrames(all, messages.length, keep);
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
