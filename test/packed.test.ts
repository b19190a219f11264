import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The package as users get it: the tarball `npm pack` makes, installed into fresh apps (no workspace
// link, no path into this checkout), each signing in for real against the emulator it ships.

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

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

let work: string;
let tarball: string;

async function freshApp(name: string, type: "module" | "commonjs", dependencies: string[]) {
  const dir = join(work, name);
  await run("mkdir", ["-p", dir]);
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name, version: "1.0.0", private: true, type }),
  );
  // --prefer-offline: the cache of this machine's install serves these versions; the registry otherwise.
  await run(
    npm,
    ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, ...dependencies],
    { cwd: dir, timeout: 180_000 },
  );
  return dir;
}

async function signInFrom(dir: string, file: string) {
  const { stdout } = await run(process.execPath, [file], { cwd: dir, timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as {
    status: number;
    user: { email?: string; siret?: string };
  };
}

describe("the packed package, installed into fresh apps", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "proconnect-packed-"));
    const { stdout } = await run(npm, ["pack", "--silent", "--pack-destination", work], {
      cwd: root,
    });
    tarball = join(work, stdout.trim().split("\n").at(-1)!);
  }, 120_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const APPS = [
    {
      what: "an ESM Express 5 app that imports both entry points",
      type: "module",
      express: "express@5",
      load: `import express from "express";
import session from "express-session";
import { proconnect, requireAuth } from "proconnect-express";
import { startProConnectEmulator, TestBrowser } from "proconnect-express/testing";`,
    },
    {
      what: "a CommonJS Express 4 app that requires both entry points",
      type: "commonjs",
      express: "express@4",
      load: `const express = require("express");
const session = require("express-session");
const { proconnect, requireAuth } = require("proconnect-express");
const { startProConnectEmulator, TestBrowser } = require("proconnect-express/testing");`,
    },
  ] as const;

  for (const app of APPS) {
    it(`signs in from ${app.what}`, async () => {
      const dir = await freshApp(`${app.type}-app`, app.type, [
        app.express,
        "express-session@1",
        "oidc-provider@9",
      ]);
      await writeFile(join(dir, "app.js"), loginScript(app.load));
      const answer = await signInFrom(dir, "app.js");
      expect([answer.status, answer.user.email, answer.user.siret]).toEqual([
        200,
        "test@fia1.fr",
        "13002526500013",
      ]);
    }, 240_000);
  }
});
