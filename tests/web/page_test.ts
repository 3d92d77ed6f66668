import assert from "node:assert/strict";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { within } from "../support/deadline.ts";
import { startEchoRoom } from "../support/echo_room.ts";
import { LINE, lines, logIn, type PageNode, send, waitForLine } from "../support/web_page.ts";

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
    await waitForLine(page, '[*] "alice" joined');
    assert.deepEqual((await lines(page)).map((line) => line.server), [true]);

    // Typed and sent with Enter; shown as <HH:MM> [alice] hi in local time.
    await page.type("#message", "hi");
    await page.keyboard.press("Enter");
    await waitForLine(page, "[alice] hi");
    const shown = (await lines(page)).at(-1)!;
    assert.match(shown.text, LINE);
    assert.equal(shown.server, false);
    const [hours, minutes] = await page.evaluate(
      () => [new Date().getHours(), new Date().getMinutes()],
    );
    const time = `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
    assert.ok(
      shown.text.startsWith(`<${time}>`) || minutes !== new Date().getMinutes(),
      shown.text,
    );
    assert.equal(await page.$eval("#message", (input) => (input as unknown as PageNode).value), "");

    // Markup is text: no element is made of it and nothing runs.
    await send(page, "<img src=x onerror=alert(1)>");
    await waitForLine(page, "[alice] <img src=x onerror=alert(1)>");
    assert.equal(await page.$$eval("img", (images) => images.length), 0);
    assert.equal(await page.$$eval("#log p *", (children) => children.length), 0);

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
    await page.waitForFunction(
      () => /reconnecting in \d+ s/.test(document.getElementById("status")?.textContent ?? ""),
      { timeout: 30_000 },
    );
    assert.match(
      await page.$eval("#status", (status) => status.textContent ?? ""),
      /Server restarting \(code 1001\)/,
    );
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
