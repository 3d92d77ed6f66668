#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-run --allow-env
/**
 * The chat page under a burst: a terminal peer sends 10,000 messages at once to
 * the real server while the page is logged in, in headless Chromium; prints the
 * longest task the browser reported (a `PerformanceObserver` for `longtask`,
 * which sees tasks over 50 ms, in wall time), the longest task by CPU time on the
 * page's main thread (from a DevTools trace: less moved by other processes on a
 * busy machine), how many tasks were over 50 ms, and how long until the last
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

/** A trace event, as far as this script reads it. */
interface TraceEvent {
  name: string;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/**
 * The longest task on a renderer's main thread (the page's is the only busy one),
 * by its thread's CPU time, in ms; NaN when the trace has none.
 */
function longestCpuTask(events: TraceEvent[]): number {
  const mains = new Set(
    events.filter((event) => event.name === "thread_name" && event.args?.name === "CrRendererMain")
      .map((event) => event.tid),
  );
  let longest = NaN;
  for (const event of events) {
    if (event.name !== "RunTask" || !mains.has(event.tid) || !event.tdur) continue;
    longest = Math.max(Number.isNaN(longest) ? 0 : longest, event.tdur / 1000);
  }
  return longest;
}

async function once(): Promise<
  { longest: number; count: number; cpu: number; drawnMs: number }
> {
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
  const tracePath = await Deno.makeTempFile({ prefix: "wirechat-trace-", suffix: ".json" });
  await page.tracing.start({
    path: tracePath,
    categories: ["devtools.timeline", "disabled-by-default-devtools.timeline"],
  });
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
  await page.tracing.stop();
  const tasks = await page.evaluate(() => globalThis.longTasks);
  const trace = JSON.parse(await Deno.readTextFile(tracePath)) as { traceEvents: TraceEvent[] };
  await Deno.remove(tracePath);
  bob.conn.close();
  await page.close();
  return {
    longest: Math.max(0, ...tasks),
    count: tasks.length,
    cpu: longestCpuTask(trace.traceEvents),
    drawnMs,
  };
}

if (import.meta.main) {
  const runs = Number(Deno.args[0] ?? 3);
  console.log(
    "| run | longest task | longest task by CPU time | tasks over 50 ms | last message drawn after |",
  );
  console.log(
    "| --: | -----------: | -----------------------: | ---------------: | -----------------------: |",
  );
  for (let run = 1; run <= runs; run++) {
    const { longest, count, cpu, drawnMs } = await once();
    console.log(
      `| ${run} | ${longest.toFixed(0)} ms | ${
        Number.isNaN(cpu) ? "–" : `${cpu.toFixed(0)} ms`
      } | ${count} | ${drawnMs.toFixed(0)} ms |`,
    );
  }
}
