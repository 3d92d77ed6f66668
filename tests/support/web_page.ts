/**
 * Driving the chat page in a real browser: log in, send, read the lines.
 *
 * @module
 */

import type { Page } from "puppeteer-core";

/** An element of the page, as far as the functions these tests run in the page use it. */
export interface PageNode {
  readonly textContent: string | null;
  value: string;
}
// The page's document, as far as the functions run in the page use it.
declare const document: {
  getElementById(id: string): PageNode | null;
  querySelectorAll(selector: string): Iterable<PageNode>;
};

/** A line of the log: `<HH:MM> [user] text`. */
export const LINE = /^<\d\d:\d\d> \[([^\]]*)\] (.*)$/s;

/** The lines of the log, and whether each is the server's voice. */
export async function lines(page: Page): Promise<{ text: string; server: boolean }[]> {
  return await page.$$eval("#log p", (nodes) =>
    nodes.map((node) => ({
      text: node.textContent ?? "",
      server: node.classList.contains("server"),
    })));
}

/** Waits for a line of the log that ends with `text`. */
export async function waitForLine(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      [...document.querySelectorAll("#log p")].some((node) => node.textContent?.endsWith(wanted)),
    { timeout: 30_000 },
    text,
  );
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

/** Opens the page at `origin` and logs in as `name`. */
export async function logIn(page: Page, origin: string, name: string): Promise<void> {
  await page.goto(origin, { waitUntil: "load", timeout: 30_000 });
  await page.waitForSelector("html[data-ready]", { timeout: 30_000 });
  await page.type("#username", name);
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    (wanted) => document.getElementById("status")?.textContent === `Connected as ${wanted}`,
    { timeout: 30_000 },
    name,
  );
}
