/**
 * The accounts of a cluster: one JetStream key-value bucket, `wirechat_accounts`,
 * the same for every node and every room. Each key is the hex of a name's
 * `nameKeys` (a name has one or two, one entry each); each value is the account's SCRAM-SHA-256 verifier as JSON (never
 * a password). Every lookup reads the bucket, so an account added or removed
 * takes effect on every node at once.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
import { fromBase64, type ScramVerifier, toBase64 } from "../../../protocol/scram.ts";
import { nameKeys } from "../../../protocol/skeleton.ts";
import { claimKey } from "./nats_presence.ts";

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

/** The accounts bucket of a cluster. */
export class NatsAccounts {
  readonly #kv: KV;

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  /**
   * Opens (or creates) the bucket.
   *
   * @param connection A connection to the cluster's NATS.
   * @returns The accounts.
   */
  static async open(connection: NatsConnection): Promise<NatsAccounts> {
    return new NatsAccounts(await new Kvm(connection).create(ACCOUNTS_BUCKET, { history: 1 }));
  }

  /**
   * The account of `name` or of a name that counts as the same.
   *
   * @throws {Error} When the bucket cannot be read now.
   */
  async account(name: string): Promise<ClusterAccount | undefined> {
    for (const key of nameKeys(name)) {
      const entry = await this.#kv.get(claimKey(key));
      if (entry !== null && entry.operation === "PUT") return decodeAccount(entry.value);
    }
    return undefined;
  }

  /**
   * Registers `name`.
   *
   * @returns `false` when it (or a name that counts as the same) is registered already.
   */
  async add(name: string, verifier: ScramVerifier): Promise<boolean> {
    if (await this.account(name) !== undefined) return false;
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
      if (await this.account(name) !== undefined) return false;
      throw error;
    }
  }

  /**
   * Removes the account of `name`.
   *
   * @returns `false` when there was none.
   */
  async remove(name: string): Promise<boolean> {
    const account = await this.account(name);
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
