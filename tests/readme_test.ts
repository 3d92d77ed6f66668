import assert from "node:assert/strict";
import { HELP as CLIENT_HELP } from "../client/cli_options.ts";
import { HELP as SERVER_HELP } from "../server/cli.ts";
import { projectFile } from "./support/process.ts";

const README = await Deno.readTextFile(projectFile("README.md"));

/** The text of a `## ` section of README.md, up to the next one. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.notEqual(start, -1, `README.md has no section "${title}"`);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end === -1 ? undefined : end);
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

Deno.test("README.md's flag tables list every flag of --help, of both programs", () => {
  assert.deepEqual(tableFlags(section("The server")), helpFlags(SERVER_HELP));
  assert.deepEqual(tableFlags(section("The client")), helpFlags(CLIENT_HELP));
});

Deno.test("README.md's layout names every file of the project, and no other", async () => {
  const tree = section("Layout of the code");
  const body = tree.slice(tree.indexOf("```text\n") + 8, tree.lastIndexOf("```"));
  const named: string[] = [];
  let folder = "";
  for (const [, indent, name] of body.matchAll(/^( *)(\S+)/gm)) {
    if (indent === "") folder = name!;
    named.push(indent === "" ? name! : folder + name);
  }

  // Top-level entries; the files of the folders the layout lists file by file; tests/ by folder.
  const byFile = ["bench", "cli", "client", "docs", "examples", "protocol", "scripts", "server"];
  const ignored = ["dist", "node_modules", "coverage", "deno.lock"];
  const expected = [".ci/run"];
  for await (const entry of Deno.readDir(projectFile(""))) {
    if (entry.name.startsWith(".") || ignored.includes(entry.name)) continue;
    expected.push(entry.isDirectory ? `${entry.name}/` : entry.name);
    if (entry.name === "tests") {
      for await (const folder of Deno.readDir(projectFile("tests"))) {
        if (folder.isDirectory) expected.push(`tests/${folder.name}/`);
      }
    }
    if (!byFile.includes(entry.name)) continue;
    for await (const file of Deno.readDir(projectFile(entry.name))) {
      expected.push(`${entry.name}/${file.name}`);
    }
  }
  assert.deepEqual(named.toSorted(), expected.toSorted());
});
