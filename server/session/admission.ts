/**
 * Who may connect: the limits on connections, counted over every door.
 *
 * @module
 */

/**
 * The key the per-address limit counts by: an IPv4 address as it is (an
 * IPv4-mapped IPv6 address as its IPv4 form), an IPv6 address by its /64 prefix.
 *
 * @example
 * ```ts
 * import { addressKey } from "./admission.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressKey("::ffff:10.0.0.1"), "10.0.0.1");
 * assert.equal(addressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
 * assert.equal(addressKey("2001:db8:1:2::9"), "2001:db8:1:2::/64");
 * ```
 */
export function addressKey(hostname: string): string {
  if (!hostname.includes(":")) return hostname;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(hostname);
  if (mapped !== null) return mapped[1]!;
  const [head = "", tail = ""] = hostname.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = hostname.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group || "0", 16).toString(16));
  return `${prefix.join(":")}::/64`;
}

/** A connection as admission sees it. */
export interface Admitted {
  /** When it was accepted, in milliseconds of `Date.now()`. */
  readonly connectedAt: number;
  /** The key of its address, from {@linkcode addressKey}. */
  readonly addressKey: string;
  /** Closes it to make room for a newcomer. */
  evict(): void;
}

/** The limits {@linkcode Admission} enforces. */
export interface AdmissionLimits {
  /** The most connections at once, logged in or not. */
  readonly maxClients: number;
  /** The most connections not logged in yet. */
  readonly maxPendingLogins: number;
  /** The most connections from one address (0: no limit). */
  readonly maxConnectionsPerIp: number;
  /** How long a pending login must have waited before a newcomer may evict it. */
  readonly evictAfterMs: number;
}

/** Why a newcomer was refused. */
export type RefusalReason = "server full" | "too many pending logins" | "too many from address";

/**
 * Counts connections, pending logins and connections per address, and decides
 * whether a newcomer gets in. When the server or the pending logins are full, the
 * oldest pending login that has waited long enough is evicted for the newcomer,
 * so sockets that never log in cannot keep real users out.
 *
 * @example The oldest squatter makes room
 * ```ts
 * import { Admission, type Admitted } from "./admission.ts";
 * import assert from "node:assert/strict";
 *
 * const admission = new Admission({
 *   maxClients: 1, maxPendingLogins: 1, maxConnectionsPerIp: 0, evictAfterMs: 1000,
 * });
 * const evicted: string[] = [];
 * const squatter: Admitted = { connectedAt: 0, addressKey: "a", evict: () => evicted.push("a") };
 * assert.equal(admission.admit(squatter, 0), undefined);
 * assert.equal(admission.admit({ ...squatter, addressKey: "b" }, 500), "server full");
 * assert.equal(admission.admit({ ...squatter, connectedAt: 2000, addressKey: "b" }, 2000), undefined);
 * assert.deepEqual(evicted, ["a"]);
 * ```
 */
export class Admission<T extends Admitted = Admitted> {
  readonly #limits: AdmissionLimits;
  // Insertion order is arrival order: the first is the oldest pending login.
  readonly #pending = new Set<T>();
  readonly #perAddress = new Map<string, number>();
  readonly #open = new Set<T>();

  /** @param limits The limits to enforce. */
  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /** Connections open now. */
  get open(): number {
    return this.#open.size;
  }

  /** Connections not logged in yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The pending logins, oldest first. */
  pendingLogins(): IterableIterator<T> {
    return this.#pending.values();
  }

  /** Every connection open now. */
  connections(): IterableIterator<T> {
    return this.#open.values();
  }

  /**
   * Admits `conn` as a pending login, evicting the oldest pending login if that
   * makes room.
   *
   * @param now The time now, in milliseconds of `Date.now()`.
   * @returns `undefined` when admitted, else why not.
   */
  admit(conn: T, now: number): RefusalReason | undefined {
    const limits = this.#limits;
    if (limits.maxConnectionsPerIp > 0) {
      const count = this.#perAddress.get(conn.addressKey) ?? 0;
      if (count >= limits.maxConnectionsPerIp) return "too many from address";
    }
    if (this.#open.size >= limits.maxClients && !this.#evictOldest(now)) return "server full";
    if (this.#pending.size >= limits.maxPendingLogins && !this.#evictOldest(now)) {
      return "too many pending logins";
    }
    this.#open.add(conn);
    this.#pending.add(conn);
    if (limits.maxConnectionsPerIp > 0) {
      this.#perAddress.set(conn.addressKey, (this.#perAddress.get(conn.addressKey) ?? 0) + 1);
    }
    return undefined;
  }

  /** `conn` logged in: it no longer counts as a pending login. */
  loggedIn(conn: T): void {
    this.#pending.delete(conn);
  }

  /** `conn` closed: it counts no more (calling this again does nothing). */
  closed(conn: T): void {
    if (!this.#open.delete(conn)) return;
    this.#pending.delete(conn);
    if (this.#limits.maxConnectionsPerIp === 0) return; // nothing counted per address
    const count = this.#perAddress.get(conn.addressKey) ?? 0;
    if (count <= 1) this.#perAddress.delete(conn.addressKey);
    else this.#perAddress.set(conn.addressKey, count - 1);
  }

  #evictOldest(now: number): boolean {
    for (const oldest of this.#pending) {
      if (now - oldest.connectedAt < this.#limits.evictAfterMs) return false;
      this.closed(oldest);
      oldest.evict();
      return true;
    }
    return false;
  }
}
