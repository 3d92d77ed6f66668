import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { projectFile } from "./support/process.ts";

/** README.md and every page of docs/, as paths from the project's root. */
async function pages(): Promise<string[]> {
  const found = ["README.md"];
  for await (const entry of Deno.readDir(projectFile("docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) found.push(`docs/${entry.name}`);
  }
  return found.sort();
}

/** The text without fenced code blocks and inline code, where a link is only text. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The targets of the links and images of a page: `[text](target)`, `![alt](target)`. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => match[1]!);
}

/** The anchors of a page's headings, as GitHub makes them. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, title] of prose(markdown).matchAll(/^#{1,6}\s+(.*?)\s*#*\s*$/gm)) {
    const slug = title!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

Deno.test("prose and anchors follow GitHub's rules on a sample", () => {
  const sample =
    "# The client\n## Exit status, and errors\n## The client\n```\n[x](nowhere.md)\n```\n";
  assert.deepEqual([...anchors(sample)], ["the-client", "exit-status-and-errors", "the-client-1"]);
  assert.deepEqual(linkTargets(sample + "[a](docs/x.md#y) `[b](no.md)` ![c](d.png)"), [
    "docs/x.md#y",
    "d.png",
  ]);
});

Deno.test("every relative link in README.md and docs/ resolves, anchors included", async () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of await pages()) {
    const text = await Deno.readTextFile(projectFile(page));
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      checked++;
      const [path, anchor] = target.split("#", 2) as [string, string | undefined];
      const file = path === "" ? page : join(dirname(page), decodeURIComponent(path));
      if (relative(".", file).startsWith("..")) {
        broken.push(`${page}: ${target} leaves the project`);
        continue;
      }
      let linked: string | undefined;
      try {
        const info = await Deno.stat(projectFile(file));
        if (info.isFile && file.endsWith(".md")) {
          linked = await Deno.readTextFile(projectFile(file));
        }
      } catch {
        broken.push(`${page}: ${target} (no ${file})`);
        continue;
      }
      if (anchor !== undefined && linked !== undefined && !anchors(linked).has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} links checked`);
  assert.deepEqual(broken, []);
});
