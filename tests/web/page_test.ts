import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { within } from "../support/deadline.ts";
import { startEchoRoom } from "../support/echo_room.ts";
import {
  logIn,
  open,
  type PageNode,
  rows,
  send,
  waitForLine,
  waitForStatus,
  waitForText,
} from "../support/web_page.ts";

// The page's document, as far as the functions run in the page use it.
declare const document: { getElementById(id: string): PageNode | null };

Deno.test({
  name: "page logs in, sends with Enter, shows messages as text, refuses over-limit messages",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using room = startEchoRoom({ maxMessageSize: 50 });
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/.test(message.text())) violations.push(message.text());
    });

    await logIn(page, room.origin, "alice");
    assert.deepEqual(room.logins, ["alice"]);

    // The server's voice is shown apart.
    await waitForLine(page, '* "alice" joined');
    assert.deepEqual((await rows(page)).map((row) => row.kind), ["notice"]);

    // Typed and sent with Enter; shown under alice, at HH:MM in local time.
    await page.type("#message", "hi");
    await page.keyboard.press("Enter");
    await waitForLine(page, "[alice] hi");
    const shown = (await rows(page)).at(-1)!;
    assert.equal(shown.kind, "message");
    assert.match(shown.time, /^\d\d:\d\d$/);
    const [hours, minutes] = await page.evaluate(
      () => [new Date().getHours(), new Date().getMinutes()],
    );
    const time = `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
    assert.ok(
      shown.time === time || minutes !== new Date().getMinutes(),
      shown.time,
    );
    assert.equal(await page.$eval("#message", (input) => (input as unknown as PageNode).value), "");

    // Markup is text: no element is made of it and nothing runs.
    await send(page, "<img src=x onerror=alert(1)>");
    await waitForLine(page, "[alice] <img src=x onerror=alert(1)>");
    assert.equal(await page.$$eval("img", (images) => images.length), 0);
    assert.equal(await page.$$eval("#log .text *", (children) => children.length), 0);

    // The same display safety as the terminal client.
    await send(page, "a\u202eb\x07c\x1b[2J");
    await waitForLine(page, "[alice] a<U+202E>b␇c␛[2J");

    // 52 bytes against a limit of 50: refused before sending, and kept.
    const tooLong = "é".repeat(26);
    await send(page, tooLong);
    await page.waitForFunction(
      () => document.getElementById("problem")?.textContent?.includes("the limit is 50 bytes"),
      { timeout: 30_000 },
    );
    assert.match(
      await page.$eval("#problem", (problem) => problem.textContent ?? ""),
      /52 bytes; the limit is 50 bytes/,
    );
    assert.equal(
      await page.$eval("#message", (input) => (input as unknown as PageNode).value),
      tooLong,
    );
    await send(page, "after");
    await waitForLine(page, "[alice] after");
    assert.deepEqual(room.received, [
      "alice: hi",
      "alice: <img src=x onerror=alert(1)>",
      "alice: a\u202eb\x07c\x1b[2J",
      "alice: after",
    ]);

    assert.deepEqual(dialogs, []);
    assert.deepEqual(violations, []);
    await page.close();
  },
});

Deno.test({
  name: "page shows the lost connection and logs in again by itself",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using room = startEchoRoom();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await logIn(page, room.origin, "bob");
    room.dropAll();
    await waitForStatus(page, /^Connection lost\. Reconnecting in \d+ s…$/);
    await page.waitForFunction(
      () => document.getElementById("status")?.textContent === "Connected as bob",
      { timeout: 30_000 },
    );
    assert.deepEqual(room.logins, ["bob", "bob"]);
    await send(page, "back");
    await waitForLine(page, "[bob] back");
    await page.close();
  },
});

Deno.test({
  name: "page says it is connected only once the server has read its login",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using room = startEchoRoom();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    room.holdReads();
    await open(page, room.origin);
    await page.type("#username", "bob");
    await page.keyboard.press("Enter");
    // The login went out, but nobody has read it: the page does not claim more.
    await waitForStatus(page, /^Logging in as bob…$/);
    assert.deepEqual(room.logins, []);
    room.releaseReads();
    await waitForStatus(page, /^Connected as bob$/);
    await send(page, "hello");
    await waitForLine(page, "[bob] hello");
    assert.deepEqual(room.logins, ["bob"]);
    await page.close();
  },
});

// The member list, as the reader sees it.
async function memberNames(page: Page): Promise<string[]> {
  return await page.$$eval("#members li", (items) => items.map((item) => item.textContent ?? ""));
}

Deno.test({
  name: "page reads quoted /who answers and joins, and asks /who again after a presence summary",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using room = startEchoRoom({ room: "lounge" });
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await logIn(page, room.origin, "alice");

    // The room's name from /config.json, instead of the host.
    assert.equal(await page.$eval("#chat h1", (title) => title.textContent), "lounge");
    assert.equal(await page.title(), "lounge · wirechat");

    // The page asked /who by itself at login; its answer fills the list, not the log.
    await waitForText(page, "people-title", "1 here");
    assert.equal(room.whoRequests, 1);
    assert.deepEqual(await memberNames(page), ["alice(you)"]);

    // A second member whose name holds the separator and a quote.
    const other = await chromium.browser.newPage();
    await logIn(other, room.origin, 'b, "o" b');
    await waitForText(page, "people-title", "2 here");
    assert.deepEqual(await memberNames(page), ["alice(you)", '"b, \\"o\\" b"']);
    assert.ok(!(await rows(page)).some((row) => /here:/.test(row.text)));

    // Asked by the reader: the answer is shown, and read exactly despite the ", ".
    room.say('"zed" joined');
    await waitForText(page, "people-title", "3 here");
    await send(page, "/who");
    await waitForLine(page, '* 2 here: "alice", "b, \\"o\\" b"');
    assert.deepEqual(await memberNames(page), ["alice(you)", '"b, \\"o\\" b"']);

    // Quoted join and leave notices, as the server will send them.
    room.say('"carol" joined');
    await waitForText(page, "people-title", "3 here");
    room.say('"carol" left (timeout)');
    await waitForText(page, "people-title", "2 here");

    // After a summary the page asks who is here rather than guessing.
    room.say('"dave" joined');
    await waitForText(page, "people-title", "3 here");
    const before = room.whoRequests;
    room.say("312 joined, 298 left in the last second");
    await waitForLine(page, "* 312 joined, 298 left in the last second");
    await waitForText(page, "people-title", "2 here");
    assert.equal(room.whoRequests, before + 2); // both pages heard the summary
    assert.deepEqual(await memberNames(page), ["alice(you)", '"b, \\"o\\" b"']);
    await other.close();
    await page.close();
  },
});
