import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import {
  CERTIFICATION_DIRIGEANT,
  getProConnectUser,
  proconnect,
  ProConnectError,
  requireAuth,
} from "../lib/index.js";
import { TestBrowser } from "../lib/testing/index.js";
import { errorOf, type TestApp, useTestApp } from "./helpers/app.js";

let app: TestApp;

useTestApp((started) => ({ app } = started));

describe("requireAuth()", () => {
  it("sends an anonymous browser to login with a returnTo, and back to the page after", async () => {
    const browser = new TestBrowser();
    const first = await browser.navigate(`${app.url}/page?tab=2`, { stopAt: () => true });
    expect(first.status).toBe(303);
    expect(first.location?.pathname).toBe("/login");
    expect(first.location?.searchParams.get("returnTo")).toBe("/page?tab=2");

    const page = await browser.navigate(`${app.url}/page?tab=2`, { email: "test@fia1.fr" });
    expect(page.url.href).toBe(`${app.url}/page?tab=2`);
    expect(page.body).toContain("Bonjour Angela Claire Louise");
  });

  it("sends an anonymous browser from a page too long to come back to through login without a returnTo, to postLoginRedirect", async () => {
    // 1,700 escaped spaces: 5 KB here, and a /login URL of 8.5 KB with it, which /login refuses.
    const path = `/page?q=${"%20".repeat(1_700)}`;
    const browser = new TestBrowser();
    const first = await browser.navigate(`${app.url}${path}`, { stopAt: () => true });
    expect(first.status).toBe(303);
    expect(first.location?.pathname).toBe("/login");
    expect(first.location?.searchParams.has("returnTo")).toBe(false);
    const page = await browser.navigate(`${app.url}${path}`, { email: "test@fia1.fr" });
    expect(page.url.href).toBe(`${app.url}/`);
    expect(JSON.parse(page.body)).toMatchObject({ user: { email: "test@fia1.fr" } });
  });

  it("answers an anonymous API call with 401 JSON (JSON Accept, or not a GET)", async () => {
    const json = await request(app.url).get("/me").set("accept", "application/json");
    expect([json.status, json.body.error]).toEqual([401, "unauthenticated"]);
    // The same URL redirects a browser: the answer depends on Accept, and says so.
    expect(json.headers.vary).toMatch(/\bAccept\b/);
    const post = await request(app.url).post("/api/action").set("accept", "text/html");
    expect([post.status, post.body.error]).toEqual([401, "unauthenticated"]);
  });

  it("answers 401 JSON on an API route ({ api: true }) whatever the Accept, and lets a user through", async () => {
    for (const accept of ["*/*", "text/html"]) {
      const anonymous = await request(app.url).get("/api/me").set("accept", accept);
      expect([anonymous.status, anonymous.body.error]).toEqual([401, "unauthenticated"]);
      expect(anonymous.headers.location).toBeUndefined();
    }
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: "test@fia1.fr" });
    const me = await browser.navigate(`${app.url}/api/me`);
    expect([me.status, JSON.parse(me.body).siret]).toEqual([200, "13002526500013"]);
  });

  it("lets a signed-in user through", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: "test@fia1.fr" });
    const me = await browser.navigate(`${app.url}/me`, { headers: { accept: "application/json" } });
    expect(JSON.parse(me.body)).toMatchObject({ siret: "13002526500013" });
  });

  it("steps up to the certification-dirigeant acr through login when the session lacks it", async () => {
    const browser = new TestBrowser();
    const signedIn = await browser.navigate(`${app.url}/login?returnTo=/me`, {
      email: "marie.lefevre@yopmail.com",
    });
    // A plain login asks for no acr, and ProConnect then sends none.
    expect(JSON.parse(signedIn.body)).not.toHaveProperty("acr");

    const api = await browser.navigate(`${app.url}/dirigeant`, {
      headers: { accept: "application/json" },
    });
    expect([api.status, JSON.parse(api.body).error]).toEqual([403, "insufficient_acr"]);

    const redirect = await browser.navigate(`${app.url}/dirigeant`, { stopAt: () => true });
    expect(redirect.location?.searchParams.get("acr")).toBe(CERTIFICATION_DIRIGEANT);
    const page = await browser.navigate(`${app.url}/dirigeant`, {
      email: "marie.lefevre@yopmail.com",
    });
    expect(JSON.parse(page.body)).toEqual({ acr: CERTIFICATION_DIRIGEANT });
  });

  it("ends on ProConnect's access_denied when the identity cannot reach the acr (no loop)", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(`${app.url}/dirigeant`, { email: "test@fia1.fr" });
    expect([page.status, errorOf(page).code]).toEqual([403, "access_denied"]);
  });

  it("refuses an unknown acr when it is created (invalid_options)", () => {
    expect(() => requireAuth({ acr: "eidas9" as never })).toThrow(ProConnectError);
    expect(() => requireAuth({ acr: [] })).toThrow(/acr must be one or more of/);
  });

  it("passes not_configured to the app when the process has several proconnect() and none saw the request", async () => {
    // A second instance in the process: requireAuth() can no longer take the only one.
    proconnect({ clientId: "other", clientSecret: "other", baseUrl: "http://127.0.0.1:9" });
    const bare = express();
    bare.get("/me", requireAuth(), (_req, res) => res.json({}));
    bare.use(
      (
        error: ProConnectError,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(error.status).json({ code: error.code });
      },
    );
    const response = await request(bare).get("/me");
    expect([response.status, response.body.code]).toEqual([500, "not_configured"]);
  });
});

describe("req.proconnectUser", () => {
  it("is the signed-in user, set on each request by proconnect() (an own property), and nothing else on the request", async () => {
    const anonymous = JSON.parse((await new TestBrowser().navigate(`${app.url}/probe`)).body) as {
      own: boolean;
      symbols: number;
      email: string | null;
      afterAssigning: unknown;
    };
    expect(anonymous).toEqual({ own: true, symbols: 0, email: null, afterAssigning: null });

    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: "test@fia1.fr" });
    const signedIn = JSON.parse((await browser.navigate(`${app.url}/probe`)).body) as object;
    // Assigning it is for that request only: the next one reads the session again.
    expect(signedIn).toEqual({
      own: true,
      symbols: 0,
      email: "test@fia1.fr",
      afterAssigning: null,
    });
    expect(JSON.parse((await browser.navigate(`${app.url}/probe`)).body)).toMatchObject({
      email: "test@fia1.fr",
    });
  });

  it("is read by getProConnectUser() from any request object, a plain one included", () => {
    const user = { sub: "s", idp_id: "fia1v2", siret: "13002526500013", siren: "130025265" };
    expect(getProConnectUser({ session: { proconnect: { user } } })).toBe(user);
    expect(getProConnectUser({})).toBeUndefined();
    expect(getProConnectUser({ session: {}, proconnectUser: user })).toBe(user);
  });

  it("reaches a sub-app mounted after the middleware, and requireAuth() there finds the middleware", async () => {
    const anonymous = await request(app.url).get("/sub/me");
    expect([anonymous.status, anonymous.body.error]).toEqual([401, "unauthenticated"]);
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: "test@fia1.fr" });
    const page = await browser.navigate(`${app.url}/sub/me`);
    expect([page.status, (JSON.parse(page.body) as { email: string }).email]).toEqual([
      200,
      "test@fia1.fr",
    ]);
  });
});
