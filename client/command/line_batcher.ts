/**
 * Received lines drawn in batches, with a bounded backlog while the output is busy.
 *
 * @module
 */

/** What a {@linkcode LineBatcher} draws on, and how much it holds. */
export interface LineBatcherOptions {
  /**
   * Draws a batch of lines, in order, at once.
   *
   * @param lines The lines, at least one.
   */
  draw: (lines: string[]) => void;
  /**
   * Resolves once the output has taken everything drawn so far; the next batch
   * waits for it. By default the output takes everything at once.
   *
   * @default {() => Promise.resolve()}
   */
  drained?: () => Promise<void>;
  /**
   * How many lines may wait for the output; lines pushed beyond it are skipped
   * and counted.
   *
   * @default {Infinity}
   */
  maxBacklog?: number;
  /**
   * The line that takes the place of `count` skipped lines.
   *
   * @param count How many lines in a row were skipped.
   * @default {(count) => `-- ${count} messages skipped`}
   */
  skipped?: (count: number) => string;
}

/**
 * Collects lines and draws them in batches: every line pushed in one turn of the
 * event loop goes in the same draw, and while the output is still taking a batch
 * (`drained` pending), the lines pushed meanwhile wait and go in the next one.
 * At most `maxBacklog` lines wait: later ones are skipped, and one line in their
 * place says how many. Notes are never skipped. Lines keep their order.
 */
export class LineBatcher {
  readonly #draw: (lines: string[]) => void;
  readonly #drained: () => Promise<void>;
  readonly #maxBacklog: number;
  readonly #skippedLine: (count: number) => string;
  #waiting: string[] = [];
  // Lines in #waiting that count against the backlog (notes do not).
  #backlog = 0;
  // Lines skipped since the last one that waits.
  #skipping = 0;
  #skippedTotal = 0;
  #running: Promise<void> | undefined;
  readonly #failure = Promise.withResolvers<unknown>();
  #failed = false;

  /** @param options Where to draw, and the bound. */
  constructor(options: LineBatcherOptions) {
    this.#draw = options.draw;
    this.#drained = options.drained ?? (() => Promise.resolve());
    this.#maxBacklog = options.maxBacklog ?? Infinity;
    this.#skippedLine = options.skipped ?? ((count) => `-- ${count} messages skipped`);
  }

  /** How many lines were skipped in all. */
  get skipped(): number {
    return this.#skippedTotal;
  }

  /** Resolves with the error of a draw, or of `drained`, that failed; it never rejects. */
  get failure(): Promise<unknown> {
    return this.#failure.promise;
  }

  /**
   * Adds a line to draw, or skips it when the backlog is full.
   *
   * @param line A line, without its line ending.
   */
  push(line: string): void {
    if (this.#failed) return;
    if (this.#backlog >= this.#maxBacklog) {
      this.#skipping++;
      this.#skippedTotal++;
      return;
    }
    this.#endSkipping();
    this.#waiting.push(line);
    this.#backlog++;
    this.#schedule();
  }

  /**
   * Adds a line that is never skipped, after every line pushed before it.
   *
   * @param line A line, without its line ending.
   */
  note(line: string): void {
    if (this.#failed) return;
    this.#endSkipping();
    this.#waiting.push(line);
    this.#schedule();
  }

  /**
   * Waits until every line added so far is drawn (or drawing failed).
   *
   * @returns A promise that never rejects.
   */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Drops the lines that wait: they will not be drawn. */
  discard(): void {
    this.#waiting = [];
    this.#backlog = 0;
    this.#skipping = 0;
  }

  #endSkipping(): void {
    if (this.#skipping === 0) return;
    this.#waiting.push(this.#skippedLine(this.#skipping));
    this.#skipping = 0;
  }

  #schedule(): void {
    this.#running ??= this.#run();
  }

  async #run(): Promise<void> {
    try {
      // Let the rest of this turn's lines join the first batch.
      await new Promise((resolve) => setTimeout(resolve, 0));
      while (true) {
        await this.#drained();
        this.#endSkipping();
        if (this.#waiting.length === 0) break;
        const batch = this.#waiting;
        this.#waiting = [];
        this.#backlog = 0;
        this.#draw(batch);
      }
    } catch (error) {
      this.#failed = true;
      this.discard();
      this.#failure.resolve(error);
    }
    this.#running = undefined;
  }
}
