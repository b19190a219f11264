// An app that keeps passport for its own accounts beside proconnect-express (docs/passport.md's recipe,
// test/recipes/passport-app.ts): each sign-in replaces the session, so each must carry the other's key.
// Real passport and passport-local, express-session, and the emulator.
import express from "express";
import session from "express-session";
import passport from "passport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proconnect } from "../lib/index.js";
import {
  serveTestApp,
  signIn,
  startProConnectEmulator,
  TestBrowser,
  type ProConnectEmulator,
  type TestAppServer,
} from "../lib/testing/index.js";
import { createApp } from "./recipes/passport-app.js";

const EMAIL = "test@fia1.fr";
const ACCOUNT = { username: "agent", password: "correct horse battery" };

let emulator: ProConnectEmulator;
let recipe: TestAppServer;
let withoutKeeping: TestAppServer;

beforeAll(async () => {
  emulator = await startProConnectEmulator();
  recipe = await serveTestApp(emulator, createApp);
  // The same app without the two rules, to show what each one keeps.
  withoutKeeping = await serveTestApp(emulator, (connection) => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(session({ secret: "change-me", resave: false, saveUninitialized: false }));
    app.use(passport.session());
    app.use(proconnect(connection));
    app.post("/local/login", passport.authenticate("local", { failWithError: true }), (_req, res) =>
      res.redirect(303, "/me"),
    );
    app.get("/me", (req, res) => {
      res.json({ account: req.user ?? null, proconnect: req.proconnectUser ?? null });
    });
    return app;
  });
});
afterAll(async () => {
  await recipe?.close();
  await withoutKeeping?.close();
  await emulator?.close();
});

async function localLogin(browser: TestBrowser, url: string, password = ACCOUNT.password) {
  return browser.fetch(new URL("/local/login", url), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: ACCOUNT.username, password }).toString(),
  });
}

async function me(browser: TestBrowser, url: string) {
  const response = await browser.fetch(new URL("/me", url));
  expect(response.status).toBe(200);
  return (await response.json()) as {
    account: { id: string } | null;
    proconnect: { email: string } | null;
  };
}

describe("passport beside proconnect-express (docs/passport.md)", () => {
  it("keeps the ProConnect sign-in through passport's login, which keepSessionInfo carries", async () => {
    const browser = await signIn(recipe.url, EMAIL);
    const before = browser.cookieHeader(recipe.url);
    const login = await localLogin(browser, recipe.url);
    expect(login.status).toBe(303);
    // passport gave the session a new id, and carried ProConnect's data into it.
    expect(browser.cookieHeader(recipe.url)).not.toBe(before);
    const both = await me(browser, recipe.url);
    expect(both.account).toEqual({ id: "agent" });
    expect(both.proconnect?.email).toBe(EMAIL);
    const guarded = await browser.fetch(new URL("/proconnect-only", recipe.url), {
      headers: { accept: "application/json" },
    });
    expect(guarded.status).toBe(200);
  });

  it("keeps passport's sign-in through a ProConnect login, which keepSessionKeys carries", async () => {
    const browser = new TestBrowser();
    expect((await localLogin(browser, recipe.url)).status).toBe(303);
    expect((await me(browser, recipe.url)).account).toEqual({ id: "agent" });
    await signIn(recipe.url, EMAIL, { browser });
    const both = await me(browser, recipe.url);
    expect(both.account).toEqual({ id: "agent" });
    expect(both.proconnect?.email).toBe(EMAIL);
  });

  it("signs out of each on its own: passport's logout keeps ProConnect's, POST /logout keeps passport's", async () => {
    const browser = await signIn(recipe.url, EMAIL);
    await localLogin(browser, recipe.url);
    const localLogout = await browser.fetch(new URL("/local/logout", recipe.url), {
      method: "POST",
    });
    expect(localLogout.status).toBe(303);
    expect(await me(browser, recipe.url)).toMatchObject({ account: null });
    expect((await me(browser, recipe.url)).proconnect?.email).toBe(EMAIL);

    await localLogin(browser, recipe.url);
    const logout = await browser.fetch(new URL("/logout", recipe.url), { method: "POST" });
    // On its way to ProConnect's end_session; the app's session no longer holds the person.
    expect(logout.status).toBe(303);
    expect(new URL(logout.headers.get("location")!).origin).toBe(new URL(emulator.issuer).origin);
    expect(await me(browser, recipe.url)).toEqual({ account: { id: "agent" }, proconnect: null });
  });

  it("refuses a wrong password through passport, and leaves the ProConnect sign-in alone", async () => {
    const browser = await signIn(recipe.url, EMAIL);
    const refused = await localLogin(browser, recipe.url, "wrong");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "AuthenticationError" });
    expect(await me(browser, recipe.url)).toMatchObject({ account: null });
    expect((await me(browser, recipe.url)).proconnect?.email).toBe(EMAIL);
  });

  it("without the two rules, each login drops the other's sign-in", async () => {
    const proconnectFirst = await signIn(withoutKeeping.url, EMAIL);
    await localLogin(proconnectFirst, withoutKeeping.url);
    expect(await me(proconnectFirst, withoutKeeping.url)).toEqual({
      account: { id: "agent" },
      proconnect: null,
    });

    const passportFirst = new TestBrowser();
    await localLogin(passportFirst, withoutKeeping.url);
    await signIn(withoutKeeping.url, EMAIL, { browser: passportFirst });
    const after = await me(passportFirst, withoutKeeping.url);
    expect(after.account).toBeNull();
    expect(after.proconnect?.email).toBe(EMAIL);
  });
});
