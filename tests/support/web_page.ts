/**
 * Driving the chat page in a real browser: log in, send, read the log's rows.
 *
 * @module
 */

import axeCore from "axe-core";
import type { Page } from "puppeteer-core";
import { type ChatServer, serve, type ServerOptions } from "../../server.ts";
import { encodeString } from "../../protocol/encode.ts";
import { LogCapture } from "./log_capture.ts";

/** An element of the page, as far as the functions these tests run in the page use it. */
export interface PageNode {
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  readonly firstChild: PageNode | null;
  readonly hidden: boolean;
  value: string;
  querySelector(selector: string): PageNode | null;
  closest(selector: string): PageNode | null;
  getAttribute(name: string): string | null;
}
// The page's document, as far as the functions run in the page use it.
declare const document: {
  getElementById(id: string): PageNode | null;
  querySelectorAll(selector: string): Iterable<PageNode>;
  readonly title: string;
  readonly activeElement: { readonly id: string } | null;
};

// axe-core, once evaluated in the page.
declare const axe: {
  run(
    context: unknown,
    options: unknown,
  ): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
};

/** One row of the log, as the reader sees it. */
export interface Row {
  /** `message` (a person's), `notice` (from `*`), `local` (the page's own). */
  readonly kind: "message" | "notice" | "local";
  /** The sender as shown, for a person's message. */
  readonly name: string;
  /** The text as shown (a notice's starts with `* `). */
  readonly text: string;
  /** `HH:MM`. */
  readonly time: string;
  /** `[name] text` for a message, the text otherwise. */
  readonly line: string;
  /** Whether it is in a group set apart as the reader's own. */
  readonly own: boolean;
  /** The colour class of its group (`c32` … `c96`), or `""`. */
  readonly color: string;
  /** Whether it opens a group (shows the name and time). */
  readonly first: boolean;
}

// Runs in the page: the rows of the log.
function readRows(): Row[] {
  return [...document.querySelectorAll("#log .msg")].map((row) => {
    const kind = row.classList.contains("notice")
      ? "notice"
      : row.classList.contains("local")
      ? "local"
      : "message";
    const name = row.querySelector(".name")?.firstChild?.textContent ?? "";
    const text = row.querySelector(".text")?.textContent ?? "";
    const group = row.closest(".group");
    const color = /\bc\d\d\b/.exec(group?.getAttribute("class") ?? "")?.[0] ?? "";
    return {
      kind,
      name,
      text,
      time: row.querySelector("time")?.textContent ?? "",
      line: kind === "message" ? `[${name}] ${text}` : text,
      own: group?.classList.contains("own") ?? false,
      color,
      first: row.classList.contains("first"),
    } as Row;
  });
}

/** The rows of the log. */
export async function rows(page: Page): Promise<Row[]> {
  return await page.evaluate(readRows);
}

/** Waits for a row whose line (`[name] text`, or a notice's `* text`) ends with `text`. */
export async function waitForLine(page: Page, text: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      [...document.querySelectorAll("#log .msg")].some((row) => {
        const name = row.querySelector(".name")?.firstChild?.textContent;
        const body = row.querySelector(".text")?.textContent ?? "";
        return (name === undefined ? body : `[${name}] ${body}`).endsWith(wanted);
      }),
    { timeout, polling: 50 },
    text,
  );
}

/** Waits until `test` holds of the page's status line. */
export async function waitForStatus(page: Page, pattern: RegExp, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (source, flags) =>
      new RegExp(source, flags).test(document.getElementById("status")?.textContent ?? ""),
    { timeout, polling: 50 },
    pattern.source,
    pattern.flags,
  );
}

/** The text of the element with `id`. */
export async function textOf(page: Page, id: string): Promise<string> {
  return await page.evaluate((wanted) => document.getElementById(wanted)?.textContent ?? "", id);
}

/** Types `text` into the message field and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  // Setting the value directly also carries characters a keyboard cannot type.
  await page.$eval(
    "#message",
    (input, value) => (input as unknown as PageNode).value = value,
    text,
  );
  await page.focus("#message");
  await page.keyboard.press("Enter");
}

/** Opens the page at `origin` (with its config loaded) without logging in. */
export async function open(page: Page, origin: string): Promise<void> {
  await page.goto(origin, { waitUntil: "load", timeout: 30_000 });
  await page.waitForSelector("html[data-ready]", { timeout: 30_000 });
}

/** Opens the page at `origin` and logs in as `name`. */
export async function logIn(page: Page, origin: string, name: string): Promise<void> {
  await open(page, origin);
  await page.$eval("#username", (input) => (input as unknown as PageNode).value = "");
  await page.type("#username", name);
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    (wanted) => document.getElementById("status")?.textContent === `Connected as ${wanted}`,
    { timeout: 30_000, polling: 50 },
    name,
  );
}

/** The real server with its web door, on free ports of 127.0.0.1. */
export interface WebChat extends AsyncDisposable {
  /** The server. */
  readonly server: ChatServer;
  /** Its log lines. */
  readonly logs: LogCapture;
  /** The page's origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The TCP door's port. */
  readonly port: number;
}

/**
 * Starts the real server with its web door on 127.0.0.1 (`webPort` 0 for a free
 * port), logging at info level into a capture.
 */
export function startChat(options: ServerOptions = {}, webPort = 0): WebChat {
  const logs = new LogCapture();
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    logLevel: "info",
    log: logs.log,
    ...options,
    web: { hostname: "127.0.0.1", port: webPort },
  });
  return {
    server,
    logs,
    origin: `http://127.0.0.1:${server.addrs.web!.port}`,
    port: server.addr.port,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Waits until the element with `id` has the text `text`. */
export async function waitForText(
  page: Page,
  id: string,
  text: string,
  timeout = 30_000,
): Promise<void> {
  await page.waitForFunction(
    (wanted, expected) => document.getElementById(wanted)?.textContent === expected,
    { timeout, polling: 50 },
    id,
    text,
  );
}

/** `count` messages `m 0`, `m 1` … as one buffer of client frames, to send at once. */
export function burst(count: number): Uint8Array {
  const frames = Array.from({ length: count }, (_, i) => encodeString(`m ${i}`));
  const bytes = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0));
  let at = 0;
  for (const frame of frames) {
    bytes.set(frame, at);
    at += frame.length;
  }
  return bytes;
}

/**
 * The serious and critical violations axe-core finds in the page as it is now, in
 * the whole document or in the elements `selector` matches. (axe builds a tree of
 * the whole document either way: a log of thousands of rows takes it 20 s.)
 */
export async function seriousViolations(page: Page, selector?: string): Promise<string[]> {
  // The page's Content-Security-Policy blocks an injected <script>; evaluating
  // the source through DevTools is not a script element, so it runs.
  await page.evaluate(axeCore.source);
  const result = await page.evaluate(
    (within) =>
      axe.run(within ?? document, { resultTypes: ["violations"] }).then((found) =>
        found.violations.map((violation) => ({
          id: violation.id,
          impact: violation.impact,
          targets: violation.nodes.map((node) => node.target.join(" ")),
        }))
      ),
    selector,
  );
  return result
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.targets.join(", ")}`);
}
