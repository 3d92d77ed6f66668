#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env
/**
 * Takes the page's screenshots in `docs/`: `web-page.png` (light, 1000×640),
 * `web-page-dark.png` (dark, 1000×640) and `web-page-narrow.png` (light, 400×760).
 * The real server runs on 127.0.0.1 with `--presence` and a history; two terminal
 * users (raw protocol clients) talk with a user of the page in headless Chromium.
 * Run it when the page changes, and commit the images:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env scripts/screenshot_web.ts
 * ```
 *
 * @module
 */

import type { Page } from "puppeteer-core";
import { launchBrowser } from "../tests/support/browser.ts";
import { ChatPeer } from "../tests/support/chat_peer.ts";
import { logIn, send, startChat, waitForLine } from "../tests/support/web_page.ts";

const DOCS = new URL("../docs/", import.meta.url);

async function shoot(page: Page, name: string): Promise<void> {
  const path = new URL(name, DOCS).pathname;
  await new Promise((resolve) => setTimeout(resolve, 300)); // the log's scroll settles
  await page.screenshot({ path, type: "png" });
  const { size } = await Deno.stat(path);
  console.log(`Wrote ${path} (${Math.round(size / 1024)} KB)`);
}

async function main(): Promise<void> {
  await using chat = startChat({ presence: true, history: 50 });
  await using chromium = await launchBrowser();
  const bob = await ChatPeer.login(chat.port, "bob");
  const carol = await ChatPeer.login(chat.port, "carol");
  try {
    await chat.logs.waitFor(/logged in as "carol"/);
    const pause = () => new Promise((resolve) => setTimeout(resolve, 150));
    await bob.sendString("morning all");
    await pause();
    await carol.sendString("morning! the release notes are up:");
    await carol.sendString("https://example.com/wirechat/releases/0.3");
    await pause();

    const page = await chromium.browser.newPage();
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
    await page.setViewport({ width: 1000, height: 640 });
    await logIn(page, chat.origin, "alice");
    await chat.logs.waitFor(/logged in as "alice"/);
    await waitForLine(page, "* alice joined");
    await bob.sendString("hi alice, carol and I are in a terminal");
    await pause();
    await send(page, "hello from the browser: same room, same protocol");
    await pause();
    await send(page, "<img src=x onerror=alert(1)> stays text, names keep their colours");
    await pause();
    await carol.sendString("same colours as in my terminal, nice");
    await bob.sendString("grouped, too");
    await bob.sendString("one name for a run of lines");
    await waitForLine(page, "[bob] one name for a run of lines");
    await page.type("#message", "typing…");
    await shoot(page, "web-page.png");

    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
    await shoot(page, "web-page-dark.png");

    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
    await page.setViewport({ width: 400, height: 760 });
    await shoot(page, "web-page-narrow.png");
    await page.close();
  } finally {
    bob.conn.close();
    carol.conn.close();
  }
}

if (import.meta.main) await main();
