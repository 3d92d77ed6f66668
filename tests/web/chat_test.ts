import assert from "node:assert/strict";
import { serve } from "../../server.ts";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { LineReader, spawnClient } from "../support/client_process.ts";
import { within } from "../support/deadline.ts";
import { LogCapture } from "../support/log_capture.ts";
import { logIn, type PageNode, send, waitForLine } from "../support/web_page.ts";

// The page's document, as far as the functions run in the page use it.
declare const document: { getElementById(id: string): PageNode | null };

function startChat(webPort = 0) {
  const logs = new LogCapture();
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    logLevel: "info",
    log: logs.log,
    web: { hostname: "127.0.0.1", port: webPort },
  });
  return { server, logs, origin: `http://127.0.0.1:${server.addrs.web!.port}` };
}

Deno.test({
  name: "a browser user and a terminal-client user talk both ways through the real server",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    const { server, logs, origin } = startChat();
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    const client = spawnClient(["--host", "127.0.0.1", "--port", String(server.addr.port), "bob"]);
    const output = new LineReader(client.stdout);
    const writer = client.stdin.getWriter();
    try {
      await logs.waitFor(/logged in as "bob"/);
      await logIn(page, origin, "alice");
      await send(page, "hello from the browser");
      assert.match((await output.next())!, /\[alice\] hello from the browser$/);
      await writer.write(new TextEncoder().encode("<img src=x onerror=alert(1)>\n"));
      await waitForLine(page, "[bob] <img src=x onerror=alert(1)>");
      assert.equal(await page.$$eval("img", (images) => images.length), 0);
      assert.deepEqual(dialogs, []);
    } finally {
      await writer.close();
      await client.status;
      await client.stderr.cancel();
      await output.rest();
      await page.close();
      await server.shutdown();
    }
  },
});

Deno.test({
  name: "the page logs in again by itself after the server restarts",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    const first = startChat();
    const webPort = first.server.addrs.web!.port;
    await using chromium = await within(launchBrowser(), "Chromium to start");
    const page = await chromium.browser.newPage();
    await logIn(page, first.origin, "carol");
    await first.server.shutdown();
    await page.waitForFunction(
      () => /reconnecting/i.test(document.getElementById("status")?.textContent ?? ""),
      { timeout: 30_000 },
    );
    const second = startChat(webPort); // the same web port, as a restarted server has
    try {
      await second.logs.waitFor(/logged in as "carol"/, 1, 40_000);
      await page.waitForFunction(
        () => document.getElementById("status")?.textContent === "Connected as carol",
        { timeout: 30_000 },
      );
      await send(page, "back again");
      await waitForLine(page, "[carol] back again");
    } finally {
      await page.close();
      await second.server.shutdown();
    }
  },
});
