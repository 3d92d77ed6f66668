/**
 * How long to wait before each attempt to reconnect: doubling, bounded, jittered.
 *
 * @module
 */

/** The delays of a {@linkcode ReconnectBackoff}. */
export interface ReconnectBackoffOptions {
  /**
   * The first delay, in milliseconds.
   *
   * @default {500}
   */
  initial?: number;
  /**
   * The longest delay, in milliseconds.
   *
   * @default {30000}
   */
  max?: number;
  /**
   * How far a delay may stray from its nominal value, as a fraction of it, so
   * that clients dropped together do not come back together.
   *
   * @default {0.2}
   */
  jitter?: number;
  /**
   * A number in [0, 1) for each delay.
   *
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * The delays between attempts to reconnect: `initial`, then twice as long each
 * time up to `max`, each moved at random by up to `jitter` of itself (and never
 * past `max`). {@linkcode ReconnectBackoff.reset} starts again from `initial`
 * once a connection has held.
 */
export class ReconnectBackoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #nominal: number;

  /** @param options The delays. */
  constructor(options: ReconnectBackoffOptions = {}) {
    this.#initial = options.initial ?? 500;
    this.#max = options.max ?? 30_000;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
    this.#nominal = this.#initial;
  }

  /**
   * The delay before the next attempt; the one after is twice as long.
   *
   * @returns Milliseconds.
   */
  next(): number {
    const nominal = this.#nominal;
    this.#nominal = Math.min(this.#max, nominal * 2);
    const spread = nominal * this.#jitter * (2 * this.#random() - 1);
    return Math.round(Math.min(this.#max, Math.max(0, nominal + spread)));
  }

  /** Starts again from the first delay. */
  reset(): void {
    this.#nominal = this.#initial;
  }
}
