import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { userColor } from "../../client/format.ts";
import { formatWithServerVoice } from "../../client/command/terminal/server_voice.ts";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import {
  logIn,
  open,
  type PageNode,
  rows,
  send,
  startChat,
  textOf,
  waitForLine,
  waitForText,
} from "../support/web_page.ts";

// The page's document and window, as far as the functions run in the page use them.
declare const document: {
  getElementById(id: string): (PageNode & HTMLLike) | null;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
  readonly activeElement: unknown;
};
declare function getComputedStyle(node: PageNode): { color: string; fontSize: string };
interface HTMLLike {
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number };
  scrollWidth: number;
  clientWidth: number;
}
declare const innerWidth: number;
declare const innerHeight: number;

async function memberNames(page: Page): Promise<string[]> {
  return await page.$$eval("#members li", (items) => items.map((item) => item.textContent ?? ""));
}

Deno.test({
  name: "the first screen is a centred join form naming the host and the limits in words, " +
    "and the name is remembered",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat({ maxUsernameSize: 12, maxMessageSize: 2000 });
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await page.setViewport({ width: 1000, height: 700 });
    await open(page, chat.origin);

    assert.equal(await page.$eval("#join", (join) => (join as unknown as PageNode).hidden), false);
    assert.equal(await page.$eval("#chat", (room) => (room as unknown as PageNode).hidden), true);
    // Centred: the form's middle is the window's middle.
    const centre = await page.evaluate(() => {
      const box = document.getElementById("login")!.getBoundingClientRect();
      return {
        x: (box.left + box.right) / 2 - innerWidth / 2,
        y: (box.top + box.bottom) / 2 - innerHeight / 2,
      };
    });
    assert.ok(Math.abs(centre.x) <= 2 && Math.abs(centre.y) <= 2, JSON.stringify(centre));
    assert.equal(await textOf(page, "join-title"), "Join 127.0.0.1");
    assert.equal(await page.title(), "127.0.0.1 · wirechat");
    const hint = await textOf(page, "username-hint");
    assert.match(hint, /^Up to 12 letters, fewer with accents or emoji\./);
    assert.doesNotMatch(hint, /bytes|UTF-8/);
    assert.equal(
      await page.evaluate(() => document.getElementById("username") === document.activeElement),
      true,
    );

    await logIn(page, chat.origin, "alice");
    assert.match(await textOf(page, "message-hint"), /Up to 2,000 letters/);
    // The next visit finds the name filled in.
    await open(page, chat.origin);
    assert.equal(
      await page.$eval("#username", (input) => (input as unknown as PageNode).value),
      "alice",
    );
    await page.close();
  },
});

Deno.test({
  name: "own messages are set apart, names have the terminal's colours, a sender's messages " +
    "are grouped, notices read as in the terminal",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat({ presence: true });
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await logIn(page, chat.origin, "alice");
    const bob = await ChatPeer.login(chat.port, "bob");
    try {
      await waitForLine(page, '* "bob" joined');
      await bob.sendString("one");
      await bob.sendString("two");
      await waitForLine(page, "[bob] two");
      await send(page, "mine");
      await waitForLine(page, "[alice] mine");
      await bob.sendString("three");
      await waitForLine(page, "[bob] three");

      const shown = await rows(page);
      const byText = (text: string) => shown.find((row) => row.text === text)!;
      assert.equal(byText("one").own, false);
      assert.equal(byText("mine").own, true);
      assert.equal(byText("one").color, `c${userColor("bob")}`);
      assert.equal(byText("mine").color, `c${userColor("alice")}`);
      // bob's first two are one group; alice's line starts another; bob's third a third.
      assert.deepEqual(
        ["one", "two", "mine", "three"].map((text) => byText(text).first),
        [true, false, true, true],
      );
      // A notice: quieter, the terminal's own wording without its time.
      const joined = shown.find((row) => row.kind === "notice" && /"bob" joined/.test(row.text))!;
      const terminal = formatWithServerVoice({ timestamp: 0, username: "*", text: '"bob" joined' });
      assert.equal(joined.text, terminal.replace(/^<[^>]*> /, ""));
      const styles = await page.evaluate(() => {
        const style = (selector: string) => {
          const computed = getComputedStyle(document.querySelectorAll(selector)[0]!);
          return { color: computed.color, size: computed.fontSize };
        };
        return { notice: style(".msg.notice .text"), message: style(".group .msg .text") };
      });
      assert.notEqual(styles.notice.color, styles.message.color);
      assert.ok(parseFloat(styles.notice.size) < parseFloat(styles.message.size));
    } finally {
      bob.conn.close();
      await page.close();
    }
  },
});

Deno.test({
  name: "times are the reader's local time, with a separator when the local day changes",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    // 26 hours apart: whatever the time, the two zones' dates differ.
    await page.emulateTimezone("Pacific/Kiritimati");
    await logIn(page, chat.origin, "alice");
    const clock = (zone: string, time: number) =>
      new Intl.DateTimeFormat("en-GB", {
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
        timeZone: zone,
      }).format(time);

    const before = Date.now();
    await send(page, "east");
    await waitForLine(page, "[alice] east");
    let shown = (await rows(page)).at(-1)!;
    assert.ok(
      [clock("Pacific/Kiritimati", before), clock("Pacific/Kiritimati", Date.now())].includes(
        shown.time,
      ),
      shown.time,
    );
    assert.equal(await page.evaluate(() => document.querySelectorAll("#log .day").length), 1);

    await page.emulateTimezone("Etc/GMT+12");
    const later = Date.now();
    await send(page, "west");
    await waitForLine(page, "[alice] west");
    shown = (await rows(page)).at(-1)!;
    assert.ok(
      [clock("Etc/GMT+12", later), clock("Etc/GMT+12", Date.now())].includes(shown.time),
      shown.time,
    );
    assert.equal(shown.first, true); // a new day starts a new group
    assert.equal(await page.evaluate(() => document.querySelectorAll("#log .day").length), 2);
    await page.close();
  },
});

Deno.test({
  name: "long words wrap; links from peers are text, except http and https as safe links",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await page.setViewport({ width: 400, height: 700 });
    const dialogs: string[] = [];
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await logIn(page, chat.origin, "alice");
    await chat.logs.waitFor(/logged in as "alice"/);
    const eve = await ChatPeer.login(chat.port, "eve");
    try {
      await eve.sendString("w".repeat(2000));
      await waitForLine(page, "w".repeat(50));
      const overflow = await page.evaluate(() => {
        const log = document.getElementById("log")!;
        return log.scrollWidth - log.clientWidth;
      });
      assert.ok(overflow <= 0, `the log scrolls sideways by ${overflow} px`);

      await eve.sendString(
        'see https://example.com/a?b=1&c=2, <a href="javascript:alert(1)">x</a> ' +
          "javascript:alert(2) data:text/html,<script>alert(3)</script> " +
          "hTTp://example.org/path.",
      );
      await waitForLine(page, "hTTp://example.org/path.");
      const links = await page.$$eval("#log a", (anchors) =>
        anchors.map((anchor) => ({
          href: anchor.getAttribute("href"),
          rel: anchor.getAttribute("rel"),
          target: anchor.getAttribute("target"),
          text: anchor.textContent,
        })));
      assert.deepEqual(links, [
        {
          href: "https://example.com/a?b=1&c=2",
          rel: "noopener noreferrer",
          target: "_blank",
          text: "https://example.com/a?b=1&c=2",
        },
        {
          href: "http://example.org/path",
          rel: "noopener noreferrer",
          target: "_blank",
          text: "hTTp://example.org/path",
        },
      ]);
      assert.equal(await page.$$eval("#log script", (found) => found.length), 0);
      const text = (await rows(page)).at(-1)!.text;
      assert.match(text, /<a href="javascript:alert\(1\)">x<\/a> javascript:alert\(2\)/);
      assert.deepEqual(dialogs, []);
    } finally {
      eve.conn.close();
      await page.close();
    }
  },
});

Deno.test({
  name: "the member list comes from /who and follows joins and leaves with --presence",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat({ presence: true });
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    const carol = await ChatPeer.login(chat.port, "carol");
    await chat.logs.waitFor(/logged in as "carol"/);
    await logIn(page, chat.origin, "alice");
    // The page's own /who at login: who was there before, and no line in the log.
    await waitForText(page, "people-title", "2 here");
    assert.deepEqual(await memberNames(page), ["alice(you)", "carol"]);
    const bob = await ChatPeer.login(chat.port, "bob");
    await waitForText(page, "people-title", "3 here");
    assert.deepEqual(await memberNames(page), ["alice(you)", "bob", "carol"]);
    bob.conn.close();
    await waitForLine(page, '* "bob" left');
    await waitForText(page, "people-title", "2 here");
    assert.ok(!(await rows(page)).some((row) => /here:/.test(row.text)));
    // The list is labelled, beside the log on a wide screen.
    assert.equal(
      await page.$eval("#members", (list) => list.getAttribute("aria-labelledby")),
      "people-title",
    );
    carol.conn.close();
    await page.close();
  },
});

Deno.test({
  name: "slash commands: /help and unknown ones answered by the page, /who by the server, " +
    "//text sent as /text, /quit leaves",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    await using chat = startChat();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    const bob = await ChatPeer.login(chat.port, "bob");
    try {
      await chat.logs.waitFor(/logged in as "bob"/);
      await logIn(page, chat.origin, "alice");
      await send(page, "  /HELP ");
      await waitForLine(page, "/quit: leave the chat");
      await send(page, "/nick carol");
      await waitForLine(page, "/nick: unknown command; //text sends a line starting with /");
      const local = (await rows(page)).filter((row) => row.kind === "local");
      assert.equal(local.length, 5);
      await send(page, " /Who");
      await waitForLine(page, '* 2 here: "alice", "bob"');
      await send(page, "//me waves");
      const received = await bob.waitForMessages(1);
      assert.deepEqual(received.map((message) => message.text), ["/me waves"]);
      await waitForLine(page, "[alice] /me waves");

      await send(page, "/quit");
      await page.waitForFunction(
        () => !document.getElementById("join")!.hidden,
        { timeout: 10_000, polling: 50 },
      );
      assert.equal(await textOf(page, "login-problem"), "You left the chat.");
      await chat.logs.waitFor(/"alice" disconnected/);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(chat.logs.matching(/logged in as "alice"/).length, 1); // no reconnection
    } finally {
      bob.conn.close();
      await page.close();
    }
  },
});
