// acrValues (a preference sent with every login) beside requireAuth({ mfa }) (an essential acr):
// ProConnect's server runs oidc-provider 7, which merges acr_values into the essential claims.id_token.acr
// (its values replaced by acr_values), and the emulator does as it does. Sending both would turn the
// requirement into the preference: the login comes back at eidas1 and requireAuth sends it round again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireAuth } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { startTestEmulator } from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
let app: TestApp;

beforeAll(async () => {
  emulator = await startTestEmulator();
  app = await startTestApp(emulator, {
    options: { acrValues: ["eidas1"] },
    routes: (express) => {
      express.get("/mfa", requireAuth({ mfa: true }), (req, res) => {
        res.json({ acr: req.proconnectUser?.acr });
      });
    },
  });
});

afterAll(async () => {
  await app.close();
  await emulator.close();
});

describe("acrValues with an essential acr from requireAuth()", () => {
  it("sends no acr_values with an essential acr: MFA stays required", async () => {
    const browser = new TestBrowser();
    const toLogin = await browser.navigate(`${app.url}/mfa`, {
      stopAt: (url) => url.origin === new URL(emulator.issuer).origin,
    });
    const authorize = toLogin.location!;
    expect(authorize.searchParams.has("acr_values")).toBe(false);
    expect(JSON.parse(authorize.searchParams.get("claims")!)).toMatchObject({
      id_token: { acr: { essential: true } },
    });

    const page = await browser.navigate(`${app.url}/mfa`, { email: "test@fia1.fr" });
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toEqual({ acr: "eidas1-mfa" });
  });

  it("still sends acr_values when no acr is required", async () => {
    const toLogin = await new TestBrowser().navigate(`${app.url}/login`, {
      stopAt: (url) => url.origin === new URL(emulator.issuer).origin,
    });
    expect(toLogin.location?.searchParams.get("acr_values")).toBe("eidas1");
  });
});
