import assert from "node:assert/strict";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import { logIn, type PageNode, send, startChat, textOf, waitForLine } from "../support/web_page.ts";

interface Scrollable extends PageNode {
  scrollTop: number;
  readonly scrollHeight: number;
  readonly clientHeight: number;
}
// The page's document, as far as the functions run in the page use it.
declare const document: {
  getElementById(id: string): Scrollable | null;
  readonly activeElement: { readonly id: string } | null;
  readonly hidden: boolean;
  readonly title: string;
};

async function focused(page: import("puppeteer-core").Page): Promise<string> {
  return await page.evaluate(() => document.activeElement?.id ?? "");
}

Deno.test({
  name: "while the page is hidden its title counts unread messages; the count clears when seen",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await logIn(page, chat.origin, "alice");
    await chat.logs.waitFor(/logged in as "alice"/);
    const bob = await ChatPeer.login(chat.port, "bob");
    try {
      assert.equal(await page.title(), "127.0.0.1 · wirechat");
      // Another tab in front hides this one.
      const other = await chromium.browser.newPage();
      await other.bringToFront();
      await page.waitForFunction(() => document.hidden, { timeout: 10_000, polling: 50 });
      for (const text of ["one", "two", "three"]) await bob.sendString(text);
      await waitForLine(page, "[bob] three");
      await send(page, "my own does not count");
      await waitForLine(page, "[alice] my own does not count");
      assert.equal(await page.title(), "(3) 127.0.0.1 · wirechat");
      await page.bringToFront();
      await page.waitForFunction(
        () => !document.hidden && !document.title.startsWith("("),
        { timeout: 10_000, polling: 50 },
      );
      assert.equal(await page.title(), "127.0.0.1 · wirechat");
      await other.close();
    } finally {
      bob.conn.close();
      await page.close();
    }
  },
});

Deno.test({
  name: "the log stays where the reader scrolled; a new-messages button brings them back; " +
    "the message field keeps the focus",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await page.setViewport({ width: 800, height: 500 });
    await logIn(page, chat.origin, "alice");
    await chat.logs.waitFor(/logged in as "alice"/);
    const bob = await ChatPeer.login(chat.port, "bob");
    try {
      assert.equal(await focused(page), "message");
      for (let i = 0; i < 60; i++) await bob.sendString(`line ${i}`);
      await waitForLine(page, "[bob] line 59");
      // Following: the newest line is in view.
      // The log scrolls before the next frame is drawn: wait for it.
      const atEnd = () =>
        page.waitForFunction(() => {
          const log = document.getElementById("log")!;
          return log.scrollHeight - log.scrollTop - log.clientHeight < 2;
        }, { timeout: 10_000, polling: 50 });
      await atEnd();
      assert.equal(await focused(page), "message");

      // The reader scrolls up with the mouse wheel; new lines do not move the log.
      const log = (await page.$("#log"))!;
      const box = (await log.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel({ deltaY: -100_000 });
      await page.waitForFunction(
        () => document.getElementById("log")!.scrollTop === 0,
        { timeout: 10_000, polling: 50 },
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // the scroll event
      for (let i = 60; i < 65; i++) await bob.sendString(`line ${i}`);
      await waitForLine(page, "[bob] line 64");
      await page.waitForFunction(
        () => !document.getElementById("jump")!.hidden,
        { timeout: 10_000, polling: 50 },
      );
      assert.equal(await page.evaluate(() => document.getElementById("log")!.scrollTop), 0);
      assert.equal(await textOf(page, "jump"), "5 new messages ↓");
      assert.equal(await focused(page), "message");

      // The button brings the reader back to the end, and the focus to the field.
      await page.click("#jump");
      await page.waitForFunction(
        () => document.getElementById("jump")!.hidden,
        { timeout: 10_000, polling: 50 },
      );
      await atEnd();
      assert.equal(await focused(page), "message");
      await bob.sendString("followed again");
      await waitForLine(page, "[bob] followed again");
      await new Promise((resolve) => setTimeout(resolve, 100));
      await atEnd();
      await send(page, "sent");
      await waitForLine(page, "[alice] sent");
      assert.equal(await focused(page), "message");
    } finally {
      bob.conn.close();
      await page.close();
    }
  },
});
