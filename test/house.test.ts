// The house rules a reviewer would otherwise have to check by hand. Function length is the lint's
// (max-lines-per-function in eslint.config.js); the import graph is checked here.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(dir, file));
}

/** Each file's relative imports and re-exports, type-only ones included, as absolute paths. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(dir)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const local = importedFiles
      .map(({ fileName }) => fileName)
      .filter((name) => name.startsWith("."));
    graph.set(
      file,
      local.map((name) => resolve(dirname(file), name.replace(/\.js$/, ".ts"))),
    );
  }
  return graph;
}

/** Every cycle met by a depth-first walk, each as the files around it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const at = path.indexOf(next);
      if (at !== -1) found.push([...path.slice(at), next].map((each) => relative(ROOT, each)));
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

describe("the house", () => {
  it.each(["lib", "cli"])("%s/ has no import cycle, type-only imports included", (dir) => {
    const graph = importGraph(join(ROOT, dir));
    expect(graph.size).toBeGreaterThan(10);
    expect(cycles(graph)).toEqual([]);
  });

  it("docs/architecture.md's size table has every file of lib/ once, each row within a tenth of its count", () => {
    const page = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
    const section = page.slice(page.indexOf("## Size, by concern"));
    const table = section.slice(0, section.indexOf("\n## "));
    const rows = [...table.matchAll(/^\| (.+?) +\| (`.+?) +\| +([\d,]+) \|$/gm)].map(
      ([, concern, files, lines]) => ({
        concern: concern!,
        files: [...files!.matchAll(/`([^`]+)`/g)].map(([, file]) => file!),
        lines: Number(lines!.replaceAll(",", "")),
      }),
    );
    const lib = join(ROOT, "lib");
    const files = sources(lib)
      .map((file) => relative(lib, file))
      .filter((file) => !file.startsWith("testing/"));
    expect(rows.flatMap((row) => row.files).sort()).toEqual(files.sort());
    for (const row of rows) {
      const counted = row.files
        .map((file) => readFileSync(join(lib, file), "utf8").split("\n").length - 1)
        .reduce((sum, lines) => sum + lines, 0);
      expect(
        Math.abs(counted - row.lines),
        `${row.concern}: ${counted} lines now`,
      ).toBeLessThanOrEqual(row.lines / 10);
    }
  });

  it("finds a cycle when there is one (the walk works)", () => {
    const a = join(ROOT, "a.ts");
    const b = join(ROOT, "b.ts");
    const c = join(ROOT, "c.ts");
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [c]],
          [c, [a]],
        ]),
      ),
    ).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
  });
});
