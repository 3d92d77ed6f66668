/**
 * The list of who is here, beside the log: set from `/who` answers, updated by
 * join and leave notices.
 *
 * @module
 */

import { quoteUsername } from "../client/format.ts";
import { sanitize } from "../client/sanitize.ts";
import { colorClass } from "./log_view.ts";

/** The member list of one page. */
export class MemberList {
  readonly #list: HTMLElement;
  readonly #title: HTMLElement;
  readonly #me: () => string;
  // Names and how many members have each (names need not be unique).
  #members = new Map<string, number>();

  /**
   * Keeps `list` and the count in `title`.
   *
   * @param list The `<ul>`.
   * @param title Its heading, which says how many are here.
   * @param me The reader's own name, marked "(you)".
   */
  constructor(list: HTMLElement, title: HTMLElement, me: () => string) {
    this.#list = list;
    this.#title = title;
    this.#me = me;
  }

  /** Everyone here, as a `/who` answer lists them. */
  set(names: readonly string[]): void {
    this.#members = new Map();
    for (const name of names) this.#members.set(name, (this.#members.get(name) ?? 0) + 1);
    this.#render();
  }

  /** Someone joined. */
  add(name: string): void {
    this.#members.set(name, (this.#members.get(name) ?? 0) + 1);
    this.#render();
  }

  /** Someone left. */
  remove(name: string): void {
    const count = this.#members.get(name);
    if (count === undefined) return;
    if (count > 1) this.#members.set(name, count - 1);
    else this.#members.delete(name);
    this.#render();
  }

  /** Forgets everyone (the page left the room). */
  clear(): void {
    this.set([]);
  }

  #render(): void {
    const names = [...this.#members].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    let total = 0;
    const items = [];
    for (const [name, count] of names) {
      for (let i = 0; i < count; i++) {
        const item = document.createElement("li");
        item.className = colorClass(name);
        item.textContent = sanitize(quoteUsername(name));
        if (name === this.#me()) {
          const you = document.createElement("span");
          you.className = "you";
          you.textContent = "(you)";
          item.append(you);
        }
        items.push(item);
        total++;
      }
    }
    this.#list.replaceChildren(...items);
    this.#title.textContent = `${total} here`;
  }
}
