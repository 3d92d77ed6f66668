import assert from "node:assert/strict";
import { encodeChatMessage } from "../../protocol/encode.ts";
import { ClientDecoder } from "../../protocol/client_decoder.ts";
import type { ChatMessage } from "../../protocol/frames.ts";
import { SCRAM_LOGIN, scramVerifier } from "../../protocol/scram.ts";
import { DataStore } from "../../server/store/data_store.ts";
import { SignIn } from "../../web/sign_in.ts";
import { IGNORE_BROWSER_TESTS, launchBrowser } from "../support/browser.ts";
import { ChatPeer } from "../support/chat_peer.ts";
import { within } from "../support/deadline.ts";
import { open, send, startChat, waitForLine, waitForText } from "../support/web_page.ts";

function decodeAll(bytes: Uint8Array): string[] {
  // The opening is client frames (strings): read them as size + bytes.
  const out: string[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
    out.push(new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + size)));
    at += 4 + size;
  }
  return out;
}

function voice(text: string, username = "*"): ChatMessage {
  let message: ChatMessage | undefined;
  new ClientDecoder((m) => message = m).push(encodeChatMessage({ timestamp: 1, username, text }));
  return message!;
}

Deno.test("the page's sign-in sends nothing secret to a server that does not challenge it properly", async () => {
  const opening = decodeAll(new SignIn("alice", "secret").opening());
  assert.equal(opening[0], SCRAM_LOGIN);
  assert.match(opening[1]!, /^n,,n=alice,r=/);
  assert.ok(!opening.join("").includes("secret"));
  // A seed server relays: the first frame is someone's message.
  const seed = await new SignIn("alice", "secret").step(voice("hello", "bob"));
  assert.deepEqual(seed, {
    kind: "failed",
    text: "This server does not support accounts: no password was sent.",
  });
  // A forged challenge with a cheap iteration count.
  const signIn = new SignIn("alice", "secret");
  const nonce = /r=([^,]+)/.exec(decodeAll(signIn.opening())[1]!)![1]!;
  const cheap = await signIn.step(voice(`r=${nonce}xyz,s=c2FsdA==,i=4096`));
  assert.equal(cheap.kind, "failed");
  assert.match((cheap as { text: string }).text, /challenge was refused: .*4096 iterations/);
});

Deno.test({
  name: "a registered name on the page: refused without its password, a password field, then in",
  ignore: IGNORE_BROWSER_TESTS,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "wirechat-page-accounts-" });
    const store = new DataStore(dir);
    store.addAccount("alice", await scramVerifier("correct horse"));
    store.close();
    try {
      await using chat = startChat({ data: dir });
      await using chromium = await within(launchBrowser(), "Chromium to start");
      const page = await chromium.browser.newPage();
      // Without a password: the server's reason, a password field, and no reconnection.
      await open(page, chat.origin);
      await page.$eval("#username", (input) => (input as unknown as { value: string }).value = "");
      await page.type("#username", "alice");
      await page.keyboard.press("Enter");
      await waitForText(page, "login-problem", 'the name "alice" is registered');
      assert.equal(
        await page.$eval("#password-row", (row) => (row as unknown as { hidden: boolean }).hidden),
        false,
      );
      assert.equal(
        await page.$eval("#join", (join) => (join as unknown as { hidden: boolean }).hidden),
        false,
      );
      // A wrong password: refused, in words.
      await page.type("#password", "wrong horse");
      await page.click("#login button[type=submit]");
      await waitForText(page, "login-problem", 'wrong password for "alice"');
      // The right one: in the room, and what alice says reaches the others as hers.
      await page.type("#password", "correct horse");
      await page.click("#login button[type=submit]");
      await chat.logs.waitFor(/logged in as "alice"/, 1, 30_000);
      const bob = await ChatPeer.login(chat.port, "bob");
      bob.startReading();
      await chat.logs.waitFor(/logged in as "bob"/);
      await send(page, "signed in");
      const said = await bob.waitForText("signed in", 20_000);
      assert.equal(said.username, "alice");
      await waitForLine(page, "[alice] signed in");
      assert.equal(chat.logs.matching(/logged in as "alice"/).length, 1);
      await bob.close();
      await page.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
