/**
 * The leader of a group of load generators: one client that sends the login rounds
 * (`#SYNC:NNNNNN`) the group's clients count (see the `leader` option of
 * `load_options.ts`), and reads, without looking, everything the server relays to
 * it, so that it never falls behind.
 *
 * Requires `--allow-net`.
 *
 * @module
 */

import { encodeString } from "../../protocol/encode.ts";
import { writeAll } from "../../io/write_all.ts";

/** The largest round number a sync message holds (six digits). */
export const MAX_ROUND = 999_999;

/** One logged-in client that sends rounds. */
export class RoundLeader implements AsyncDisposable {
  /** Its user name. */
  readonly name: string;
  readonly #conn: Deno.TcpConn;
  readonly #reading: Promise<void>;
  #round = 0;
  #closed = false;
  #lost: string | undefined;

  private constructor(name: string, conn: Deno.TcpConn) {
    this.name = name;
    this.#conn = conn;
    this.#reading = this.#discard();
  }

  /**
   * Connects and sends its user name.
   *
   * @param hostname The server's host.
   * @param port The server's port.
   * @param name Its user name, which no load generator client uses.
   * @returns The leader.
   */
  static async connect(hostname: string, port: number, name: string): Promise<RoundLeader> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    const leader = new RoundLeader(name, conn);
    await writeAll(conn, encodeString(name));
    return leader;
  }

  /** The last round sent, 0 before the first. */
  get round(): number {
    return this.#round;
  }

  /** Why the connection ended, when the server closed it; undefined while it is open. */
  get lost(): string | undefined {
    return this.#lost;
  }

  /**
   * Sends the next round.
   *
   * @returns Its number, and the wall-clock time in ms just before it was written.
   * @throws {RangeError} Past round {@linkcode MAX_ROUND}.
   */
  async send(): Promise<{ round: number; sentMs: number }> {
    if (this.#round >= MAX_ROUND) throw new RangeError(`Cannot send round ${this.#round + 1}`);
    const round = ++this.#round;
    const bytes = encodeString(`#SYNC:${String(round).padStart(6, "0")}`);
    const sentMs = performance.timeOrigin + performance.now();
    await writeAll(this.#conn, bytes);
    return { round, sentMs };
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    await this.#reading;
  }

  /** Closes the connection. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #discard(): Promise<void> {
    const buffer = new Uint8Array(16384);
    try {
      while ((await this.#conn.read(buffer)) !== null) {
        // what the room relays is not the leader's concern
      }
      if (!this.#closed) this.#lost = "closed by the server";
    } catch (error) {
      if (!this.#closed) this.#lost = error instanceof Error ? error.message : String(error);
    }
  }
}
