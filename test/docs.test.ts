import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), "utf8");

describe("docs/testing.md", () => {
  it("shows test/recipes/vitest.test.ts verbatim, so the recipe it gives is one this suite runs", async () => {
    const [docs, recipe] = await Promise.all([
      read("docs/testing.md"),
      read("test/recipes/vitest.test.ts"),
    ]);
    expect(docs).toContain("```ts\n" + recipe + "```");
  });
});
