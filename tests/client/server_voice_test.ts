import assert from "node:assert/strict";
import { formatMessage } from "../../client/format.ts";
import { formatWithServerVoice } from "../../client/command/terminal/server_voice.ts";

Deno.test("formatWithServerVoice shows the server's messages apart, with or without colours", () => {
  const timestamp = new Date(2024, 0, 2, 18, 5).getTime() / 1000;
  const notice = { timestamp, username: "*", text: "alice joined\n" };
  assert.equal(formatWithServerVoice(notice), "<18:05> * alice joined␊");
  assert.equal(
    formatWithServerVoice(notice, { color: true }),
    "\x1b[2m<18:05>\x1b[22m \x1b[2;3m* alice joined\x1b[7m␊\x1b[27m\x1b[22;23m",
  );
  // formatMessage, for pipe mode, shows the server as a user like any other.
  assert.equal(formatMessage(notice), "<18:05> [*] alice joined␊");
  // A person's line keeps its brackets.
  assert.equal(
    formatWithServerVoice({ timestamp, username: "bob", text: "hi" }),
    "<18:05> [bob] hi",
  );
});
