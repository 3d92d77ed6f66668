import assert from "node:assert/strict";
import { TerminalOutput } from "../../client/command/terminal/terminal_output.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A terminal that takes at most `limit` bytes per write, when the test lets it. */
function slowTerminal(limit: number) {
  const writes: string[] = [];
  const pending: (() => void)[] = [];
  return {
    writes,
    write(bytes: Uint8Array): Promise<number> {
      return new Promise((resolve) => {
        pending.push(() => {
          writes.push(decoder.decode(bytes.subarray(0, limit)));
          resolve(Math.min(limit, bytes.length));
        });
      });
    },
    /** Lets the pending write finish. */
    step() {
      pending.shift()?.();
    },
    get waiting() {
      return pending.length;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("TerminalOutput takes drawings at once and joins those made during a write", async () => {
  const terminal = slowTerminal(100);
  const output = new TerminalOutput(terminal);
  assert.equal(output.writeSync(encoder.encode("one")), 3);
  output.writeSync(encoder.encode(" two"));
  output.writeSync(encoder.encode(" three"));
  assert.equal(terminal.waiting, 1, "one write in flight");
  terminal.step();
  await tick();
  terminal.step();
  const drained = output.drained();
  await tick();
  assert.equal(terminal.waiting, 0);
  await drained;
  assert.deepEqual(terminal.writes, ["one", " two three"]);
});

Deno.test("TerminalOutput carries a partial write on, in order", async () => {
  const terminal = slowTerminal(2);
  const output = new TerminalOutput(terminal);
  output.writeSync(encoder.encode("abcde"));
  const drained = output.drained();
  while (terminal.waiting > 0) {
    terminal.step();
    await tick();
  }
  await drained;
  assert.equal(terminal.writes.join(""), "abcde");
});

Deno.test("TerminalOutput reports a failed write, then refuses to draw", async () => {
  const error = new Error("terminal gone");
  const output = new TerminalOutput({ write: () => Promise.reject(error) });
  output.writeSync(encoder.encode("x"));
  assert.equal(await output.failure, error);
  await assert.rejects(output.drained(), (thrown) => thrown === error);
  assert.throws(() => output.writeSync(encoder.encode("y")), (thrown) => thrown === error);
});
