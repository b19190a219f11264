// The packed package under the test runners teams use, and both of its builds in one process: the
// recipes of docs/testing.md (test/recipes/) copied into a fresh app and run by Jest 30 (CommonJS and
// ESM tests), node:test and Playwright, each signing in against the emulator the package ships.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from "./helpers/chromium.js";
import { freshApp, once, packed, root, run, type PackedWork } from "./helpers/packed.js";

const playwrightVersion = (
  (await import("playwright-core/package.json", { with: { type: "json" } })) as {
    default: { version: string };
  }
).default.version;

const RUNNERS = [
  "jest@30",
  "@jest/globals@30",
  `@playwright/test@${playwrightVersion}`,
  "supertest@7",
  "express@5",
  "express-session@1",
  "oidc-provider@9",
];

const SLOW = 240_000;
let work: PackedWork;

/** An ESM app with every runner installed, the recipes in it. */
const runners = once(async () => {
  const dir = await freshApp(work, "runners", "module", RUNNERS);
  await mkdir(join(dir, "jest"));
  await mkdir(join(dir, "pw"));
  for (const [recipe, as] of [
    ["jest-commonjs.test.cjs", "jest/signin.test.cjs"],
    ["jest-esm.test.mjs", "jest/signin.test.mjs"],
    ["node-test.test.mjs", "signin.test.mjs"],
    ["playwright.spec.mjs", "pw/profile.spec.mjs"],
  ] as const) {
    await copyFile(join(root, "test", "recipes", recipe), join(dir, as));
  }
  await writeFile(
    join(dir, "jest.config.json"),
    JSON.stringify({ testEnvironment: "node", testMatch: ["<rootDir>/jest/*.test.{cjs,mjs}"] }),
  );
  return dir;
});

/** Runs `args` with this Node.js in the runners' app; resolves to what it printed, both streams. */
async function inRunners(args: string[], env: Record<string, string> = {}): Promise<string> {
  const dir = await runners();
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      cwd: dir,
      timeout: 180_000,
      env: { ...process.env, ...env },
    });
    return `${stdout}\n${stderr}`;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${args.join(" ")} failed:\n${stdout}\n${stderr}`, { cause: error });
  }
}

const jest = (file: string) =>
  inRunners(["node_modules/jest/bin/jest.js", "--ci", file], {
    // Jest imports ES modules (oidc-provider, the ESM tests) only with it, on every Node.js.
    NODE_OPTIONS: "--experimental-vm-modules",
  });

describe("the packed package under the test runners teams use", () => {
  beforeAll(async () => {
    work = await packed("toolchains");
    void runners();
  }, 120_000);
  afterAll(async () => {
    await work?.remove();
  });

  it.each([
    ["CommonJS tests: signIn() and the CommonJS build", "jest/signin.test.cjs", 2],
    ["ES module tests", "jest/signin.test.mjs", 1],
  ])(
    "runs the Jest recipe as %s",
    async (_what, file, count) => {
      const output = await jest(file);
      expect(output).toMatch(new RegExp(`Tests:\\s+${count} passed, ${count} total`));
    },
    SLOW,
  );

  it(
    "tells a CommonJS Jest run without --experimental-vm-modules how to start the emulator",
    async () => {
      // Even on Node.js 26 (Jest 30.5 requires no ES module from its CommonJS sandbox there either).
      const args = ["node_modules/jest/bin/jest.js", "--ci", "jest/signin.test.cjs"];
      const failed = await inRunners(args, { NODE_OPTIONS: "" }).then(
        () => "",
        (error: Error) => error.message,
      );
      expect(failed).toContain("run NODE_OPTIONS=--experimental-vm-modules jest");
      // The recipe's afterAll adds nothing to it (no emulator, no app to close).
      expect(failed).not.toContain("Cannot read properties of undefined");
    },
    SLOW,
  );

  it(
    "runs the node:test recipe",
    async () => {
      const output = await inRunners(["--test", "--test-reporter=tap", "signin.test.mjs"]);
      expect(output).toMatch(/# pass 1\n# fail 0/);
    },
    SLOW,
  );

  it.runIf(chromiumAvailable())(
    "runs the Playwright recipe in Chromium: the handed-off cookies reach the protected page",
    async () => {
      const dir = await runners();
      // The machine's Chromium (never a download), with the flags of test/helpers/chromium.ts.
      await writeFile(
        join(dir, "playwright.config.mjs"),
        `export default ${JSON.stringify({
          testDir: "pw",
          reporter: "line",
          workers: 1,
          use: {
            launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
          },
        })};\n`,
      );
      const output = await inRunners(["node_modules/@playwright/test/cli.js", "test"]);
      expect(output).toMatch(/2 passed/);
    },
    SLOW,
  );

  it(
    "loads both builds in one process: instances, marks and errors are shared, each signs in",
    async () => {
      const dir = await runners();
      await writeFile(join(dir, "both.mjs"), BOTH_BUILDS);
      const output = await inRunners(["both.mjs"]);
      const answer = JSON.parse(
        output
          .trim()
          .split("\n")
          .find((line) => line.startsWith("{"))!,
      );
      expect(answer).toEqual({
        builds: ["dist/lib/index.js", "dist/cjs/index.cjs"],
        // The ESM proconnect() with the CommonJS requireAuth(), and the other way round.
        signedIn: [
          [200, "test@fia1.fr"],
          [200, "test@fia1.fr"],
        ],
        anonymous: [401, 401],
        crossInstanceOf: [true, true],
      });
    },
    SLOW,
  );
});

/**
 * An ES module app that imports the ESM build and requires the CommonJS one: two apps, each with the
 * proconnect() of one build and the plain requireAuth() of the other, and each build's errors
 * recognized by the other's ProConnectError.
 */
const BOTH_BUILDS = `import { createRequire } from "node:module";
import express from "express";
import session from "express-session";
import * as esm from "proconnect-express";
import { serveTestApp, signIn, startProConnectEmulator } from "proconnect-express/testing";

const require = createRequire(import.meta.url);
const cjs = require("proconnect-express");
const builds = [
  import.meta.resolve("proconnect-express"),
  require.resolve("proconnect-express"),
].map((path) => path.slice(path.indexOf("dist/")));

const emulator = await startProConnectEmulator();
const apps = [];
const signedIn = [];
const anonymous = [];
// Each app signed in before the next exists: the first one's requireAuth() comes from a build with no
// proconnect() of its own, which finds the other build's instance only through the shared state.
for (const [mount, guard] of [[esm, cjs], [cjs, esm]]) {
  const app = await serveTestApp(emulator, (connection) => {
    const app = express();
    app.use(session({ secret: "both-builds", resave: false, saveUninitialized: false }));
    app.use(mount.proconnect(connection));
    app.get("/me", guard.requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser));
    return app;
  });
  apps.push(app);
  const browser = await signIn(app.url, "test@fia1.fr");
  const me = await browser.fetch(app.url + "/me");
  signedIn.push([me.status, (await me.json()).email]);
  anonymous.push((await fetch(app.url + "/me")).status);
}
const thrown = (build) => { try { build.proconnect({}); } catch (error) { return error; } };
const crossInstanceOf = [
  thrown(cjs) instanceof esm.ProConnectError,
  thrown(esm) instanceof cjs.ProConnectError,
];
console.log(JSON.stringify({ builds, signedIn, anonymous, crossInstanceOf }));
for (const app of apps) await app.close();
await emulator.close();
`;
