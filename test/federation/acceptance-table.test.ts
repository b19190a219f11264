// docs/testing.md's table of ProConnect's acceptance suite stays true: for each feature, the number of
// ported cases is the number of tests named after it, and every case left out is listed with its line.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

interface Row {
  feature: string;
  cases: number;
  ported: number;
  leftOut: string;
}

async function tableRows(): Promise<{ rows: Row[]; total: Row }> {
  const docs = await readFile("docs/testing.md", "utf8");
  const section = docs.slice(docs.indexOf("## ProConnect's own acceptance suite"));
  const cells = (line: string) =>
    line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
  const rows = section
    .split("\n")
    .filter((line) => /^\| `(api|usager)\/[^`]+\.feature`/.test(line))
    .map((line) => {
      const [feature = "", cases = "", ported = "", leftOut = ""] = cells(line);
      return {
        feature: /\/([^/`]+)\.feature/.exec(feature)?.[1] ?? "",
        cases: Number(cases),
        ported: Number(ported),
        leftOut,
      };
    });
  const totalLine = section.split("\n").find((line) => line.startsWith("| `api/` and `usager/`"));
  const [, cases = "", ported = "", leftOut = ""] = cells(totalLine ?? "");
  return {
    rows,
    total: { feature: "total", cases: Number(cases), ported: Number(ported), leftOut },
  };
}

/** The ported tests, per feature, as vitest collects them (`api-authorize.feature:3 …`). */
async function portedTests(): Promise<Map<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), "federation-list-"));
  try {
    const file = join(dir, "list.json");
    await run("npx", ["vitest", "list", "test/federation/", `--json=${file}`], {
      env: { ...process.env, CI: "1" },
      maxBuffer: 16 * 1024 * 1024,
    });
    const tests = JSON.parse(await readFile(file, "utf8")) as { name: string }[];
    const counts = new Map<string, number>();
    for (const { name } of tests) {
      const feature = / > ([a-z0-9_-]+)\.feature:\d+/.exec(name)?.[1];
      if (feature) counts.set(feature, (counts.get(feature) ?? 0) + 1);
    }
    return counts;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it("lists every feature with as many ported cases as it has tests, and each case left out with its line", async () => {
  const [{ rows, total }, ported] = await Promise.all([tableRows(), portedTests()]);
  expect(rows.length).toBe(35);
  expect(Object.fromEntries(rows.map((row) => [row.feature, row.ported]))).toEqual(
    Object.fromEntries(rows.map((row) => [row.feature, ported.get(row.feature) ?? 0])),
  );
  for (const row of rows) {
    // `:45` for a scenario, `:5 ×3` for three rows of an outline.
    const leftOut = [...row.leftOut.matchAll(/`:(\d+)`(?: ×(\d+))?/g)].reduce(
      (sum, match) => sum + Number(match[2] ?? 1),
      0,
    );
    expect({ feature: row.feature, counted: row.ported + leftOut }).toEqual({
      feature: row.feature,
      counted: row.cases,
    });
  }
  const sum = (key: "cases" | "ported") => rows.reduce((total, row) => total + row[key], 0);
  expect([total.cases, total.ported, Number(total.leftOut)]).toEqual([
    sum("cases"),
    sum("ported"),
    sum("cases") - sum("ported"),
  ]);
}, 180_000);
