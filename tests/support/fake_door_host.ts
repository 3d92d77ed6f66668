/**
 * A {@linkcode DoorHost} for testing doors without a server: it admits every
 * connection (or refuses them all with a text), counts what is open, records
 * the links it is handed and the log lines, and can fire the login deadline.
 *
 * @module
 */

import type { CloseReason, DoorHost, Ticket } from "../../server/doors/door.ts";
import type { Link, LinkOrigin } from "../../server/session/link.ts";
import { within } from "./deadline.ts";

/** A link the host was handed, with where it came from. */
export interface Opened {
  /** The link. */
  readonly link: Link;
  /** Its origin. */
  readonly origin: LinkOrigin;
}

/** A fake host and what it saw. */
export class FakeDoorHost implements DoorHost {
  /** Every log line, `level line`. */
  readonly lines: string[] = [];
  /** Links handed over, in order. */
  readonly opened: Opened[] = [];
  /** Tickets admitted and not yet opened or released. */
  pending = 0;
  /** Tickets released. */
  released = 0;
  /** When set, every admission is refused with this text. */
  refuse: string | undefined;
  /** Called with each opened link (a test's session). */
  onOpen: ((opened: Opened) => void) | undefined;
  readonly #closers = new Set<(reason: CloseReason) => void>();
  #changed = Promise.withResolvers<void>();

  /** The log, as a door writes it. */
  readonly log = {
    error: (line: string) => this.#line(`error ${line}`),
    info: (line: string) => this.#line(`info ${line}`),
    repeated: (_key: string, level: string, line: string) => this.#line(`${level} ${line}`),
  };

  /** Admits (or refuses) a connection. */
  admit(origin: LinkOrigin, close: (reason: CloseReason) => void) {
    if (this.refuse !== undefined) return { refused: this.refuse };
    this.pending++;
    this.#closers.add(close);
    let used = false;
    const ticket: Ticket = {
      connectedAt: Date.now(),
      open: (link) => {
        if (used) throw new Error("Ticket used twice");
        used = true;
        this.pending--;
        this.#closers.delete(close);
        const opened = { link, origin };
        this.opened.push(opened);
        this.onOpen?.(opened);
        this.#wake();
      },
      release: () => {
        if (used) throw new Error("Ticket used twice");
        used = true;
        this.pending--;
        this.released++;
        this.#closers.delete(close);
        this.#wake();
      },
    };
    return ticket;
  }

  /** Fires the login deadline: closes every connection admitted and not opened. */
  expire(text = "login timeout"): void {
    for (const close of [...this.#closers]) close({ text });
  }

  /** Waits until `test` holds, within 5 seconds (it is tried again every 50 ms). */
  async until(
    test: () => boolean | Promise<boolean>,
    what: string,
    milliseconds = 5000,
  ): Promise<void> {
    const deadline = Date.now() + milliseconds;
    while (!(await test())) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}`);
      await within(this.#changed.promise, what, Math.min(left, 50)).catch(() => {});
    }
  }

  /** Waits for the `count`-th opened link (the first by default). */
  async nextOpened(count = 1): Promise<Opened> {
    await this.until(() => this.opened.length >= count, "a link to open");
    return this.opened[count - 1]!;
  }

  /** Closes every opened link. */
  closeAll(): void {
    for (const { link } of this.opened) {
      try {
        link.close();
      } catch {
        // Closed already.
      }
    }
  }

  #line(line: string): void {
    this.lines.push(line);
    this.#wake();
  }

  #wake(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers();
  }
}

/**
 * Counts this process's open file descriptors (Linux), with `ls` (reading
 * `/proc/self` needs every permission; running a program is allowed).
 */
export async function openDescriptors(pid = Deno.pid): Promise<number> {
  const output = await new Deno.Command("ls", { args: [`/proc/${pid}/fd`], stderr: "null" })
    .output();
  return new TextDecoder().decode(output.stdout).split("\n").filter((name) => name !== "").length;
}
