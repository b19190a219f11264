// The CommonJS build, beside tsc's ESM one in dist/lib: dist/cjs/index.cjs and dist/cjs/testing.cjs.
//
// Bundled by esbuild, with openid-client, oauth4webapi and jose inside: those are ES modules only, and a
// CommonJS module loader that cannot require() ES modules (Jest's on Node.js before 24.9) could not load
// them. express, express-session and zod (which ship CommonJS) stay the app's, and oidc-provider (ES
// only) is imported by the emulator when it starts. The declarations are tsc's, copied under a
// package.json of type commonjs so that TypeScript reads them as CommonJS (`.d.ts` there is `.d.cts`).
import { cp, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";

const out = "dist/cjs";
await rm(out, { recursive: true, force: true });
await build({
  entryPoints: { index: "lib/index.ts", testing: "lib/testing/index.ts" },
  outdir: out,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20.19",
  external: ["express", "express-session", "zod", "oidc-provider"],
  logLevel: "warning",
});
await cp("dist/lib", `${out}/types`, {
  recursive: true,
  filter: (source) => !source.endsWith(".js"),
});
await writeFile(`${out}/package.json`, `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
