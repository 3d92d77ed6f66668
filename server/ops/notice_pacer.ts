/**
 * Join and leave notices that stay readable under churn: a join is held a moment,
 * so a member who leaves within it is never announced; past a rate, the room
 * hears one summary a second instead of every notice.
 *
 * @module
 */

/** How {@linkcode NoticePacer} paces. */
export interface NoticePacerOptions {
  /**
   * How long a join is held before it is announced, in milliseconds.
   *
   * @default {1000}
   */
  readonly holdMs?: number;
  /**
   * The most notices said one by one within a second; past it, they are counted
   * into one summary line at the end of the second.
   *
   * @default {20}
   */
  readonly maxPerSecond?: number;
  /** A held join was let go (announced, or counted into a summary). */
  readonly released?: (member: object) => void;
}

/** Says a notice into the room; `id` de-duplicates it across a cluster. */
export type SayNotice = (text: string, id?: string) => void;

/**
 * The text of a summary: `312 joined, 298 left in the last second`.
 *
 * @example
 * ```ts
 * import { summaryText } from "./notice_pacer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(summaryText(312, 298), "312 joined, 298 left in the last second");
 * ```
 */
export function summaryText(joined: number, left: number): string {
  return `${joined} joined, ${left} left in the last second`;
}

const SECOND_MS = 1000;

/**
 * Paces join and leave notices. Members are keyed by identity (the session).
 *
 * @example A member who leaves at once is never announced
 * ```ts
 * import { NoticePacer } from "./notice_pacer.ts";
 * import assert from "node:assert/strict";
 *
 * const said: string[] = [];
 * const pacer = new NoticePacer((text) => said.push(text));
 * const bob = {};
 * pacer.joined(bob, "bob joined");
 * pacer.left(bob, "bob left");
 * pacer.close();
 * assert.deepEqual(said, []);
 * ```
 */
export class NoticePacer {
  readonly #say: SayNotice;
  readonly #options: NoticePacerOptions;
  readonly #holdMs: number;
  readonly #maxPerSecond: number;
  // Joins not yet announced, oldest first.
  readonly #held = new Map<object, { readonly text: string; readonly at: number }>();
  #holdTimer: ReturnType<typeof setTimeout> | undefined;
  // The current second: notices said one by one, and those counted instead.
  #said = 0;
  #joined = 0;
  #left = 0;
  #windowTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * @param say Says one notice into the room.
   * @param options How it paces.
   */
  constructor(say: SayNotice, options: NoticePacerOptions = {}) {
    this.#say = say;
    this.#options = options;
    this.#holdMs = options.holdMs ?? 1000;
    this.#maxPerSecond = options.maxPerSecond ?? 20;
  }

  /**
   * A member joined: announced with `text` once held, unless it leaves first.
   *
   * @param member The member, by identity.
   * @param text Its join notice.
   */
  joined(member: object, text: string): void {
    if (this.#closed) return;
    if (this.#holdMs === 0) {
      this.#notice(text, undefined, "joined");
      return;
    }
    this.#held.set(member, { text, at: performance.now() });
    this.#holdTimer ??= setTimeout(() => this.#release(), this.#holdMs);
  }

  /**
   * A member left: announced with `text`, unless its join was still held (then
   * neither is).
   *
   * @param member The member, by identity (`undefined` for a member of another node).
   * @param text Its leave notice.
   * @param id The notice's id across a cluster.
   */
  left(member: object | undefined, text: string, id?: string): void {
    if (this.#closed) return;
    if (member !== undefined && this.#held.delete(member)) return;
    this.#notice(text, id, "left");
  }

  /** Whether `member`'s join is still held (not announced yet). */
  isHeld(member: object): boolean {
    return this.#held.has(member);
  }

  /** Stops: held joins and counts are dropped, timers cleared. */
  close(): void {
    this.#closed = true;
    this.#held.clear();
    clearTimeout(this.#holdTimer);
    clearTimeout(this.#windowTimer);
  }

  #release(): void {
    this.#holdTimer = undefined;
    const due = performance.now() - this.#holdMs;
    for (const [member, join] of this.#held) {
      if (join.at > due) {
        this.#holdTimer = setTimeout(() => this.#release(), join.at - due);
        return;
      }
      this.#held.delete(member);
      this.#options.released?.(member);
      this.#notice(join.text, undefined, "joined");
    }
  }

  #notice(text: string, id: string | undefined, kind: "joined" | "left"): void {
    if (this.#windowTimer === undefined) {
      this.#said = 0;
      this.#windowTimer = setTimeout(() => this.#endWindow(), SECOND_MS);
    }
    if (this.#said < this.#maxPerSecond) {
      this.#said++;
      this.#say(text, id);
    } else if (kind === "joined") {
      this.#joined++;
    } else {
      this.#left++;
    }
  }

  #endWindow(): void {
    this.#windowTimer = undefined;
    if (this.#joined === 0 && this.#left === 0) return;
    const [joined, left] = [this.#joined, this.#left];
    this.#joined = this.#left = 0;
    this.#say(summaryText(joined, left));
    // The summary opens the next second, so a steady churn gets one line a second.
    this.#said = 1;
    this.#windowTimer = setTimeout(() => this.#endWindow(), SECOND_MS);
  }
}
