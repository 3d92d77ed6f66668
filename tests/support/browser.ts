/**
 * Headless Chromium for browser tests, driven through `puppeteer-core`.
 *
 * The browser is Debian's `chromium` (`CHROMIUM_PATH` overrides the path).
 * Outside CI a missing browser makes the browser tests ignored, with the reason;
 * in CI (`CI=true`) they run and fail.
 *
 * @module
 */

import puppeteer, { type Browser } from "puppeteer-core";

/** Where the browser is: `CHROMIUM_PATH`, else `/usr/bin/chromium`. */
export const CHROMIUM_PATH: string = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function chromiumMissing(): boolean {
  try {
    return !Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return true;
  }
}

/**
 * Whether to ignore browser tests: only when the browser is missing outside CI.
 * The reason is printed once.
 */
export const IGNORE_BROWSER_TESTS: boolean = (() => {
  if (!chromiumMissing() || Deno.env.get("CI") === "true") return false;
  console.warn(
    `Browser tests ignored: no Chromium at ${CHROMIUM_PATH}. ` +
      "Install it with `apt-get install chromium` or set CHROMIUM_PATH.",
  );
  return true;
})();

/** A headless browser with its own temporary profile, closed on dispose. */
export interface HeadlessBrowser extends AsyncDisposable {
  /** The puppeteer handle. */
  readonly browser: Browser;
}

/**
 * Launches headless Chromium with a fresh profile, talking to puppeteer over a
 * pipe (no DevTools port), without its sandbox (which root cannot start). It prints
 * harmless D-Bus errors.
 */
export async function launchBrowser(): Promise<HeadlessBrowser> {
  if (chromiumMissing()) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install chromium\``,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "wirechat-chromium-" });
  const args = [
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    // Root (CI containers) cannot start Chromium's sandbox; the browser only ever
    // loads the test's own page from 127.0.0.1.
    "--no-sandbox",
  ];
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      args,
      pipe: true,
      headless: true,
      timeout: 30_000,
      protocolTimeout: 30_000,
    });
  } catch (error) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw error;
  }
  return {
    browser,
    async [Symbol.asyncDispose]() {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
