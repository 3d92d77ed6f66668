import assert from "node:assert/strict";
import { HELP as CLIENT_HELP } from "../client/command/cli_options.ts";
import { HELP as SERVER_HELP } from "../server/cli.ts";
import { projectFile } from "./support/process.ts";

/** The text of a `## ` section of a page, up to the next one. */
async function section(page: string, title: string): Promise<string> {
  const text = await Deno.readTextFile(projectFile(page));
  const start = text.indexOf(`\n## ${title}\n`);
  assert.notEqual(start, -1, `${page} has no section "${title}"`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/** The long flags in the first column of a section's flag table. */
function tableFlags(text: string): string[] {
  return [...text.matchAll(/^\| (?:`-\w`, )?`(--[\w-]+)/gm)].map((match) => match[1]!);
}

/** The long flags listed under OPTIONS in a `--help` text. */
function helpFlags(help: string): string[] {
  const options = help.slice(help.indexOf("OPTIONS:"));
  return [...options.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((match) => match[1]!);
}

Deno.test("docs/server.md and docs/client.md list every flag of --help, in its order", async () => {
  assert.deepEqual(tableFlags(await section("docs/server.md", "Flags")), helpFlags(SERVER_HELP));
  assert.deepEqual(tableFlags(await section("docs/client.md", "Flags")), helpFlags(CLIENT_HELP));
});

Deno.test("README.md is a newcomer's page: at most 250 lines", async () => {
  const lines = (await Deno.readTextFile(projectFile("README.md"))).split("\n").length - 1;
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
});

Deno.test("docs/architecture.md's layout names only paths that exist", async () => {
  const text = await Deno.readTextFile(projectFile("docs/architecture.md"));
  const start = text.indexOf("```text\n", text.indexOf("## Layout of the code"));
  assert.notEqual(start, -1, "docs/architecture.md has no layout block");
  const body = text.slice(start + 8, text.indexOf("```", start + 8));
  // Each level of two spaces is inside the last folder named one level up.
  const named: string[] = [];
  const folders: string[] = [];
  for (const [, indent, name] of body.matchAll(/^( *)(\S+)/gm)) {
    const depth = indent!.length / 2;
    folders.length = depth;
    const path = folders.join("") + name;
    named.push(path);
    if (name!.endsWith("/")) folders[depth] = name!;
  }
  assert.ok(named.length > 20, `only ${named.length} paths named`);
  const missing: string[] = [];
  for (const path of named) {
    try {
      await Deno.stat(projectFile(path));
    } catch {
      missing.push(path);
    }
  }
  assert.deepEqual(missing, []);
});
