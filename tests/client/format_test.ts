// deno-lint-ignore-file no-control-regex -- these tests are about control characters
import assert from "node:assert/strict";
import { formatMessage, formatTime } from "../../client/format.ts";

const at = (hours: number, minutes: number) =>
  new Date(2024, 0, 15, hours, minutes, 42).getTime() / 1000;

Deno.test("formatTime gives local time on a 24-hour clock, zero-padded", () => {
  assert.equal(formatTime(at(0, 0)), "00:00");
  assert.equal(formatTime(at(9, 5)), "09:05");
  assert.equal(formatTime(at(13, 7)), "13:07");
  assert.equal(formatTime(at(23, 59)), "23:59");
});

Deno.test("formatTime gives --:-- for a time a Date cannot hold", () => {
  assert.equal(formatTime(Number.MAX_SAFE_INTEGER), "--:--");
});

Deno.test("formatMessage formats <HH:MM> [user] text", () => {
  assert.equal(
    formatMessage({ timestamp: at(18, 3), username: "alice", text: "hello, world" }),
    "<18:03> [alice] hello, world",
  );
  assert.equal(
    formatMessage({ timestamp: at(7, 30), username: "bob", text: "" }),
    "<07:30> [bob] ",
  );
  assert.equal(
    formatMessage({ timestamp: at(7, 30), username: "Вася", text: "  привет 👋  " }),
    "<07:30> [Вася]   привет 👋  ",
  );
});

Deno.test("formatMessage with colours styles the time, the user and the escapes", () => {
  const line = formatMessage({ timestamp: at(8, 0), username: "bob", text: "a\tb" }, {
    color: true,
  });
  assert.match(line, /^\x1b\[2m<08:00>\x1b\[22m \[\x1b\[\d+mbob\x1b\[39m\] a\x1b\[7m␉\x1b\[27mb$/);
});

Deno.test("formatMessage gives each user name one colour", () => {
  const colorOf = (username: string) =>
    /\[\x1b\[(\d+)m/.exec(formatMessage({ timestamp: 0, username, text: "" }, { color: true }))![1];
  assert.equal(colorOf("alice"), colorOf("alice"));
  const colors = new Set(["alice", "bob", "carol", "dave", "erin", "frank"].map(colorOf));
  assert.ok(colors.size > 1, "different users get different colours");
  assert.ok(!colors.has("31"), "red is left for errors");
});

Deno.test("formatMessage quotes a user name with brackets or quotes so it cannot forge a prefix", () => {
  const line = (username: string, color = false) =>
    formatMessage({ timestamp: at(9, 0), username, text: "y" }, { color });
  assert.equal(line("admin] hi [x"), '<09:00> ["admin] hi [x"] y');
  assert.equal(line("[admin]"), '<09:00> ["[admin]"] y');
  assert.equal(line('"bob"'), '<09:00> ["\\"bob\\""] y');
  assert.equal(line('a\\"] [b'), '<09:00> ["a\\\\\\"] [b"] y');
  assert.equal(line("bob"), "<09:00> [bob] y");
  assert.match(line("admin] hi [x", true), /\[\x1b\[\d+m"admin\] hi \[x"\x1b\[39m\] y$/);
});
