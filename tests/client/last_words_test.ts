import assert from "node:assert/strict";
import { LastWords, readFarewell } from "../../client/last_words.ts";

const from = (username: string, text: string) => ({ timestamp: 0, username, text });

Deno.test("readFarewell reads a refused login, a message over the limit, a TLS port", () => {
  assert.equal(readFarewell('the name "alice" is registered').kind, "login-refused");
  assert.equal(readFarewell("this port speaks TLS: use --tls").kind, "speaks-tls");
  assert.deepEqual(readFarewell("rate exceeded\x1b[2J"), {
    kind: "other",
    text: "rate exceeded␛[2J",
  });
});

Deno.test("LastWords takes the server's last frame, if recent and not a notice", () => {
  const words = new LastWords();
  words.see(from("*", "bob joined"), 0);
  assert.equal(words.farewell(10), undefined, "a join is no reason");
  words.see(from("*", "message of 40 bytes over the limit of 20"), 1000);
  assert.equal(words.farewell(1500)?.kind, "too-large");
  assert.equal(words.farewell(10_000), undefined, "too long before the close");
  words.see(from("bob", "hi"), 1600);
  assert.equal(words.farewell(1700), undefined, "not the last frame");
});

Deno.test("LastWords: a name refused after people spoke is not a refused login", () => {
  const words = new LastWords();
  assert.equal(words.heard, false);
  words.see(from("bob", "hi"), 0);
  words.see(from("*", 'the name "alice" is taken'), 0);
  assert.equal(words.heard, true);
  assert.equal(words.farewell(0)?.kind, "other");
});
