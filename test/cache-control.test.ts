// Answers about a signed-in person are private: requireAuth() and requireBearer() say no shared cache
// may keep them, unless the app set its own Cache-Control.
import request from "supertest";
import { describe, expect, it } from "vitest";
import { requireAuth, requireBearer } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { useTestApp, type TestApp } from "./helpers/app.js";
import {
  CLIENT_SECRET,
  discover,
  registerResourceServer,
  signIn as signInAt,
  testClient,
} from "./helpers/emulator.js";
import { signIn, withApp } from "./helpers/refusals.js";

let emulator: ProConnectEmulator;
let app: TestApp;
useTestApp((started) => ({ emulator, app } = started));

describe("requireAuth()", () => {
  it("answers a signed-in page with Cache-Control: private, no-store", async () => {
    const { browser } = await signIn(app, "test@fia1.fr");
    for (const path of ["/me", "/page"]) {
      const page = await browser.navigate(`${app.url}${path}`);
      expect([page.status, page.headers.get("cache-control")]).toEqual([200, "private, no-store"]);
    }
  });

  it("keeps the app's own Cache-Control, set before it or by the route", async () => {
    await withApp(
      emulator,
      {
        routes: (routes) => {
          routes.get(
            "/before",
            (_req, res, next) => {
              res.set("Cache-Control", "private, max-age=60");
              next();
            },
            requireAuth(),
            (_req, res) => res.json({ ok: true }),
          );
          routes.get("/route", requireAuth(), (_req, res) => {
            res.set("Cache-Control", "no-cache");
            res.json({ ok: true });
          });
        },
      },
      async (own) => {
        const { browser } = await signIn(own, "test@fia1.fr");
        const before = await browser.navigate(`${own.url}/before`);
        expect(before.headers.get("cache-control")).toBe("private, max-age=60");
        const route = await browser.navigate(`${own.url}/route`);
        expect(route.headers.get("cache-control")).toBe("no-cache");
      },
    );
  });

  it("keeps its refusals out of caches too", async () => {
    const anonymous = await new TestBrowser().navigate(`${app.url}/api/me`);
    expect([anonymous.status, anonymous.headers.get("cache-control")]).toEqual([
      401,
      "private, no-store",
    ]);
  });
});

describe("requireBearer()", () => {
  it("answers a valid token's route with Cache-Control: private, no-store", async () => {
    registerResourceServer(emulator, "rs-cache");
    emulator.registerClient(testClient());
    const bearer = requireBearer({
      clientId: "rs-cache",
      clientSecret: CLIENT_SECRET,
      issuer: emulator.issuer,
      allowedClients: ["test-app"],
    });
    await withApp(
      emulator,
      { routes: (routes) => routes.get("/api/documents", bearer, (_req, res) => res.json([])) },
      async (api) => {
        const { access_token: token } = (await signInAt(await discover(emulator), "test@fia1.fr"))
          .tokens;
        const answer = await request(api.url)
          .get("/api/documents")
          .set("Authorization", `Bearer ${token}`);
        expect([answer.status, answer.headers["cache-control"]]).toEqual([
          200,
          "private, no-store",
        ]);
        const refused = await request(api.url).get("/api/documents");
        expect([refused.status, refused.headers["cache-control"]]).toEqual([
          401,
          "private, no-store",
        ]);
      },
    );
  });
});
