#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env
/**
 * The chat page under a burst: a terminal peer sends 10,000 messages at once to
 * the real server while the page is logged in, in headless Chromium; prints the
 * longest task the browser reported (a `PerformanceObserver` for `longtask`,
 * which sees tasks over 50 ms), how many there were, and how long until the last
 * message was drawn. Needs `chromium` (see `tests/support/browser.ts`).
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env bench/web_burst.ts [runs]
 * ```
 *
 * @module
 */

import { launchBrowser } from "../tests/support/browser.ts";
import { ChatPeer } from "../tests/support/chat_peer.ts";
import { burst, logIn, startChat } from "../tests/support/web_page.ts";

const COUNT = 10_000;

// The page's globals, as far as the functions run in the page use them.
declare const PerformanceObserver: {
  new (callback: (list: { getEntries(): { duration: number }[] }) => void): {
    observe(options: { type: string; buffered: boolean }): void;
  };
};
declare const globalThis: { longTasks: number[] };
declare const document: {
  querySelector(selector: string): {
    lastElementChild: { textContent: string | null } | null;
  } | null;
};

async function once(): Promise<{ longest: number; count: number; drawnMs: number }> {
  await using chat = startChat({ maxMessageRate: 0 });
  await using chromium = await launchBrowser();
  const page = await chromium.browser.newPage();
  await page.setViewport({ width: 1000, height: 700 });
  await logIn(page, chat.origin, "alice");
  await chat.logs.waitFor(/logged in as "alice"/);
  await page.evaluate(() => {
    globalThis.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) globalThis.longTasks.push(entry.duration);
    }).observe({ type: "longtask", buffered: false });
  });
  const bob = await ChatPeer.login(chat.port, "bob");
  const started = performance.now();
  await bob.sendRaw(burst(COUNT));
  // A cheap poll (the last row only), so that the wait itself adds no long task.
  await page.waitForFunction(
    (last) => document.querySelector("#log")?.lastElementChild?.textContent?.endsWith(last),
    { timeout: 120_000, polling: 100 },
    `m ${COUNT - 1}`,
  );
  const drawnMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const tasks = await page.evaluate(() => globalThis.longTasks);
  bob.conn.close();
  await page.close();
  return { longest: Math.max(0, ...tasks), count: tasks.length, drawnMs };
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 3);
  console.log("| run | longest task | tasks over 50 ms | last message drawn after |");
  console.log("| --: | -----------: | ---------------: | -----------------------: |");
  for (let run = 1; run <= runs; run++) {
    const { longest, count, drawnMs } = await once();
    console.log(
      `| ${run} | ${longest.toFixed(0)} ms | ${count} | ${drawnMs.toFixed(0)} ms |`,
    );
  }
}
