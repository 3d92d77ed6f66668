/**
 * Collects a server's log lines in memory and lets a test wait for one.
 *
 * @module
 */

/** Log lines collected from a server's `log` option. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();

  /** The function to pass as the server's `log` option. */
  readonly log = (line: string): void => {
    this.lines.push(line);
    for (const wake of this.#waiters) wake();
  };

  /** The lines matching `pattern`. */
  matching(pattern: RegExp): string[] {
    return this.lines.filter((line) => pattern.test(line));
  }

  /**
   * Waits for `count` lines matching `pattern`; fails after `timeout` ms, a
   * deadline that catches a hang, not slowness.
   */
  async waitFor(pattern: RegExp, count = 1, timeout = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeout;
    while (this.matching(pattern).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `No log line matched ${pattern} (${count} wanted) in:\n${this.lines.join("\n")}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
        timer = setTimeout(wake, left);
      });
      clearTimeout(timer);
    }
    return this.matching(pattern);
  }
}
