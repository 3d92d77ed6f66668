import assert from "node:assert/strict";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import { burst, logIn, rows, startChat, textOf, waitForLine } from "../support/web_page.ts";

Deno.test({
  name: "a burst of 10,000 messages leaves the latest 5,000 in the log, with a line saying so",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat({ maxMessageRate: 0 });
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await logIn(page, chat.origin, "alice");
    await chat.logs.waitFor(/logged in as "alice"/);
    const bob = await ChatPeer.login(chat.port, "bob");
    try {
      await bob.sendRaw(burst(10_000));
      await waitForLine(page, "[bob] m 9999", 60_000);
      const shown = await rows(page);
      assert.equal(shown.length, 5_000);
      assert.equal(shown[0]!.text, "m 5000");
      assert.equal(shown.at(-1)!.text, "m 9999");
      assert.equal(
        await page.$eval("#log > :first-child", (line) => line.textContent),
        "5,000 older messages were dropped: this page keeps the latest 5,000.",
      );
      // The log still takes more, still at the cap.
      await bob.sendString("after the burst");
      await waitForLine(page, "[bob] after the burst");
      assert.equal((await rows(page)).length, 5_000);
      assert.match(await textOf(page, "log"), /^5,001 older messages were dropped/);
    } finally {
      bob.conn.close();
      await page.close();
    }
  },
});
