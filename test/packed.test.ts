import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, type Chromium } from "./helpers/chromium.js";
import { freshApp, once, packed, root, run, tsc, type PackedWork } from "./helpers/packed.js";

// The package as users get it: the tarball `npm pack` makes, installed into fresh apps (no workspace
// link, no path into this checkout), each signing in for real against the emulator it ships. Two
// installs are shared by every case: an ESM app (Express 5, helmet, TypeScript) and a CommonJS one
// (Express 4). The ESM app's programs are test/fixtures/packed/*.mts, compiled there by tsc.

const fixtures = join(root, "test", "fixtures", "packed");

const ESM_DEPENDENCIES = [
  "express@5",
  "express-session@1",
  "oidc-provider@9",
  "helmet@8",
  "typescript@5.9",
  "@types/express@5",
  "@types/express-session@1",
  "@types/node@20",
];
const CJS_DEPENDENCIES = ["express@4", "express-session@1", "oidc-provider@9"];

/** An app that signs test@fia1.fr in through its own proconnect() and prints what /me says. */
const loginScript = (load: string) => `${load}
async function main() {
  const emulator = await startProConnectEmulator({ strict: true });
  const app = express();
  app.use(session({ secret: "packed-test-secret-of-32-characters!", resave: false, saveUninitialized: false }));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = "http://127.0.0.1:" + server.address().port;
  const clientSecret = "packed-test-client-secret-of-32-characters";
  emulator.registerClient({
    clientId: "packed", clientSecret,
    redirectUris: [url + "/callback"], postLogoutRedirectUris: [url + "/logout/callback"],
  });
  app.use(proconnect({ clientId: "packed", clientSecret, baseUrl: url, issuer: emulator.issuer }));
  app.get("/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser));
  const page = await new TestBrowser().navigate(url + "/login?returnTo=/me", { email: "test@fia1.fr" });
  console.log(JSON.stringify({ status: page.status, user: JSON.parse(page.body) }));
  server.close();
  await emulator.close();
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

let work: PackedWork;

const esmApp = once(() => freshApp(work, "esm-app", "module", ESM_DEPENDENCIES));
const cjsApp = once(() => freshApp(work, "cjs-app", "commonjs", CJS_DEPENDENCIES));

/**
 * The fixtures, compiled in the ESM app by tsc --strict under module nodenext (.mts to .mjs, .cts to
 * .cjs) against the installed package. skipLibCheck: the declaration files are checked in full by the
 * README's program, below.
 */
const compiled = once(async () => {
  const dir = await esmApp();
  await mkdir(join(dir, "src"), { recursive: true });
  for (const file of await readdir(fixtures)) {
    await copyFile(join(fixtures, file), join(dir, "src", file));
  }
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        skipLibCheck: true,
        outDir: "out",
        rootDir: "src",
      },
      include: ["src"],
    }),
  );
  await tsc(dir, dir, ["-p", "tsconfig.json"]);
  return dir;
});

/** The first ```ts block after the README's "## Quick start" heading, as it is now. */
async function quickStart(): Promise<string> {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const heading = readme.search(/^## Quick start$/m);
  const code = heading < 0 ? null : /^```ts\n([\s\S]*?)^```$/m.exec(readme.slice(heading));
  if (!code?.[1]) throw new Error('README.md: no ```ts block after "## Quick start"');
  return code[1];
}

/** A route that reads the user's SIRET: a string, typed from the package's augmentation of Express. */
const TYPED_SIRET = `import express from "express";
import { requireAuth } from "proconnect-express";

export const app = express();
app.get("/", requireAuth(), (req, res) => {
  const siret: string = req.proconnectUser!.siret;
  // @ts-expect-error the SIRET is a string
  const wrong: number = req.proconnectUser!.siret;
  res.json({ siret, wrong });
});
`;

/**
 * The README's quick start, compiled by tsc --strict --noEmit as it is in README.md, with a route typed
 * on req.proconnectUser.siret and the testing entry point's types, under every module setting a team
 * has: module commonjs with tsc --init's other settings (node10 resolution: `types` and
 * `typesVersions`), node16 and nodenext (.cts and .mts: the `require` and `import` conditions), and
 * bundler. No skipLibCheck: every declaration file those programs reach is checked (the public ones must
 * not reach openid-client's or jose's). Resolves to the code.
 */
const readmeFiles = once(async () => {
  const [dir, code] = await Promise.all([esmApp(), quickStart()]);
  const readme = join(dir, "readme");
  await mkdir(readme, { recursive: true });
  const testing = `import type { ProConnectEmulator } from "proconnect-express/testing";\nexport type Emulator = ProConnectEmulator;\n`;
  for (const extension of ["mts", "cts", "ts"]) {
    await writeFile(join(readme, `quickstart.${extension}`), code);
    await writeFile(join(readme, `siret.${extension}`), TYPED_SIRET);
    await writeFile(join(readme, `testing.${extension}`), testing);
  }
  return { dir, code, readme };
});

/** The README's programs, each module setting's files. */
const files = (...extensions: string[]) =>
  extensions.flatMap((extension) =>
    ["quickstart", "siret", "testing"].map((name) => `${name}.${extension}`),
  );
const strict = ["--strict", "--noEmit"];

const readmeCompiled = once(async () => {
  const { dir, code, readme } = await readmeFiles();
  await Promise.all([
    tsc(dir, readme, [
      ...strict,
      ...["--module", "commonjs", "--target", "es2016", "--esModuleInterop"],
      ...["--forceConsistentCasingInFileNames"],
      ...files("ts"),
    ]),
    tsc(dir, readme, [...strict, "--module", "node16", ...files("mts", "cts")]),
    tsc(dir, readme, [...strict, "--module", "nodenext", ...files("mts", "cts")]),
    // tsc's default target here: the main entry's declarations must not reach jose's (ES2015).
    tsc(dir, readme, [
      ...strict,
      ...["--module", "esnext", "--moduleResolution", "bundler"],
      ...["quickstart.ts", "siret.ts"],
    ]),
  ]);
  return code;
});

/**
 * The same programs with TypeScript 7 (what `npm install typescript` gives since its release), in an
 * app of its own beside the ESM app (module resolution goes by the files' folder): commonjs (TypeScript
 * 7 has no node10 resolution left), node16, nodenext and bundler, and a project made by its own
 * `tsc --init` (nodenext, `exactOptionalPropertyTypes`, `noUncheckedIndexedAccess`,
 * `verbatimModuleSyntax`, `types: []`), declaration files checked too.
 */
const readmeCompiledWith7 = once(async () => {
  const [{ code, readme }, ts7] = await Promise.all([
    readmeFiles(),
    freshApp(work, "ts7", "module", ["typescript@7"]),
  ]);
  const init = join(readme, "init");
  await mkdir(init, { recursive: true });
  await writeFile(join(init, "package.json"), JSON.stringify({ type: "module" }));
  await tsc(ts7, init, ["--init"]);
  await Promise.all(files("ts").map((name) => copyFile(join(readme, name), join(init, name))));
  // --ignoreConfig: TypeScript 7 refuses files on the command line beside the ESM app's tsconfig.json.
  const alone = [...strict, "--ignoreConfig"];
  await Promise.all([
    tsc(ts7, readme, [...alone, "--module", "commonjs", "--esModuleInterop", ...files("ts")]),
    tsc(ts7, readme, [...alone, "--module", "node16", ...files("mts", "cts")]),
    tsc(ts7, readme, [...alone, "--module", "nodenext", ...files("mts", "cts")]),
    tsc(ts7, readme, [
      ...alone,
      "--module",
      "esnext",
      "--moduleResolution",
      "bundler",
      ...files("ts"),
    ]),
    tsc(ts7, init, ["-p", ".", "--noEmit", "--skipLibCheck", "false"]),
  ]);
  const version = await run(join(ts7, "node_modules", ".bin", "tsc"), ["--version"]);
  return { code, version: version.stdout.trim() };
});

/** Runs a compiled fixture of the ESM app; its answer is the JSON of the last line it prints. */
async function runFixture<T>(file: string): Promise<T> {
  const dir = await compiled();
  const { stdout } = await run(process.execPath, [join("out", file)], {
    cwd: dir,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

/** The fixture's answer, run once and shared by the tests that assert on its parts. */
const fixtureRun = <T>(file: string) => once(() => runFixture<T>(file));

interface Answer<B = unknown> {
  status: number;
  location: string | null;
  allow: string | null;
  body: B;
}
interface ErrorBody {
  code: string;
  message: string;
}
interface User {
  sub: string;
  email?: string;
  siret: string;
  siren: string;
}

const SLOW = 180_000;

describe("the packed package, installed into fresh apps", () => {
  beforeAll(async () => {
    work = await packed("packed");
    // Both installs at once, then the ESM app's compilation: every test waits for what it needs.
    void cjsApp();
    void compiled();
  }, 120_000);
  afterAll(async () => {
    await work?.remove();
  });

  const APPS = [
    {
      what: "an ESM Express 5 app that imports both entry points",
      dir: esmApp,
      file: "app.js",
      load: `import express from "express";
import session from "express-session";
import { proconnect, requireAuth } from "proconnect-express";
import { startProConnectEmulator, TestBrowser } from "proconnect-express/testing";`,
    },
    {
      what: "a CommonJS Express 4 app that requires both entry points",
      dir: cjsApp,
      file: "app.js",
      load: `const express = require("express");
const session = require("express-session");
const { proconnect, requireAuth } = require("proconnect-express");
const { startProConnectEmulator, TestBrowser } = require("proconnect-express/testing");`,
    },
  ] as const;

  for (const app of APPS) {
    it(
      `signs in from ${app.what}`,
      async () => {
        const dir = await app.dir();
        await writeFile(join(dir, app.file), loginScript(app.load));
        const { stdout } = await run(process.execPath, [app.file], { cwd: dir, timeout: 60_000 });
        const answer = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
          status: number;
          user: { email?: string; siret?: string };
        };
        expect([answer.status, answer.user.email, answer.user.siret]).toEqual([
          200,
          "test@fia1.fr",
          "13002526500013",
        ]);
      },
      SLOW,
    );
  }

  describe("in TypeScript", () => {
    // TSC_CHECKS=skip (.ci/run's second Node.js): what tsc finds does not depend on the Node.js running it.
    const checks = it.skipIf(process.env.TSC_CHECKS === "skip");

    checks(
      "compiles the README's quick start and a typed route with tsc --strict: commonjs, node16, nodenext, bundler",
      async () => {
        const code = await readmeCompiled();
        expect(code).toContain("proconnect({");
      },
      SLOW,
    );

    checks(
      "compiles the same with TypeScript 7, and under its tsc --init's defaults",
      async () => {
        const { code, version } = await readmeCompiledWith7();
        expect(version).toMatch(/^Version 7\./);
        expect(code).toContain("proconnect({");
      },
      SLOW,
    );

    it(
      "compiles a typed app with tsc --strict to JavaScript that signs in (ESM and CommonJS)",
      async () => {
        const typed = await runFixture<{
          status: number;
          path: string;
          body: { greeting: string; email: string; same: boolean };
          formAction: string[];
          csp: string;
          emulatorOrigin: string;
        }>("typed-app.mjs");
        expect([typed.status, typed.path]).toEqual([200, "/profil"]);
        expect(typed.body).toEqual({
          greeting: "Angela Claire Louise DUBOIS (SIRET 13002526500013, SIREN 130025265)",
          email: "test@fia1.fr",
          same: true,
        });
        expect(typed.formAction).toEqual(["'self'", typed.emulatorOrigin, "https:"]);
        expect(typed.csp).toContain(`form-action 'self' ${typed.emulatorOrigin} https:`);

        const required = await runFixture<{ status: number; email: string; siret: string }>(
          "require-style.cjs",
        );
        expect(required).toEqual({ status: 200, email: "test@fia1.fr", siret: "13002526500013" });
      },
      SLOW,
    );
  });

  describe("mounted under /auth, with a plain requireAuth() outside the mount", () => {
    const mounted = fixtureRun<{
      url: string;
      firstRequest: Answer;
      signedIn: { status: number; path: string; user: User; paths: string[] };
      whoAfterRestart: Answer<User | null>;
      profilAfterRestart: Answer<User>;
      mismatch: Answer<ErrorBody> & { url: string; authorizeRequests: number; warnings: string[] };
    }>("mounted.mjs");

    it(
      "sends the process's first request, an anonymous GET /profil, to /auth/login?returnTo=%2Fprofil",
      async () => {
        const { firstRequest } = await mounted();
        expect([firstRequest.status, firstRequest.location]).toEqual([
          303,
          "/auth/login?returnTo=%2Fprofil",
        ]);
      },
      SLOW,
    );

    it(
      "signs in through /auth/login and /auth/callback, back on /profil",
      async () => {
        const { signedIn } = await mounted();
        expect([signedIn.status, signedIn.path, signedIn.user.email]).toEqual([
          200,
          "/profil",
          "test@fia1.fr",
        ]);
        expect(signedIn.paths).toContain("/auth/login");
        expect(signedIn.paths).toContain("/auth/callback");
      },
      SLOW,
    );

    it(
      "knows the user in a restarted process from its first request (/who), and lets /profil through",
      async () => {
        const { whoAfterRestart, profilAfterRestart, signedIn } = await mounted();
        expect(whoAfterRestart.status).toBe(200);
        expect(whoAfterRestart.body).toEqual(signedIn.user);
        expect([profilAfterRestart.status, profilAfterRestart.body.sub]).toEqual([
          200,
          signedIn.user.sub,
        ]);
      },
      SLOW,
    );

    it(
      "refuses a baseUrl without /auth: GET /auth/login answers 500 not_configured with the baseUrl to set, no redirect",
      async () => {
        const { mismatch } = await mounted();
        expect(mismatch.status).toBe(500);
        expect(mismatch.body.code).toBe("not_configured");
        expect(mismatch.body.message).toContain(`set baseUrl to "${mismatch.url}/auth"`);
        expect(mismatch.location).toBeNull();
        expect(mismatch.authorizeRequests).toBe(0);
      },
      SLOW,
    );
  });

  describe("with a Secure session cookie", () => {
    interface Attempt {
      login: Answer<ErrorBody>;
      page: { status: number; path: string; body: User & ErrorBody };
      requests: string[];
      authorizeRequests: number;
    }
    const secure = fixtureRun<{
      trustedProxy: Attempt & { sessionCookies: string[] };
      untrustedProxy: Attempt;
      plainHttp: Attempt;
    }>("secure-cookie.mjs");

    /**
     * A sign-in refused at /login: 500 insecure_session_cookie naming `fix`, no redirect; a page behind
     * requireAuth() goes to /login, is refused there, and never off to ProConnect.
     */
    function expectRefusedAtLogin(attempt: Attempt, fix: string) {
      expect(attempt.login.status).toBe(500);
      expect(attempt.login.body.code).toBe("insecure_session_cookie");
      expect(attempt.login.body.message).toContain(fix);
      expect(attempt.login.location).toBeNull();
      expect(attempt.requests).toEqual(["/profil", "/login"]);
      expect([attempt.page.status, attempt.page.body.code]).toEqual([
        500,
        "insecure_session_cookie",
      ]);
      expect(attempt.authorizeRequests).toBe(0);
    }

    it(
      'signs in behind an https proxy (X-Forwarded-Proto) with app.set("trust proxy", 1), the cookie Secure',
      async () => {
        const { trustedProxy } = await secure();
        expect([trustedProxy.page.status, trustedProxy.page.path]).toEqual([200, "/profil"]);
        expect(trustedProxy.page.body.email).toBe("test@fia1.fr");
        expect(trustedProxy.sessionCookies).toHaveLength(1);
        expect(trustedProxy.sessionCookies[0]).toMatch(/; Secure/);
      },
      SLOW,
    );

    it(
      "refuses /login behind that proxy without trust proxy: 500 insecure_session_cookie naming trust proxy, no redirect",
      async () => {
        expectRefusedAtLogin((await secure()).untrustedProxy, "trust proxy");
      },
      SLOW,
    );

    it(
      "refuses /login over plain http (the README's secure: true): 500 insecure_session_cookie naming cookie.secure, no loop",
      async () => {
        expectRefusedAtLogin((await secure()).plainHttp, "cookie.secure");
      },
      SLOW,
    );
  });

  it(
    "answers GET /logout (a link) with 405 method_not_allowed and Allow: POST, the user still signed in",
    async () => {
      const result = await runFixture<{
        login: { status: number; body: User };
        link: Answer<ErrorBody>;
        followed: { status: number; path: string };
        after: Answer<User>;
        endSessionRequests: number;
      }>("logout-link.mjs");
      expect([result.login.status, result.login.body.email]).toEqual([200, "test@fia1.fr"]);
      expect([result.link.status, result.link.body.code, result.link.allow]).toEqual([
        405,
        "method_not_allowed",
        "POST",
      ]);
      expect(result.link.body.message).toContain('<form method="post" action="/logout">');
      expect(result.followed).toEqual({ status: 405, path: "/logout" });
      expect([result.after.status, result.after.body.sub]).toEqual([200, result.login.body.sub]);
      expect(result.endSessionRequests).toBe(0);
    },
    SLOW,
  );

  describe('two named instances, "internet" and "rie", on two ProConnects', () => {
    const two = fixtureRun<{
      url: string;
      internetOrigin: string;
      rieOrigin: string;
      rieIssuer: string;
      a: { status: number; path: string; body: { user: User; other: string | null } };
      b: { status: number; path: string; body: { user: User; other: string | null } };
      aAgain: Answer<{ user: User; other: string | null }>;
      c: Answer<ErrorBody>;
      tokensDiffer: boolean;
      rieLogout: {
        status: number;
        location: { origin: string; path: string };
        hintIsRieToken: boolean;
        hintPayload: { iss: string; aud: string };
        end: { status: number; path: string };
      };
      internetDuringRieLogout: string[];
      afterRieLogout: { a: Answer<{ user: User }>; b: Answer };
      internetLogout: { status: number; path: string };
      internetTokenSeenByInternet: boolean;
      internetTokenSeenByRie: boolean;
      rieTokenSeenByInternet: boolean;
      recordedAtRie: number;
    }>("two-instances.mjs");

    it(
      "signs one browser in on both, each route with its own user; a plain requireAuth() is 500 not_configured",
      async () => {
        const { a, b, aAgain, c } = await two();
        expect([a.status, a.path, a.body.user.email]).toEqual([200, "/a", "test@fia1.fr"]);
        expect([b.status, b.path, b.body.user.email]).toEqual([200, "/b", "jean.martin@fia2.fr"]);
        expect(b.body.other).toBe("test@fia1.fr");
        expect([aAgain.status, aAgain.body.user.email, aAgain.body.other]).toEqual([
          200,
          "test@fia1.fr",
          "jean.martin@fia2.fr",
        ]);
        expect([c.status, c.body.code]).toEqual([500, "not_configured"]);
        expect(c.body.message).toContain('proconnect({ name: "rie" })');
      },
      SLOW,
    );

    it(
      "sends POST /rie/logout to the RIE's end_session only, with its id_token: the internet one never reaches it",
      async () => {
        const result = await two();
        const { rieLogout } = result;
        expect(rieLogout.status).toBe(303);
        expect(rieLogout.location).toEqual({
          origin: result.rieOrigin,
          path: "/api/v2/session/end",
        });
        expect(rieLogout.hintIsRieToken).toBe(true);
        expect(rieLogout.hintPayload.iss).toBe(result.rieIssuer);
        expect(rieLogout.hintPayload.aud).toBe("rie-client");
        expect(rieLogout.end).toEqual({ status: 200, path: "/" });
        expect(result.tokensDiffer).toBe(true);
        expect(result.internetDuringRieLogout).toEqual([]);
        expect(result.recordedAtRie).toBeGreaterThan(0);
        expect(result.internetTokenSeenByRie).toBe(false);
        expect(result.rieTokenSeenByInternet).toBe(false);
        // The recording does see an id_token where it goes: the internet logout's, at the internet's.
        expect(result.internetLogout).toEqual({ status: 200, path: "/" });
        expect(result.internetTokenSeenByInternet).toBe(true);
      },
      SLOW,
    );

    it(
      "keeps the internet session after the RIE logout, and sends /b back to /rie/login",
      async () => {
        const { afterRieLogout } = await two();
        expect([afterRieLogout.a.status, afterRieLogout.a.body.user.email]).toEqual([
          200,
          "test@fia1.fr",
        ]);
        expect([afterRieLogout.b.status, afterRieLogout.b.location]).toEqual([
          303,
          "/rie/login?returnTo=%2Fb",
        ]);
      },
      SLOW,
    );
  });

  describe.runIf(chromiumAvailable())("helmet's CSP, in Chromium", () => {
    let chromium: Chromium | undefined;
    const apps: ChildProcess[] = [];
    afterAll(async () => {
      await chromium?.close();
      for (const app of apps) app.stdin?.end();
    });

    /** helmet-app.mjs in a process of its own: `form-action` from the package, or helmet's defaults. */
    async function startHelmetApp(csp: "form-action" | "defaults") {
      const dir = await compiled();
      const child = spawn(process.execPath, [join("out", "helmet-app.mjs")], {
        cwd: dir,
        env: { ...process.env, CSP: csp },
        stdio: ["pipe", "pipe", "pipe"],
      });
      apps.push(child);
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`helmet-app exited (${code}):\n${stderr}`)));
      });
      const { url, issuer } = JSON.parse(line) as { url: string; issuer: string };
      const emulatorRequests = async () =>
        (await (await fetch(`${url}/test/emulator-requests`)).json()) as Record<string, number>;
      return { url, emulatorOrigin: new URL(issuer).origin, emulatorRequests };
    }

    /** A fresh page, with what the browser says about CSP (console and securitypolicyviolation). */
    async function openPage() {
      chromium ??= await launchChromium();
      await chromium.context.clearCookies();
      const page = await chromium.context.newPage();
      const violations: string[] = [];
      const requested: string[] = [];
      page.on("console", (message: ConsoleMessage) => {
        if (/Content Security Policy|csp-violation/.test(message.text())) {
          violations.push(message.text());
        }
      });
      page.on("request", (request) => requested.push(`${request.method()} ${request.url()}`));
      await page.addInitScript(
        `document.addEventListener("securitypolicyviolation", (event) =>
          console.log("csp-violation " + event.effectiveDirective + " " + event.blockedURI));`,
      );
      return { page, violations, requested };
    }

    /** Signs test@fia1.fr in from /profil, on the emulator's login page, as a person would. */
    async function signIn(page: Page, url: string) {
      await page.goto(`${url}/profil`);
      await page.getByLabel("Adresse e-mail professionnelle").fill("test@fia1.fr");
      await page.getByRole("button", { name: "Se connecter", exact: true }).click();
      await page.waitForURL(`${url}/profil`);
      expect(await page.locator("#email").textContent()).toBe("test@fia1.fr");
    }

    /** The helmet app with `csp`, and a page signed in on it. */
    async function signedInOn(csp: "form-action" | "defaults") {
      const app = await startHelmetApp(csp);
      const opened = await openPage();
      await signIn(opened.page, app.url);
      return { app, ...opened };
    }

    it(
      "signs in, then out through the emulator's end_session with form-action: auth.formAction, no violation",
      async () => {
        const { app, page, violations, requested } = await signedInOn("form-action");
        await page.getByRole("button", { name: "Se déconnecter" }).click();
        await page.waitForURL(`${app.url}/au-revoir`);
        expect(await page.locator("#state").textContent()).toBe("anonymous");
        expect(requested).toContain(`POST ${app.url}/logout`);
        expect(
          requested.some((line) =>
            line.startsWith(`GET ${app.emulatorOrigin}/api/v2/session/end?id_token_hint=`),
          ),
        ).toBe(true);
        const counts = await app.emulatorRequests();
        expect(counts["/api/v2/session/end"]).toBe(1);
        expect(counts["/api/v2/session/end/confirm"]).toBe(1);
        expect(violations).toEqual([]);
        await page.close();
      },
      SLOW,
    );

    it(
      "blocks the logout redirect to ProConnect with helmet's defaults alone (form-action 'self')",
      async () => {
        const { app, page, violations, requested } = await signedInOn("defaults");
        const blocked = page.waitForEvent("console", {
          predicate: (message) => /form-action/.test(message.text()),
          timeout: 15_000,
        });
        await page.getByRole("button", { name: "Se déconnecter" }).click();
        await blocked;
        // Chromium names the form's own URL: it does not tell the page where the redirect went.
        await expect
          .poll(() => violations)
          .toContain(`csp-violation form-action ${app.url}/logout`);
        expect(violations.join("\n")).toMatch(/directive: "form-action 'self'"/);
        expect(requested).toContain(`POST ${app.url}/logout`);
        expect(requested.filter((line) => line.includes("/session/end"))).toEqual([]);
        expect((await app.emulatorRequests())["/api/v2/session/end"]).toBeUndefined();
        // The app had signed the user out before the redirect; ProConnect's session goes on.
        await page.goto(`${app.url}/au-revoir`);
        expect(await page.locator("#state").textContent()).toBe("anonymous");
        await page.close();
      },
      SLOW,
    );
  });
});
