import assert from "node:assert/strict";
import type { ChatMessage } from "../../mod.ts";
import { ReplayFilter } from "../../client/command/terminal/replay_filter.ts";

const message = (timestamp: number, text: string, username = "bob"): ChatMessage => ({
  timestamp,
  username,
  text,
});

function shown(filter: ReplayFilter, messages: ChatMessage[]): string[] {
  return messages.filter((one) => filter.accept(one)).map((one) => one.text);
}

Deno.test("ReplayFilter shows every message, repeats included, until a reconnection", () => {
  const filter = new ReplayFilter();
  assert.deepEqual(shown(filter, [message(1, "ok"), message(1, "ok")]), ["ok", "ok"]);
});

Deno.test("ReplayFilter hides a replay of messages shown, and shows those missed", () => {
  const filter = new ReplayFilter();
  shown(filter, [message(1, "one"), message(2, "two"), message(2, "ok"), message(2, "ok")]);
  filter.reconnected();
  const replay = [
    message(0, "older than all"),
    message(1, "one"),
    message(2, "two"),
    message(2, "missed"),
    message(2, "ok"),
    message(2, "ok"),
    message(2, "ok"), // a third one: missed too
    message(3, "new"),
    message(3, "new"), // after the overlap, repeats are shown again
  ];
  assert.deepEqual(shown(filter, replay), ["older than all", "missed", "ok", "new", "new"]);
  // The same user and text at another time, or from another user, is another message.
  filter.reconnected();
  assert.deepEqual(shown(filter, [message(1, "two"), message(3, "new", "eve")]), ["two", "new"]);
});

Deno.test("ReplayFilter hides replays again after each reconnection", () => {
  const filter = new ReplayFilter();
  shown(filter, [message(1, "one")]);
  for (let i = 0; i < 3; i++) {
    filter.reconnected();
    assert.deepEqual(shown(filter, [message(1, "one")]), []);
  }
});

Deno.test("ReplayFilter remembers only the last messages, as many as its capacity", () => {
  const filter = new ReplayFilter(3);
  shown(filter, [1, 2, 3, 4, 5].map((i) => message(i, `m${i}`)));
  filter.reconnected();
  const replay = [1, 2, 3, 4, 5].map((i) => message(i, `m${i}`));
  assert.deepEqual(shown(filter, replay), ["m1", "m2"]);
});
