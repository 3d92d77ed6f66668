import assert from "node:assert/strict";
import { CLIENT_CASES } from "../../check/client_cases.ts";
import type { CaseResult } from "../../check/runner.ts";
import { checkClient } from "../../check.ts";
import { projectFile } from "../support/process.ts";
import type { ClientFault } from "./support/reference_client.ts";

const OUR_CLIENT = [
  Deno.execPath(),
  "run",
  "--allow-net",
  projectFile("client.ts"),
  "--host",
  "{host}",
  "--port",
  "{port}",
  "{name}",
];

function referenceClient(faults: readonly ClientFault[] = []): string[] {
  return [
    Deno.execPath(),
    "run",
    "--allow-net",
    projectFile("tests/check/support/reference_client.ts"),
    ...(faults.length === 0 ? [] : ["--faults", faults.join(",")]),
    "{host}",
    "{port}",
    "{name}",
  ];
}

/** For each client case, the fault of the reference client that must make it fail. */
const BREAKS: Readonly<Record<string, readonly ClientFault[]>> = {
  "2.1/1": ["leSizes"],
  "2.2/1": ["keepNewline"],
  "2.2/2": ["oneMessagePerChunk"],
  "2.2/3": ["charSizes"],
  "2.2/4": ["leSizes"],
  "2.2/5": ["exitOnEof"],
  "2.2/6": ["dropUnterminated"],
  "2.2/7": ["blockingSend"],
  "2.5/1": ["dropOnClose"],
  "2.5/2": ["printPartial"],
  "2.5/3": ["hangOnClose"],
  "2.5/4": ["neverClose"],
  "4/1": ["utc"],
  "4/2": ["sloppyClock"],
  "4/3": ["ownClock"],
  "4/4": ["asciiEscape"],
  "4/5": ["oneFramePerRead"],
  "4/6": ["oneRead"],
  "4/7": ["skipEmpty"],
  "4/8": ["raw"],
  "4/9": ["rawNames"],
  "4/10": ["c0Only"],
  "4/11": ["c0Only"],
  "4/12": ["noBidi"],
  "4/13": ["keepCr"],
  "4/14": ["raw"],
};

const ids = CLIENT_CASES.map((c) => c.id);

function failures(results: readonly CaseResult[]): string {
  return results.filter((r) => r.status !== "passed").map((r) =>
    `${r.id} ${r.status}: expected ${r.expected}; actual ${r.actual}`
  ).join("\n");
}

Deno.test("the kit has at least 15 protocol cases for clients, each numbered once", () => {
  assert.ok(CLIENT_CASES.filter((c) => c.kind === "protocol").length >= 15);
  assert.equal(new Set(ids).size, ids.length);
});

Deno.test("every client case passes against wirechat's client.ts, strict ones included", async () => {
  const results = await checkClient({ command: OUR_CLIENT, strict: true, extensions: true });
  assert.equal(results.length, ids.length);
  assert.equal(failures(results), "");
});

Deno.test("every client case passes against a client that follows only PROTOCOL.md", async () => {
  const results = await checkClient({ command: referenceClient(), strict: true });
  assert.equal(failures(results), "");
});

Deno.test("every client case has a reference client that breaks its rule", () => {
  assert.deepEqual(ids.filter((id) => !(id in BREAKS)), []);
  assert.deepEqual(Object.keys(BREAKS).filter((id) => !ids.includes(id)), []);
});

Deno.test("every client case fails against a client that breaks its rule", async () => {
  const passed: string[] = [];
  const entries = Object.entries(BREAKS);
  for (let i = 0; i < entries.length; i += 5) {
    await Promise.all(
      entries.slice(i, i + 5).map(async ([id, faults]) => {
        const [result] = await checkClient({
          command: referenceClient(faults),
          only: [id],
          timeoutMs: 1000,
        });
        if (result?.status !== "failed") passed.push(`${id} with ${faults.join(",")}`);
        else assert.ok(result.expected && result.actual);
      }),
    );
  }
  assert.deepEqual(passed, []);
});

Deno.test("the client cases render times in the zone the kit gives the client", async () => {
  const [result] = await checkClient({
    command: referenceClient(),
    only: ["4/1"],
    tz: "America/St_Johns",
  });
  assert.equal(result?.status, "passed");
  const [utc] = await checkClient({ command: referenceClient(["utc"]), only: ["4/1"], tz: "UTC" });
  assert.equal(utc?.status, "passed");
});

Deno.test("a client that cannot start fails its case, saying so", async () => {
  const [result] = await checkClient({
    command: [Deno.execPath(), "run", projectFile("tests/check/support/no_such_client.ts")],
    only: ["2.1/1"],
    startTimeoutMs: 5000,
  });
  assert.equal(result?.status, "failed");
  assert.match(result!.actual!, /exited with status 1/);
});
