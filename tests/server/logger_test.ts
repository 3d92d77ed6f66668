import assert from "node:assert/strict";
import { sanitize } from "../../client/sanitize.ts";
import { Logger, quote, REPEAT_INTERVAL_MS } from "../../server/ops/logger.ts";
import type { LogLevel } from "../../server/options.ts";

/** A logger on a fake clock, with its timers run by hand. */
function fakeLogger(level: LogLevel = "info") {
  const lines: string[] = [];
  const clock = { now: 1_000_000 };
  const timers = new Map<number, { at: number; callback: () => void }>();
  let next = 0;
  const logger = new Logger(level, (line) => lines.push(line), {
    now: () => clock.now,
    schedule: (callback, delay) => {
      const id = next++;
      timers.set(id, { at: clock.now + delay, callback });
      return () => timers.delete(id);
    },
  });
  /** Moves the clock by `ms`, running the timers that fall due. */
  const advance = (ms: number) => {
    const until = clock.now + ms;
    for (;;) {
      const due = [...timers].filter(([, timer]) => timer.at <= until)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (due === undefined) break;
      timers.delete(due[0]);
      clock.now = due[1].at;
      due[1].callback();
    }
    clock.now = until;
  };
  // The message of each line, without its time.
  const messages = () => lines.map((line) => line.replace(/^\S+ /, ""));
  return { logger, lines, messages, advance, timers, clock };
}

Deno.test("Logger writes the first repeated event at once", () => {
  const { logger, messages } = fakeLogger();
  logger.repeated("refused", "warn", "a refused");
  assert.deepEqual(messages(), ["warn a refused"]);
});

Deno.test("Logger holds a kind to one line per second and summarises the rest", () => {
  const { logger, messages, advance } = fakeLogger();
  for (let i = 1; i <= 58; i++) {
    logger.repeated("refused", "warn", `127.0.0.1:${i} refused: server full (200 clients)`);
    advance(10);
  }
  // 58 events in 580 ms: the first line, then nothing until the interval ends.
  assert.deepEqual(messages(), ["warn 127.0.0.1:1 refused: server full (200 clients)"]);
  advance(REPEAT_INTERVAL_MS - 580);
  assert.deepEqual(messages().slice(1), [
    "warn 127.0.0.1:58 refused: server full (200 clients) (and 56 more like it in the last second)",
  ]);
});

Deno.test("Logger writes a steady flood as one line per second", () => {
  const { logger, lines, advance } = fakeLogger();
  for (let ms = 0; ms < 10_000; ms += 5) {
    logger.repeated("accept", "error", "accept failed");
    advance(5);
  }
  advance(2 * REPEAT_INTERVAL_MS);
  assert.ok(lines.length >= 10 && lines.length <= 11, `${lines.length} lines`);
  const times = lines.map((line) => Date.parse(line.split(" ")[0]!));
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 1000);
  assert.match(lines[1]!, / error accept failed \(and 198 more like it in the last second\)$/);
});

Deno.test("Logger writes a lone suppressed event without a count", () => {
  const { logger, messages, advance } = fakeLogger();
  logger.repeated("refused", "warn", "first");
  logger.repeated("refused", "warn", "second");
  advance(REPEAT_INTERVAL_MS);
  assert.deepEqual(messages(), ["warn first", "warn second"]);
});

Deno.test("Logger starts over after a quiet interval", () => {
  const { logger, messages, advance, timers } = fakeLogger();
  logger.repeated("refused", "warn", "one");
  advance(REPEAT_INTERVAL_MS);
  assert.equal(timers.size, 0, "no timer left once the series ends");
  advance(5000);
  logger.repeated("refused", "warn", "two");
  assert.deepEqual(messages(), ["warn one", "warn two"]);
});

Deno.test("Logger counts kinds apart", () => {
  const { logger, messages, advance } = fakeLogger();
  logger.repeated("refused", "warn", "refused 1");
  logger.repeated("accept", "error", "accept 1");
  logger.repeated("refused", "warn", "refused 2");
  logger.repeated("refused", "warn", "refused 3");
  advance(REPEAT_INTERVAL_MS);
  assert.deepEqual(messages(), [
    "warn refused 1",
    "error accept 1",
    "warn refused 3 (and 1 more like it in the last second)",
  ]);
});

Deno.test("Logger ends an interval whose timer is late when the next event comes", () => {
  const { logger, messages, clock } = fakeLogger();
  logger.repeated("refused", "warn", "one");
  logger.repeated("refused", "warn", "two");
  logger.repeated("refused", "warn", "three");
  clock.now += REPEAT_INTERVAL_MS; // the timer has not run
  logger.repeated("refused", "warn", "four");
  assert.deepEqual(messages(), [
    "warn one",
    "warn three (and 1 more like it in the last second)",
  ]);
});

Deno.test("Logger.close writes what is held and stops the timers", () => {
  const { logger, messages, timers } = fakeLogger();
  logger.repeated("refused", "warn", "one");
  logger.repeated("refused", "warn", "two");
  logger.repeated("refused", "warn", "three");
  logger.close();
  assert.equal(timers.size, 0);
  assert.deepEqual(messages(), ["warn one", "warn three (and 1 more like it in the last second)"]);
  logger.repeated("refused", "warn", "after");
  logger.repeated("refused", "warn", "after");
  assert.equal(messages().length, 4);
  assert.equal(timers.size, 0);
});

Deno.test("Logger ignores repeated events below its level, without a timer", () => {
  const { logger, lines, timers } = fakeLogger("error");
  logger.repeated("refused", "warn", "one");
  assert.equal(lines.length, 0);
  assert.equal(timers.size, 0);
});

Deno.test("Logger.close clears its real timer (the op sanitizer would see a leak)", async () => {
  const lines: string[] = [];
  const logger = new Logger("info", (line) => lines.push(line));
  logger.repeated("refused", "warn", "one");
  logger.repeated("refused", "warn", "two");
  logger.close();
  assert.equal(lines.length, 2);
  await Promise.resolve();
});

Deno.test("Logger survives a failing sink", () => {
  const logger = new Logger("info", () => {
    throw new Error("closed");
  });
  logger.info("lost");
  logger.repeated("refused", "warn", "lost");
  logger.close();
});

Deno.test("quote escapes every character sanitize escapes, the line and paragraph separators included", () => {
  assert.equal(quote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(
    quote("eve\u2028bob\u2029\u202e\x1b[2J\ud800 👋"),
    '"eve\\u2028bob\\u2029\\u202e\\u001b[2J\\ud800 👋"',
  );
  for (let code = 0; code < 0x10000; code++) {
    const character = String.fromCharCode(code);
    const escaped = quote(character) !== `"${character}"`;
    const shown = sanitize(character) !== character;
    if (character !== '"' && character !== "\\") {
      assert.equal(escaped, shown, `U+${code.toString(16)}`);
    }
  }
});
