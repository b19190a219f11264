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

  it.each([
    "jest-commonjs.test.cjs",
    "jest-esm.test.mjs",
    "node-test.test.mjs",
    "playwright.spec.mjs",
  ])("shows test/recipes/%s verbatim, which test/packed-toolchains.test.ts runs", async (file) => {
    const [docs, recipe] = await Promise.all([
      read("docs/testing.md"),
      read(`test/recipes/${file}`),
    ]);
    expect(docs).toContain("```js\n" + recipe + "```");
  });
});

describe("docs/testing.md, as the npm package shows it", () => {
  it("says of each test file it names that it is in the project's source repository, the package having no test/", async () => {
    const prose = (await read("docs/testing.md")).replace(/```[\s\S]*?```/g, "");
    // A paragraph, a list item, or one row of a table.
    const units = prose
      .split(/\n\s*\n/)
      .flatMap((block) => (block.startsWith("|") ? block.split("\n") : [block]));
    const unplaced = units.filter(
      (unit) => unit.includes("`test/") && !/source\s+repository/.test(unit),
    );
    expect(unplaced).toEqual([]);
  });
});

describe("recipes beside their tests", () => {
  it.each([
    ["docs/passport.md", "passport-app.ts", "test/passport.test.ts"],
    ["docs/session-store.md", "postgres-store.ts", "test/postgres-store.test.ts"],
    ["docs/session-store.md", "sqlite-store.ts", "test/sqlite-store.test.ts"],
    ["docs/production.md", "access-log.ts", "test/access-log.test.ts"],
    ["docs/observability.md", "opentelemetry.ts", "test/opentelemetry.test.ts"],
    ["docs/nestjs.md", "nestjs/proconnect-nest.ts", "test/recipes/nestjs/nestjs-recipe.test.ts"],
    ["docs/nestjs.md", "nestjs/profil.controller.ts", "test/recipes/nestjs/nestjs-recipe.test.ts"],
  ])("%s shows test/recipes/%s verbatim, which %s runs", async (page, file) => {
    const [docs, recipe] = await Promise.all([read(page), read(`test/recipes/${file}`)]);
    expect(docs).toContain("```ts\n" + recipe + "```");
  });

  it("docs/production.md shows test/recipes/egress-proxy-agent.mjs verbatim, which test/back-channel-tls.test.ts runs", async () => {
    const [docs, recipe] = await Promise.all([
      read("docs/production.md"),
      read("test/recipes/egress-proxy-agent.mjs"),
    ]);
    expect(docs).toContain("```js\n" + recipe + "```");
  });
});
