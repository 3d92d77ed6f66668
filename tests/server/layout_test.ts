import assert from "node:assert/strict";
import { projectFile } from "../support/process.ts";

// The server's layout keeps its seams visible: no import circle (type-only imports
// count) and no file over 450 lines (the generated page aside).

const MAX_LINES = 450;
const GENERATED = new Set(["server/doors/web_assets.ts"]);

async function serverFiles(folder = "server"): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(projectFile(folder))) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) files.push(...await serverFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/** The relative imports of a module's code (not of its doc examples), as project paths. */
function importsOf(path: string, source: string): string[] {
  const code = source.replace(/\/\*\*[\s\S]*?\*\//g, "");
  const found: string[] = [];
  for (const [, target] of code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
    const url = new URL(target!, `file:///${path}`);
    found.push(url.pathname.slice(1));
  }
  return found;
}

Deno.test("server/ has no import circle, type-only imports included", async () => {
  const graph = new Map<string, string[]>();
  for (const file of await serverFiles()) {
    const imports = importsOf(file, await Deno.readTextFile(projectFile(file)));
    graph.set(file, imports.filter((target) => target.startsWith("server/")));
  }
  const state = new Map<string, "visiting" | "done">();
  const circles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      circles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "visiting");
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(circles, []);
});

Deno.test("no file in server/ is over 450 lines, the generated page aside", async () => {
  const long: string[] = [];
  for (const file of await serverFiles()) {
    if (GENERATED.has(file)) continue;
    const lines = (await Deno.readTextFile(projectFile(file))).split("\n").length - 1;
    if (lines > MAX_LINES) long.push(`${file}: ${lines} lines`);
  }
  assert.deepEqual(long, []);
});
