import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type TypeScript from "typescript";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

/** The modules a fresh Node.js process resolves when it imports `entry` and runs `then` on it. */
async function modulesLoadedBy(entry: string, then = ""): Promise<string[]> {
  const script = `
    const entry = await import(${JSON.stringify(new URL(entry, `file://${root}`).href)});
    ${then}
    await new Promise((resolve) => setTimeout(resolve, 100));
    console.log(JSON.stringify(globalThis.resolvedModules));`;
  const { stdout } = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      "./test/fixtures/trace-imports.mjs",
      "--input-type=module",
      "-e",
      script,
    ],
    { cwd: root },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as string[];
}

describe("package entry points", () => {
  it("never loads oidc-provider from the main entry", async () => {
    const loaded = await modulesLoadedBy("lib/index.ts");
    expect(loaded.some((url) => url.endsWith("/lib/siret.ts"))).toBe(true);
    expect(
      loaded.filter((url) => url.includes("oidc-provider") || url.includes("/lib/testing/")),
    ).toEqual([]);
  });

  it("loads oidc-provider only once an emulator starts (the check above can see it)", async () => {
    const imported = await modulesLoadedBy("lib/testing/index.ts");
    expect(imported.some((url) => url.endsWith("/lib/testing/emulator.ts"))).toBe(true);
    expect(imported.filter((url) => url.includes("oidc-provider"))).toEqual([]);

    const started = await modulesLoadedBy(
      "lib/testing/index.ts",
      "await (await entry.startProConnectEmulator()).close();",
    );
    expect(started.some((url) => url.includes("/node_modules/oidc-provider/"))).toBe(true);
  });
});

describe("built package (dist/, as published)", () => {
  it("resolves `proconnect-express` and `proconnect-express/testing` through its exports map", async () => {
    // Plain Node.js, no TypeScript loader: what a user's app runs. `npm test` builds first.
    const script = `
      const main = await import("proconnect-express");
      const testing = await import("proconnect-express/testing");
      const emulator = await testing.startProConnectEmulator();
      const metadata = await (await fetch(emulator.issuer + "/.well-known/openid-configuration")).json();
      await emulator.close();
      console.log(JSON.stringify({ siret: main.normalizeSiret("130 025 265 00013"), issuer: metadata.issuer === emulator.issuer }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
    });
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual({
      siret: "13002526500013",
      issuer: true,
    });
  });

  it("runs the proconnect-express command from its bin, with plain Node.js", async () => {
    const { readFile } = await import("node:fs/promises");
    const pkg = JSON.parse(await readFile(`${root}/package.json`, "utf8")) as {
      bin: Record<string, string>;
    };
    const bin = `${root}/${pkg.bin["proconnect-express"]}`;
    expect((await readFile(bin, "utf8")).startsWith("#!/usr/bin/env node\n")).toBe(true);
    const { stdout } = await run(process.execPath, [bin, "--help"], { cwd: root });
    expect(stdout).toContain("sp-config");
    expect(stdout).toContain("doctor");
  });

  it("ships type declarations for both entry points, for import and require", async () => {
    const { readFile } = await import("node:fs/promises");
    type Condition = { types: string; default: string };
    const pkg = JSON.parse(await readFile(`${root}/package.json`, "utf8")) as {
      types: string;
      typesVersions: Record<string, Record<string, string[]>>;
      exports: Record<string, { import: Condition; require: Condition }>;
    };
    for (const entry of [".", "./testing"]) {
      for (const condition of ["import", "require"] as const) {
        const declarations = await readFile(
          `${root}/${pkg.exports[entry]![condition].types}`,
          "utf8",
        );
        expect(declarations).toMatch(/export \{/);
      }
    }
    // The CommonJS declarations are read as CommonJS (their package.json), and node10 resolution
    // (TypeScript's module: commonjs) finds them through types and typesVersions.
    expect(JSON.parse(await readFile(`${root}/dist/cjs/package.json`, "utf8"))).toEqual({
      type: "commonjs",
    });
    expect(pkg.types).toBe(pkg.exports["."]!.require.types);
    expect(`./${pkg.typesVersions["*"]!.testing![0]!.replace(/^\.\//, "")}`).toBe(
      pkg.exports["./testing"]!.require.types,
    );
    // Declaration merging reaches users of the built package: req.proconnectUser is typed for them.
    const middleware = await readFile(`${root}/dist/lib/middleware.d.ts`, "utf8");
    expect(middleware).toMatch(
      /declare global[\s\S]*interface Request[\s\S]*proconnectUser\?: ProConnectUser/,
    );

    const emulator = await readFile(`${root}/dist/lib/testing/emulator.d.ts`, "utf8");
    expect(emulator).toContain("export declare function startProConnectEmulator");

    // The public types must not need @types/oidc-provider in a user's project: walk every declaration
    // file reachable from the testing entry and look for an import of it.
    const seen = new Set<string>();
    const queue = [`${root}/dist/lib/testing/index.d.ts`];
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      const source = await readFile(file, "utf8");
      for (const [, specifier] of source.matchAll(/from "([^"]+)"/g)) {
        expect(specifier, `${file} imports ${specifier}`).not.toBe("oidc-provider");
        if (specifier!.startsWith("."))
          queue.push(new URL(specifier!.replace(/\.js$/, ".d.ts"), `file://${file}`).pathname);
      }
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it("documents every option of ProConnectOptions in the published declarations, as an editor shows them", async () => {
    const ts = ((await import("typescript")) as unknown as { default: typeof TypeScript }).default;
    const { optionsSchema } = await import("../lib/options.js");
    const index = `${root}/dist/lib/index.d.ts`;
    const program = ts.createProgram([index], { strict: true, skipLibCheck: true });
    const checker = program.getTypeChecker();
    const module = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
    const options = checker.getExportsOfModule(module).find((s) => s.name === "ProConnectOptions");
    expect(options, "ProConnectOptions is exported").toBeDefined();
    const type = checker.getDeclaredTypeOfSymbol(options!);
    const documented = Object.fromEntries(
      type
        .getProperties()
        .map((member) => [
          member.name,
          ts.displayPartsToString(member.getDocumentationComment(checker)).length,
        ]),
    );
    expect(Object.keys(documented).sort()).toEqual(Object.keys(optionsSchema.shape).sort());
    for (const [name, length] of Object.entries(documented)) {
      expect(length, `${name} has no documentation`).toBeGreaterThan(20);
    }
  });
});
