import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import {
  logIn,
  open,
  type PageNode,
  send,
  seriousViolations,
  startChat,
  waitForLine,
  waitForStatus,
} from "../support/web_page.ts";

interface Box {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}
// The page's document, as far as the functions run in the page use it.
declare const document: {
  getElementById(id: string): (PageNode & { getBoundingClientRect(): Box }) | null;
  readonly activeElement: { readonly id: string } | null;
  readonly documentElement: { readonly scrollWidth: number };
  readonly body: PageNode;
};
// A box as plain numbers: a DOMRect does not cross to the test.
function box(id: string): Box {
  const { top, bottom, left, right } = document.getElementById(id)!.getBoundingClientRect();
  return { top, bottom, left, right };
}
declare function getComputedStyle(node: PageNode): { backgroundColor: string };

async function focused(page: Page): Promise<string> {
  return await page.evaluate(() => document.activeElement?.id ?? "");
}

Deno.test({
  name: "axe-core finds no serious or critical violation on the join screen and in a busy " +
    "room, light and dark, wide and narrow",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat({ presence: true, history: 10 });
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const bob = await ChatPeer.login(chat.port, "bob");
    try {
      await bob.sendString("have a look at https://example.com/docs, it is good");
      for (const scheme of ["light", "dark"] as const) {
        const page = await chromium.browser.newPage();
        await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: scheme }]);
        await page.setViewport({ width: 1000, height: 700 });
        await open(page, chat.origin);
        assert.deepEqual(await seriousViolations(page), [], `join screen, ${scheme}`);

        const name = `alice-${scheme}`;
        await logIn(page, chat.origin, name);
        await chat.logs.waitFor(new RegExp(`logged in as "${name}"`));
        await send(page, "hello everyone");
        await bob.sendString("welcome!");
        await waitForLine(page, "[bob] welcome!");
        await send(page, "/help");
        await waitForLine(page, "/help: this list");
        assert.deepEqual(await seriousViolations(page), [], `room, ${scheme}`);

        await page.setViewport({ width: 400, height: 700 });
        assert.deepEqual(await seriousViolations(page), [], `narrow room, ${scheme}`);
        await page.close();
      }
    } finally {
      bob.conn.close();
    }
  },
});

Deno.test({
  name: "dark mode styles the new elements; on a narrow screen the member list is below the log",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    const background = (id: string) =>
      page.evaluate(
        (wanted) => getComputedStyle(document.getElementById(wanted)!).backgroundColor,
        id,
      );
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
    await open(page, chat.origin);
    const light = {
      body: await page.evaluate(() => getComputedStyle(document.body).backgroundColor),
      card: await background("login"),
    };
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
    const dark = {
      body: await page.evaluate(() => getComputedStyle(document.body).backgroundColor),
      card: await background("login"),
    };
    assert.equal(light.body, "rgb(250, 250, 250)");
    assert.equal(dark.body, "rgb(22, 22, 22)");
    assert.notEqual(light.card, dark.card);

    await page.setViewport({ width: 400, height: 700 });
    await logIn(page, chat.origin, "alice");
    const boxes = {
      log: await page.evaluate(box, "log"),
      people: await page.evaluate(box, "people"),
      width: await page.evaluate(() => document.documentElement.scrollWidth),
    };
    assert.ok(boxes.people.top >= boxes.log.bottom, JSON.stringify(boxes));
    assert.ok(boxes.people.bottom <= 700, JSON.stringify(boxes)); // in view, not pushed out
    assert.ok(boxes.width <= 400, `the page is ${boxes.width} px wide`);
    await page.setViewport({ width: 1000, height: 700 });
    const wide = {
      log: await page.evaluate(box, "log"),
      people: await page.evaluate(box, "people"),
    };
    assert.ok(wide.people.left >= wide.log.right, JSON.stringify(wide));
    await page.close();
  },
});

Deno.test({
  name: "the page works from the keyboard alone: join, send, reach every control",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    const first = startChat();
    const webPort = first.server.addrs.web!.port;
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await open(page, first.origin);
    assert.equal(await focused(page), "username");
    await page.keyboard.type("dora");
    await page.keyboard.press("Enter");
    await waitForStatus(page, /^Connected as dora$/);
    assert.equal(await focused(page), "message");
    await page.keyboard.type("typed, not clicked");
    await page.keyboard.press("Enter");
    await waitForLine(page, "[dora] typed, not clicked");
    assert.equal(await focused(page), "message");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "send");
    await page.keyboard.down("Shift");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.up("Shift");
    assert.equal(await focused(page), "log"); // the log scrolls with the arrow keys

    // Retry now is reachable and works from the keyboard.
    await first.server.shutdown();
    await waitForStatus(page, /^Connection lost/);
    const second = startChat({}, webPort);
    try {
      await page.focus("#retry");
      await page.keyboard.press("Enter");
      await waitForStatus(page, /^Connected as dora$/);
      assert.equal(await focused(page), "message");
    } finally {
      await page.close();
      await second.server.shutdown();
    }
  },
});
