import assert from "node:assert/strict";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import { TcpProxy } from "../support/tcp_proxy.ts";
import {
  logIn,
  open,
  type PageNode,
  rows,
  send,
  seriousViolations,
  startChat,
  textOf,
  waitForLine,
  waitForStatus,
} from "../support/web_page.ts";

// The page's document, as far as the functions run in the page use it.
declare const document: {
  getElementById(id: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
};

Deno.test({
  name: "a lost connection is said in words with a countdown, and Retry now reconnects at once",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    const first = startChat();
    const webPort = first.server.addrs.web!.port;
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await logIn(page, first.origin, "carol");
    assert.equal(await page.$eval("#retry", (button) => (button as PageNode).hidden), true);
    await first.server.shutdown();
    await waitForStatus(page, /^Connection lost\. Reconnecting in \d+ s…$/);
    assert.equal(await page.$eval("#retry", (button) => (button as PageNode).hidden), false);
    assert.equal(await textOf(page, "retry"), "Retry now");
    assert.deepEqual(await seriousViolations(page), [], "while reconnecting");
    // Attempts fail while the server is away: the wait grows to 4 s (1, 2, then 4).
    await waitForStatus(page, /Reconnecting in [4-9] s…$/, 20_000);
    const second = startChat({}, webPort);
    try {
      await page.click("#retry");
      // Well before the 3.2 s the shortest scheduled attempt would take.
      await waitForStatus(page, /^Connected as carol$/, 2_500);
      assert.equal(await page.$eval("#retry", (button) => (button as PageNode).hidden), true);
      // Messages may be missing: the restarted server has no history. The line is drawn
      // in the log's next slice (an animation frame), which may come after the status.
      await page.waitForSelector("#log .gap", { timeout: 2_000 });
      const gap = await page.$eval("#log .gap", (line) => line.textContent ?? "");
      assert.match(gap, /^Connection lost at \d\d:\d\d, back at \d\d:\d\d: messages sent/);
      await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
      assert.deepEqual(await seriousViolations(page), [], "the gap line, dark");
    } finally {
      await page.close();
      await second.server.shutdown();
    }
  },
});

Deno.test({
  name: "after a reconnection, the log marks where messages may be missing, unless the " +
    "history replay covers the gap",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    for (const history of [0, 100]) {
      await using chat = startChat({ history });
      await using proxy = new TcpProxy(chat.server.addrs.web!.port);
      await using chromium = await within(launchBrowser(), "Chromium to start");
      const page = await chromium.browser.newPage();
      const bob = await ChatPeer.login(chat.port, "bob");
      try {
        await chat.logs.waitFor(/logged in as "bob"/);
        await logIn(page, `http://127.0.0.1:${proxy.port}`, "alice");
        await chat.logs.waitFor(/logged in as "alice"/);
        await bob.sendString("before");
        await waitForLine(page, "[bob] before");
        proxy.cut();
        proxy.release();
        await waitForStatus(page, /^Connection lost/);
        await chat.logs.waitFor(/"alice" disconnected/);
        await bob.sendString("while away");
        await waitForStatus(page, /^Connected as alice$/);
        // The page says so once its login went out; under load the server may not
        // have read it yet, and with no history "after" would be missed for real.
        await chat.logs.waitFor(/logged in as "alice"/, 2);
        await bob.sendString("after");
        await waitForLine(page, "[bob] after");
        const shown = (await rows(page)).map((row) => row.text);
        const gaps = await page.evaluate(() => document.querySelectorAll("#log .gap").length);
        if (history === 0) {
          // "while away" is lost, and the mark says so where it was.
          assert.equal(gaps, 1);
          assert.deepEqual(shown, ["before", "after"]);
          const order = await page.$$eval(
            "#log > *",
            (nodes) => nodes.map((node) => node.classList.contains("gap") ? "gap" : "other"),
          );
          assert.equal(order.indexOf("gap"), order.length - 2);
        } else {
          // The replay brought "while away" and repeated "before", shown once.
          assert.equal(gaps, 0);
          assert.deepEqual(shown, ["before", "while away", "after"]);
        }
        await send(page, "still here");
        await waitForLine(page, "[alice] still here");
      } finally {
        bob.conn.close();
        await page.close();
      }
    }
  },
});

Deno.test({
  name:
    "a server that cannot be reached at the first join is said so, not called a lost connection",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    const chat = startChat();
    const webPort = chat.server.addrs.web!.port;
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await open(page, chat.origin);
    await chat.server.shutdown();
    await page.type("#username", "erin");
    await page.keyboard.press("Enter");
    await waitForStatus(page, /^Cannot reach the server\. Trying again in \d+ s…$/);
    const again = startChat({}, webPort);
    try {
      await page.click("#retry");
      await waitForStatus(page, /^Connected as erin$/);
      assert.equal(await page.$$eval("#log .gap", (found) => found.length), 0);
    } finally {
      await page.close();
      await again.server.shutdown();
    }
  },
});
