/**
 * The accounts of a cluster: one JetStream key-value bucket, `wirechat_accounts`,
 * the same for every node and every room. Each key is the hex of a name's
 * `nameKey`; each value is the account's SCRAM-SHA-256 verifier as JSON (never
 * a password). Every lookup reads the bucket, so an account added or removed
 * takes effect on every node at once.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type KV, Kvm } from "@nats-io/kv";
import { fromBase64, type ScramVerifier, toBase64 } from "../../../protocol/scram.ts";
import { nameKey } from "../../ops/presence.ts";
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
    const entry = await this.#kv.get(claimKey(nameKey(name)));
    if (entry === null || entry.operation !== "PUT") return undefined;
    return decodeAccount(entry.value);
  }

  /**
   * Registers `name`.
   *
   * @returns `false` when it (or a name that counts as the same) is registered already.
   */
  async add(name: string, verifier: ScramVerifier): Promise<boolean> {
    try {
      await this.#kv.create(claimKey(nameKey(name)), encodeAccount(name, verifier));
      return true;
    } catch (error) {
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
    if (await this.account(name) === undefined) return false;
    await this.#kv.purge(claimKey(nameKey(name)));
    return true;
  }

  /** The registered names, sorted. */
  async names(): Promise<string[]> {
    const names: string[] = [];
    for await (const key of await this.#kv.keys()) {
      const entry = await this.#kv.get(key);
      if (entry === null || entry.operation !== "PUT") continue;
      const account = decodeAccount(entry.value);
      if (account !== undefined) names.push(account.name);
    }
    return names.sort();
  }
}
