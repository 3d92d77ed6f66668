#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env
/**
 * Takes `docs/web-page.png`: the chat page in headless Chromium, 800×600, with a
 * short conversation in the fake room the browser tests use. Run it when the page
 * changes, and commit the image:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env scripts/screenshot_web.ts
 * ```
 *
 * @module
 */

import { launchBrowser } from "../tests/support/browser.ts";
import { startEchoRoom } from "../tests/support/echo_room.ts";

const OUTPUT = new URL("../docs/web-page.png", import.meta.url);

async function main(): Promise<void> {
  await using room = startEchoRoom();
  await using chromium = await launchBrowser();
  const { browser } = chromium;
  const page = await browser.newPage();
  await page.setViewport({ width: 800, height: 600 });
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
  await page.goto(room.origin, { waitUntil: "load" });
  await page.waitForSelector("html[data-ready]");

  // A second member, through its own page, so that two people talk.
  const other = await browser.newPage();
  await other.goto(room.origin, { waitUntil: "load" });
  await other.waitForSelector("html[data-ready]");
  await other.type("#username", "bob");
  await other.keyboard.press("Enter");
  await other.waitForSelector("#composer:not([hidden])");

  await page.bringToFront();
  await page.type("#username", "alice");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#composer:not([hidden])");
  const say = async (who: typeof page, text: string) => {
    await who.bringToFront();
    await who.type("#message", text);
    await who.keyboard.press("Enter");
    await new Promise((resolve) => setTimeout(resolve, 100));
  };
  await say(other, "hi alice, the terminal people are here too");
  await say(page, "hello from the browser: same room, same protocol");
  await say(other, "<img src=x onerror=alert(1)> stays text");
  await page.bringToFront();
  await page.type("#message", "typing…");
  await page.screenshot({ path: OUTPUT.pathname, type: "png" });
  await other.close();
  await page.close();
  console.log(`Wrote ${OUTPUT.pathname}`);
}

if (import.meta.main) await main();
