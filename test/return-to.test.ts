// Where a login goes back to: the app's returnTo(req) (nginx's X-Original-URI…), the query's returnTo,
// postLoginRedirect; each checked the same way, and bounded once normalized.
import express from "express";
import express4 from "express4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { loginCookiesOf, type TestApp } from "./helpers/app.js";
import { startTestEmulator } from "./helpers/emulator.js";
import { withApp } from "./helpers/refusals.js";

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

const LONG = `/recherche?q=${"é".repeat(700)}`; // 700 characters, 4,200 once percent-encoded

/** Where the browser lands after a login started with `path` and `headers`. */
async function landing(app: TestApp, path: string, headers: Record<string, string> = {}) {
  const browser = new TestBrowser();
  const atProConnect = await browser.navigate(`${app.url}${path}`, {
    headers,
    stopAt: (url) => url.origin === emulator.url,
  });
  expect(atProConnect.status).toBe(303);
  const cookies = [...loginCookiesOf(browser, app.url).values()];
  const page = await browser.navigate(atProConnect.location!, { email: "test@fia1.fr" });
  return { page, cookieBytes: Math.max(...cookies.map((value) => value.length)) };
}

describe.each([
  ["Express 5", express],
  ["Express 4", express4],
])("%s", (_name, factory) => {
  const fromHeader = {
    returnTo: (req: express.Request) => req.get("x-original-uri"),
  };

  it("goes back where returnTo(req) says (nginx's X-Original-URI)", async () => {
    await withApp(emulator, { express: factory, options: fromHeader }, async (app) => {
      const { page } = await landing(app, "/login", { "x-original-uri": "/page?onglet=2" });
      expect([page.status, page.url.pathname + page.url.search]).toEqual([200, "/page?onglet=2"]);
    });
  });

  it("falls back to the query's returnTo when returnTo(req) gives nothing", async () => {
    await withApp(emulator, { express: factory, options: fromHeader }, async (app) => {
      const { page } = await landing(app, "/login?returnTo=/me");
      expect([page.status, page.url.pathname]).toEqual([200, "/me"]);
    });
  });

  it("checks returnTo(req) like the query: another site's URL ends on postLoginRedirect", async () => {
    await withApp(emulator, { express: factory, options: fromHeader }, async (app) => {
      for (const unsafe of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
        const { page } = await landing(app, "/login?returnTo=/me", { "x-original-uri": unsafe });
        expect(page.url.href).toBe(`${app.url}/`);
      }
    });
  });

  it("ends a 700 × é returnTo on postLoginRedirect, with a login cookie browsers keep", async () => {
    await withApp(emulator, { express: factory, options: fromHeader }, async (app) => {
      for (const started of [
        await landing(app, `/login?returnTo=${encodeURIComponent(LONG)}`),
        await landing(app, "/login", { "x-original-uri": encodeURI(LONG).replace(/%C3%A9/g, "é") }),
      ]) {
        expect([started.page.status, started.page.url.href]).toEqual([200, `${app.url}/`]);
        expect(started.cookieBytes).toBeLessThan(1024);
      }
    });
  });
});
