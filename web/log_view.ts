/**
 * The message log: messages grouped by sender, day separators, notices in a
 * quieter style, links, a cap on its size, and scrolling that stays where the
 * reader left it. Entries are queued and drawn in slices, so a burst of
 * thousands of messages never blocks the page for long.
 *
 * @module
 */

import type { ChatMessage } from "../protocol/frames.ts";

export type { ChatMessage };
import { quoteUsername, userColor } from "../client/format.ts";
import { sanitize } from "../client/sanitize.ts";

/** One thing to show in the log. */
export type Entry =
  | { readonly kind: "message"; readonly message: ChatMessage }
  | { readonly kind: "notice"; readonly message: ChatMessage }
  | { readonly kind: "local"; readonly text: string }
  | { readonly kind: "gap"; readonly text: string };

/** Options of {@linkcode LogView}. */
export interface LogViewOptions {
  /** The most rows (messages, notices, local lines) the log keeps. */
  readonly maxRows: number;
  /** Rows drawn in one task at most. */
  readonly slice: number;
  /** The user name whose messages are set apart as the reader's own. */
  readonly me: () => string;
  /** Called when rows arrive below while the reader is scrolled up. */
  readonly onUnseen: (count: number) => void;
}

// The log follows new rows while the reader is within this many pixels of its end.
const FOLLOW_SLACK = 48;
// A scroll this soon after the reader touched the log is the reader's.
const TOUCH_MS = 500;
// Frames the end must stay put before the log stops checking it: a row out of
// view keeps its last height until it is drawn again, a frame or two after it
// comes into view.
const SETTLE_FRAMES = 6;
// Other scrolls this soon after the log scrolled itself are rows settling.
const SETTLE_MS = 1_000;
// A message joins the group above when its sender wrote that recently, and the
// group is not already long (the name is shown again; a short group is also one
// the browser can skip drawing as a whole while it is out of view).
const GROUP_SECONDS = 5 * 60;
const GROUP_ROWS = 50;

/** The CSS class of a user name's colour: the terminal client's colour, by its SGR code. */
export function colorClass(username: string): string {
  return `c${userColor(username)}`;
}

function localDay(date: Date): string {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

// Trailing punctuation is rarely part of a link written in a sentence.
const LINK = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * Appends `text` to `parent`, with http and https links as `<a>` elements that
 * open apart (`rel="noopener noreferrer"`); every other part is a text node.
 *
 * @param parent Where the text goes.
 * @param text Text already made safe to show.
 */
export function appendWithLinks(parent: HTMLElement, text: string): void {
  if (!text.includes("://")) {
    parent.textContent = text;
    return;
  }
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const found = match[0].replace(TRAILING, "");
    let url: URL;
    try {
      url = new URL(found);
    } catch {
      continue;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue;
    if (match.index > at) parent.append(text.slice(at, match.index));
    const link = document.createElement("a");
    link.href = url.href;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    link.textContent = found;
    parent.append(link);
    at = match.index + found.length;
  }
  if (at < text.length) parent.append(text.slice(at));
}

/** The log of one page. */
export class LogView {
  readonly #log: HTMLElement;
  readonly #options: LogViewOptions;
  #queue: Entry[] = [];
  #scheduled = false;
  #rows = 0;
  #dropped = 0;
  #droppedLine: HTMLElement | undefined;
  #following = true;
  #unseen = 0;
  // The group that a message from the same sender joins, and its last time.
  #group: { element: HTMLElement; username: string; timestamp: number; rows: number } | undefined;
  #day = "";
  // Where the log last scrolled itself to.
  #autoTop = 0;
  #scrollPending = false;
  #touchedAt = -Infinity;
  #autoAt = -Infinity;
  #settleFrames = 0;
  #scrollFrames = 0;

  /**
   * Draws into `log` and follows the reader's scrolling there.
   *
   * @param log The log's element (`role="log"`).
   * @param options Its limits and callbacks.
   */
  constructor(log: HTMLElement, options: LogViewOptions) {
    this.#log = log;
    this.#options = options;
    // What the reader does to scroll: just after the log scrolled itself, a scroll
    // without one of these is a row's height changing, not the reader.
    const touched = () => this.#touchedAt = performance.now();
    for (const type of ["wheel", "touchmove", "keydown", "pointerdown"]) {
      log.addEventListener(type, touched, { passive: true });
    }
    log.addEventListener("scroll", () => {
      const nearEnd = log.scrollHeight - log.scrollTop - log.clientHeight < FOLLOW_SLACK;
      const now = performance.now();
      if (
        !nearEnd && this.#following && now - this.#autoAt < SETTLE_MS &&
        now - this.#touchedAt > TOUCH_MS
      ) {
        // Rows drawn at last changed height under the reader: back to the end.
        this.#scrollSoon();
        return;
      }
      // Near the end, or not above where the log last scrolled itself (rows may
      // have been added since): the reader follows. Above it: the reader scrolled up.
      this.#following = nearEnd || (this.#following && log.scrollTop >= this.#autoTop - 1);
      if (this.#following && this.#unseen > 0) {
        this.#unseen = 0;
        this.#options.onUnseen(0);
      }
    }, { passive: true });
    // A window made smaller (a phone turned, a keyboard opened) keeps the end in view.
    new ResizeObserver(() => {
      if (this.#following) this.#scrollSoon();
    }).observe(log);
  }

  /** Rows shown now. */
  get rows(): number {
    return this.#rows;
  }

  /** Rows dropped from the top so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether entries wait to be drawn. */
  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /**
   * Queues an entry; it is drawn in the next slice.
   *
   * @param entry What to show.
   */
  add(entry: Entry): void {
    this.#queue.push(entry);
    this.#schedule();
  }

  /** Removes the last `gap` entry: still queued, or drawn. */
  removeLastGap(): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      if (this.#queue[i]!.kind === "gap") {
        this.#queue.splice(i, 1);
        return;
      }
    }
    const gaps = this.#log.querySelectorAll(".gap");
    gaps[gaps.length - 1]?.remove();
  }

  /** Scrolls to the newest row and follows new ones again. */
  scrollToEnd(): void {
    this.#following = true;
    this.#toEnd();
    this.#scrollSoon();
    this.#unseen = 0;
    this.#options.onUnseen(0);
  }

  #toEnd(): void {
    this.#log.scrollTop = this.#log.scrollHeight;
    this.#autoTop = this.#log.scrollTop;
    this.#autoAt = performance.now();
  }

  #flush(): void {
    this.#scheduled = false;
    const max = this.#options.maxRows;
    // More waiting than the log keeps: the oldest are dropped before drawing any.
    if (this.#queue.length > max) {
      const excess = this.#queue.length - max;
      this.#queue.splice(0, excess);
      this.#dropped += excess + this.#rows;
      this.#clear();
    }
    const batch = this.#queue.splice(0, this.#options.slice);
    let added = 0;
    for (const entry of batch) {
      this.#draw(entry);
      if (entry.kind !== "gap") added++;
    }
    this.#rows += added;
    while (this.#rows > max) this.#dropOldest();
    if (this.#dropped > 0) this.#showDropped();
    if (this.#following) {
      this.#scrollSoon();
    } else if (added > 0) {
      this.#unseen += added;
      this.#options.onUnseen(this.#unseen);
    }
    if (this.#queue.length > 0) this.#schedule();
  }

  // One slice a frame: the frame then lays out one slice's rows, not several.
  // A hidden page draws no frames: its slices follow one another in tasks.
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (document.hidden) setTimeout(() => this.#flush(), 0);
    else requestAnimationFrame(() => setTimeout(() => this.#flush(), 0));
  }

  // Scrolls to the end before the next frame is drawn: once a frame, however many
  // slices were added, so that the layout is not forced after each slice. Rows
  // out of view have an estimated height until they are drawn, so the end may
  // move once they are, a frame or two later: it is checked again each frame
  // until it stays put for SETTLE_FRAMES frames in a row (within a bound).
  #scrollSoon(): void {
    this.#settleFrames = 0;
    if (this.#scrollPending) return;
    this.#scrollPending = true;
    const step = () => {
      const log = this.#log;
      if (!this.#following) {
        this.#scrollPending = false;
        return;
      }
      if (log.scrollHeight - log.scrollTop - log.clientHeight >= 1) {
        this.#toEnd();
        this.#settleFrames = Math.min(this.#settleFrames, 0);
      }
      this.#settleFrames++;
      if (this.#settleFrames >= SETTLE_FRAMES || ++this.#scrollFrames > 120) {
        this.#scrollPending = false;
        this.#scrollFrames = 0;
        return;
      }
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  #clear(): void {
    this.#log.replaceChildren();
    this.#droppedLine = undefined;
    this.#rows = 0;
    this.#group = undefined;
    this.#day = "";
  }

  #draw(entry: Entry): void {
    switch (entry.kind) {
      case "message":
        this.#drawMessage(entry.message);
        return;
      case "notice":
        this.#drawQuiet("notice", `* ${sanitize(entry.message.text)}`, entry.message.timestamp);
        return;
      case "local":
        this.#drawQuiet("local", entry.text, Date.now() / 1000);
        return;
      case "gap": {
        const gap = document.createElement("p");
        gap.className = "gap";
        gap.textContent = entry.text;
        this.#log.append(gap);
        this.#group = undefined;
        return;
      }
    }
  }

  #dayFor(timestamp: number): Date {
    const date = new Date(timestamp * 1000);
    const day = Number.isNaN(date.getTime()) ? "" : localDay(date);
    if (day !== "" && day !== this.#day) {
      this.#day = day;
      const separator = document.createElement("h2");
      separator.className = "day";
      separator.textContent = date.toLocaleDateString(undefined, {
        weekday: "long",
        year: "numeric",
        month: "long",
        day: "numeric",
      });
      this.#log.append(separator);
      this.#group = undefined;
    }
    return date;
  }

  #time(date: Date): HTMLTimeElement {
    const time = document.createElement("time");
    if (Number.isNaN(date.getTime())) {
      time.textContent = "--:--";
    } else {
      time.dateTime = date.toISOString();
      time.textContent = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
    }
    return time;
  }

  #drawMessage(message: ChatMessage): void {
    const date = this.#dayFor(message.timestamp);
    const row = document.createElement("div");
    row.className = "msg";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = sanitize(quoteUsername(message.username));
    const own = message.username === this.#options.me();
    const group = this.#group;
    if (
      group !== undefined && group.username === message.username &&
      message.timestamp - group.timestamp < GROUP_SECONDS &&
      message.timestamp >= group.timestamp && group.rows < GROUP_ROWS
    ) {
      group.timestamp = message.timestamp;
      group.rows++;
      row.append(this.#time(date), name);
      group.element.append(row);
    } else {
      const element = document.createElement("div");
      element.className = `group ${colorClass(message.username)}${own ? " own" : ""}`;
      row.classList.add("first");
      row.append(this.#time(date), name);
      if (own) {
        const you = document.createElement("span");
        you.className = "you";
        you.textContent = "(you)";
        name.append(you);
      }
      element.append(row);
      this.#log.append(element);
      this.#group = {
        element,
        username: message.username,
        timestamp: message.timestamp,
        rows: 1,
      };
    }
    const text = document.createElement("span");
    text.className = "text";
    appendWithLinks(text, sanitize(message.text));
    row.append(text);
  }

  #drawQuiet(kind: "notice" | "local", text: string, timestamp: number): void {
    const date = this.#dayFor(timestamp);
    const row = document.createElement("p");
    row.className = `msg ${kind}`;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    row.append(this.#time(date), body);
    this.#log.append(row);
    this.#group = undefined;
  }

  // Removes the oldest row, and the group or day heading it leaves empty.
  #dropOldest(): void {
    let first = this.#log.firstElementChild;
    if (first === this.#droppedLine) first = first?.nextElementSibling ?? null;
    while (first !== null) {
      if (first.classList.contains("group")) {
        const row = first.querySelector(".msg");
        row?.remove();
        if (first.querySelector(".msg") === null) {
          if (this.#group?.element === first) this.#group = undefined;
          first.remove();
        } else if (!first.firstElementChild!.classList.contains("first")) {
          first.firstElementChild!.classList.add("first");
        }
        break;
      }
      const next = first.nextElementSibling;
      const isRow = first.classList.contains("msg");
      // A day heading stays while rows of its day follow it.
      const keep = first.classList.contains("day") && next !== null &&
        !next.classList.contains("day");
      if (!keep) first.remove();
      if (isRow) break;
      first = next;
    }
    this.#rows--;
    this.#dropped++;
  }

  #showDropped(): void {
    if (this.#droppedLine === undefined) {
      this.#droppedLine = document.createElement("p");
      this.#droppedLine.className = "dropped";
      this.#log.prepend(this.#droppedLine);
    }
    const count = this.#dropped.toLocaleString("en-US");
    this.#droppedLine.textContent = `${count} older message${
      this.#dropped === 1 ? " was" : "s were"
    } dropped: this page keeps the latest ${this.#options.maxRows.toLocaleString("en-US")}.`;
  }
}
