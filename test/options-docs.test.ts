// docs/options.md is where a user looks an option up: every option of every public function is there,
// found from the public entry's types, so that a new option cannot ship without its line.
import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ACR_VALUES, PROCONNECT_SCOPES } from "../lib/index.js";

const ROOT = new URL("..", import.meta.url).pathname;

/** `function(parameter).option` for each option of each exported function of lib/index.ts. */
function publicOptions(): string[] {
  const index = `${ROOT}lib/index.ts`;
  const program = ts.createProgram([index], {
    strict: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const options: string[] = [];
  const walk = (type: ts.Type, path: string) => {
    for (const option of checker.getPropertiesOfType(type)) {
      options.push(`${path}.${option.name}`);
      const declared = option.valueDeclaration ?? option.declarations![0]!;
      const value = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(option, declared));
      // Nested options objects (requireBearer's cache, proconnect's routes) are options too.
      for (const part of value.isUnion() ? value.types : [value]) {
        const name = part.getSymbol()?.name ?? "";
        if (/(Options|Routes)$/.test(name)) walk(part, `${path}.${option.name}`);
      }
    }
  };
  const entry = checker.getSymbolAtLocation(program.getSourceFile(index)!)!;
  for (const exported of checker.getExportsOfModule(entry)) {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.valueDeclaration;
    if (!declaration) continue;
    for (const signature of checker
      .getTypeOfSymbolAtLocation(symbol, declaration)
      .getCallSignatures()) {
      for (const parameter of signature.getParameters()) {
        const type = checker.getNonNullableType(
          checker.getTypeOfSymbolAtLocation(parameter, parameter.valueDeclaration!),
        );
        const name = (type.aliasSymbol ?? type.getSymbol())?.name ?? "";
        // Omit<ProConnectOptions, "scopes"> & { scopes?: S } is proconnect()'s.
        if (type.isIntersection() || /Options$/.test(name)) {
          walk(type, `${exported.name}(${parameter.name})`);
        }
      }
    }
  }
  return options;
}

describe("docs/options.md", () => {
  it("documents every option of every public function, nested ones included", () => {
    const docs = readFileSync(`${ROOT}docs/options.md`, "utf8");
    const options = publicOptions();
    // proconnect(), requireAuth(), requireBearer(), getAccessToken(), boundedStore(), redisRefreshLock().
    for (const fn of ["proconnect(", "requireAuth(", "requireBearer(", "getAccessToken("]) {
      expect(
        options.some((option) => option.startsWith(fn)),
        fn,
      ).toBe(true);
    }
    expect(options).toContain("requireBearer(options).cache.negativeTtl");
    const missing = options.filter((option) => {
      const name = option.slice(option.lastIndexOf(".") + 1);
      // `name`, or `name(…)` for a hook, or `name:` in an example.
      return !new RegExp(`\`${name}[\`(:]`).test(docs);
    });
    expect(missing).toEqual([]);
  });

  it("lists every scope of PROCONNECT_SCOPES and every acr of ACR_VALUES", () => {
    const docs = readFileSync(`${ROOT}docs/options.md`, "utf8");
    const scopes = docs.slice(
      docs.indexOf("(`PROCONNECT_SCOPES`)"),
      docs.indexOf("**`idTokenSigned"),
    );
    expect(PROCONNECT_SCOPES.filter((scope) => !scopes.includes(`\`${scope}\``))).toEqual([]);
    const acrs = docs.slice(docs.indexOf("(`ACR_VALUES`"), docs.indexOf("(`REMOVED_ACR_VALUES`)"));
    // The URIs by their last segment: `certification-dirigeant`.
    const named = ACR_VALUES.map((acr) => acr.slice(acr.lastIndexOf("/") + 1));
    expect(named.filter((acr) => !acrs.includes(`\`${acr}\``))).toEqual([]);
  });
});
