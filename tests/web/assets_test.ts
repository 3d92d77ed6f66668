import assert from "node:assert/strict";
import { renderAssets } from "../../scripts/build_web.ts";

Deno.test("server/doors/web_assets.ts is what `deno task build:web` makes of web/", async () => {
  const current = await Deno.readTextFile(
    new URL("../../server/doors/web_assets.ts", import.meta.url),
  );
  assert.ok(
    current === await renderAssets(),
    "server/doors/web_assets.ts is out of date: run `deno task build:web` and commit it",
  );
});
