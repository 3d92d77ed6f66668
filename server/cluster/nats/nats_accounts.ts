/**
 * The accounts of a cluster: one JetStream key-value bucket, `wirechat_accounts`,
 * the same for every node and every room. Each key is the hex of a name's
 * `nameKeys` (a name has one or two, one entry each); each value is the account's
 * SCRAM-SHA-256 verifier as JSON (never a password).
 *
 * A node (`watch`) keeps a copy of the bucket, which holds registered accounts only:
 * it watches it, and a lookup reads the copy, with no round trip to NATS, so a storm
 * of logins costs NATS nothing. An account added or removed reaches every node as
 * the watch delivers it (milliseconds). While the copy is not current (before the
 * watch has delivered the bucket, and from a disconnection until the watch is made
 * again after the reconnection), a lookup reads the bucket as before, one read per
 * name however many logins ask at once; when that fails, the lookup fails.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm, type KvWatchEntry } from "@nats-io/kv";
import { fromBase64, type ScramVerifier, toBase64 } from "../../../protocol/scram.ts";
import { nameKeys } from "../../../protocol/skeleton.ts";
import { claimKey } from "./roster_entries.ts";

/** The bucket's name. */
export const ACCOUNTS_BUCKET = "wirechat_accounts";

/** An account, as the bucket holds it. */
export interface ClusterAccount extends ScramVerifier {
  /** The name as it was registered. */
  readonly name: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encodeAccount(name: string, verifier: ScramVerifier): Uint8Array {
  return encoder.encode(JSON.stringify({
    name,
    salt: toBase64(verifier.salt),
    iterations: verifier.iterations,
    storedKey: toBase64(verifier.storedKey),
    serverKey: toBase64(verifier.serverKey),
  }));
}

// Nothing read from the bucket is trusted: a value that is not a whole account is none.
function decodeAccount(bytes: Uint8Array): ClusterAccount | undefined {
  try {
    const value = JSON.parse(decoder.decode(bytes));
    const salt = fromBase64(value.salt);
    const storedKey = fromBase64(value.storedKey);
    const serverKey = fromBase64(value.serverKey);
    if (
      typeof value.name !== "string" || salt === undefined || storedKey?.length !== 32 ||
      serverKey?.length !== 32 || !Number.isSafeInteger(value.iterations) || value.iterations < 1
    ) {
      return undefined;
    }
    return { name: value.name, salt, iterations: value.iterations, storedKey, serverKey };
  } catch {
    return undefined;
  }
}

/** Options of {@linkcode NatsAccounts.open}. */
export interface NatsAccountsOptions {
  /**
   * Whether to keep a copy of the bucket, watched, for lookups without a round
   * trip (a server node); without it, each lookup reads the bucket (a command).
   *
   * @default {false}
   */
  readonly watch?: boolean;
}

// How long after a failed watch the next one is tried.
const RETRY_WATCH_MS = 1_000;

/** The accounts bucket of a cluster. */
export class NatsAccounts {
  readonly #kv: KV;
  readonly #connection: NatsConnection;
  // The copy: bucket key to its account (`null`: a value that is no account).
  readonly #known = new Map<string, ClusterAccount | null>();
  // Whether the copy is current: the watch has delivered the bucket, NATS is up.
  #current = false;
  #up = true;
  #watcher: (AsyncIterable<KvWatchEntry> & { stop(): void }) | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  // Lookups in flight in the bucket, by name: one read however many logins ask.
  readonly #lookups = new Map<string, Promise<ClusterAccount | undefined>>();
  #closed = false;

  private constructor(kv: KV, connection: NatsConnection) {
    this.#kv = kv;
    this.#connection = connection;
  }

  /**
   * Opens (or creates) the bucket and, with `watch`, starts watching it.
   *
   * @param connection A connection to the cluster's NATS.
   * @param options Whether to keep a watched copy.
   * @returns The accounts.
   */
  static async open(
    connection: NatsConnection,
    options: NatsAccountsOptions = {},
  ): Promise<NatsAccounts> {
    const kv = await new Kvm(connection).create(ACCOUNTS_BUCKET, { history: 1 });
    const accounts = new NatsAccounts(kv, connection);
    if (options.watch === true) {
      await accounts.#startWatch();
      accounts.#followConnection();
    }
    return accounts;
  }

  /** Whether lookups read the watched copy now, with no round trip. */
  get current(): boolean {
    return this.#current;
  }

  /**
   * The account of `name` or of a name that counts as the same: at once from the
   * copy when it is current, else read from the bucket.
   *
   * @throws {Error} When the bucket cannot be read now (the promise rejects).
   */
  account(name: string): ClusterAccount | undefined | Promise<ClusterAccount | undefined> {
    if (this.#current) {
      for (const key of nameKeys(name)) {
        const known = this.#known.get(claimKey(key));
        if (known !== undefined) return known ?? undefined;
      }
      return undefined;
    }
    let lookup = this.#lookups.get(name);
    if (lookup === undefined) {
      lookup = this.#read(name).finally(() => this.#lookups.delete(name));
      this.#lookups.set(name, lookup);
    }
    return lookup;
  }

  /** Stops watching; the connection stays open. */
  close(): void {
    this.#closed = true;
    this.#current = false;
    clearTimeout(this.#retry);
    this.#watcher?.stop();
  }

  // The account of `name`, read from the bucket.
  async #read(name: string): Promise<ClusterAccount | undefined> {
    for (const key of nameKeys(name)) {
      const entry = await this.#kv.get(claimKey(key));
      if (entry !== null && entry.operation === "PUT") return decodeAccount(entry.value);
    }
    return undefined;
  }

  // A new watch: the bucket's values, then its changes. The copy is current once
  // the values present when the watch began are in (an entry with nothing pending
  // after it, or an empty bucket).
  async #startWatch(): Promise<void> {
    this.#current = false;
    this.#watcher?.stop();
    this.#known.clear();
    const watcher = await this.#kv.watch();
    this.#watcher = watcher;
    if ((await this.#kv.status()).values === 0 && this.#up) this.#current = true;
    (async () => {
      for await (const entry of watcher) {
        if (this.#watcher !== watcher) return;
        if (entry.operation === "PUT") {
          this.#known.set(entry.key, decodeAccount(entry.value) ?? null);
        } else {
          this.#known.delete(entry.key);
        }
        if (entry.delta === 0 && this.#up && !this.#closed) this.#current = true;
      }
      if (this.#watcher === watcher) this.#current = false; // the watch ended
    })().catch(() => {
      if (this.#watcher === watcher) this.#current = false;
    });
  }

  // Disconnected: the copy is not current. Reconnected: a new watch makes it so.
  #followConnection(): void {
    (async () => {
      for await (const status of this.#connection.status()) {
        if (this.#closed) return;
        if (status.type === "disconnect") {
          this.#up = false;
          this.#current = false;
        } else if (status.type === "reconnect") {
          this.#up = true;
          this.#rewatch();
        }
      }
    })().catch(() => {});
  }

  #rewatch(): void {
    clearTimeout(this.#retry);
    this.#current = false;
    if (this.#closed || this.#connection.isClosed()) return;
    this.#startWatch().catch(() => {
      // A connection closed meanwhile (its server shutting down) is not retried.
      if (this.#closed || this.#connection.isClosed()) return;
      this.#retry = setTimeout(() => this.#rewatch(), RETRY_WATCH_MS);
    });
  }

  /**
   * Registers `name`.
   *
   * @returns `false` when it (or a name that counts as the same) is registered already.
   */
  async add(name: string, verifier: ScramVerifier): Promise<boolean> {
    if (await this.#read(name) !== undefined) return false;
    const created: string[] = [];
    try {
      for (const key of nameKeys(name)) {
        await this.#kv.create(claimKey(key), encodeAccount(name, verifier));
        created.push(key);
      }
      return true;
    } catch (error) {
      // All keys or none: another registration took one of them meanwhile.
      for (const key of created) await this.#kv.purge(claimKey(key)).catch(() => {});
      if (await this.#read(name) !== undefined) return false;
      throw error;
    }
  }

  /**
   * Removes the account of `name`.
   *
   * @returns `false` when there was none.
   */
  async remove(name: string): Promise<boolean> {
    const account = await this.#read(name);
    if (account === undefined) return false;
    for (const key of nameKeys(account.name)) await this.#kv.purge(claimKey(key));
    return true;
  }

  /** The registered names, sorted. */
  async names(): Promise<string[]> {
    const names: string[] = [];
    for await (const key of await this.#kv.keys()) {
      const entry = await this.#kv.get(key);
      if (entry === null || entry.operation !== "PUT") continue;
      const account = decodeAccount(entry.value);
      if (account !== undefined && !names.includes(account.name)) names.push(account.name);
    }
    return names.sort();
  }
}
