import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_SCOPES,
  ProConnectError,
  requireAuth,
  type ProConnectOptions,
} from "../lib/index.js";
import {
  TestBrowser,
  type EmulatorClientInput,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import { errorOf, startTestApp, type TestApp } from "./helpers/app.js";
import { startTestEmulator } from "./helpers/emulator.js";

// Requiring MFA and restricting access as docs/access.md shows it, against the emulator's ProConnect.

let emulator: ProConnectEmulator;
const apps: TestApp[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await emulator.close();
});

/** An app with its own client at the emulator: /mfa needs MFA, /me any user. */
async function startApp(
  options: Partial<ProConnectOptions> = {},
  client: Partial<EmulatorClientInput> = {},
): Promise<string> {
  const app = await startTestApp(emulator, {
    options,
    client,
    routes: (app) => {
      app.get("/mfa", requireAuth({ mfa: true }), (req, res) => res.json(req.proconnectUser));
    },
  });
  apps.push(app);
  return app.url;
}

describe("requireAuth({ mfa: true })", () => {
  let url: string;
  beforeAll(async () => {
    url = await startApp();
  });

  it("lets test@fia1.fr (an identity provider without MFA) in with eidas1-mfa after ProConnect's e-mail code", async () => {
    const browser = new TestBrowser();
    // Stopped on the code page first: ProConnect asks for the code it sent by e-mail.
    const codePage = await browser.navigate(`${url}/mfa`, {
      email: "test@fia1.fr",
      emailCode: false,
    });
    expect(codePage.status).toBe(200);
    expect(new URL(codePage.url).origin).toBe(new URL(emulator.issuer).origin);
    expect(emulator.lastEmailCode("test@fia1.fr")).toMatch(/^\w+$/);

    const page = await new TestBrowser().navigate(`${url}/mfa`, { email: "test@fia1.fr" });
    expect([page.status, new URL(page.url).pathname]).toEqual([200, "/mfa"]);
    const user = JSON.parse(page.body) as { acr: string; amr: string[] };
    expect(user.acr).toBe("eidas1-mfa");
    expect(user.amr).toContain("mail");
  });

  it("lets an identity whose provider does MFA in at its own level, with no e-mail code", async () => {
    const page = await new TestBrowser().navigate(`${url}/mfa`, {
      email: "jean.martin@fia2.fr",
      emailCode: false,
    });
    expect([page.status, new URL(page.url).pathname]).toEqual([200, "/mfa"]);
    expect(JSON.parse(page.body)).toMatchObject({ acr: "eidas1-mfa" });
  });

  it("steps a session signed in without MFA up through ProConnect, and answers an API call 403 insufficient_acr", async () => {
    const browser = new TestBrowser();
    const plain = await browser.navigate(`${url}/me`, { email: "test@fia1.fr" });
    expect(JSON.parse(plain.body)).not.toHaveProperty("acr");
    const api = await browser.navigate(`${url}/mfa`, { headers: { accept: "application/json" } });
    expect([api.status, JSON.parse(api.body).error]).toEqual([403, "insufficient_acr"]);
    const redirect = await browser.navigate(`${url}/mfa`, { stopAt: () => true });
    expect(redirect.location?.searchParams.get("acr")).toBe("eidas0-mfa eidas1-mfa eidas2 eidas3");
    const page = await browser.navigate(`${url}/mfa`, { email: "test@fia1.fr" });
    expect(JSON.parse(page.body)).toMatchObject({ acr: "eidas1-mfa" });
  });
});

describe("restricting access with roles in onLogin (docs/access.md)", () => {
  let url: string;
  beforeAll(async () => {
    url = await startApp({
      scopes: [...DEFAULT_SCOPES, "roles", "organization_label"],
      onLogin(user) {
        if (!user.roles?.includes("agent_public")) {
          throw new ProConnectError("login_rejected", "ce service est réservé aux agents publics");
        }
        return user;
      },
    });
  });

  it("lets a State agent in, with the roles and organisation ProConnect computed", async () => {
    const page = await new TestBrowser().navigate(`${url}/me`, { email: "test@fia1.fr" });
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toMatchObject({
      roles: ["agent_public", "agent_public_etat"],
      organization_label: "Direction interministérielle du numérique (DINUM)",
    });
  });

  it("refuses a private-sector person (login_rejected, 403) and leaves nobody signed in", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(`${url}/me`, { email: "marie.lefevre@yopmail.com" });
    expect([page.status, errorOf(page).code]).toEqual([403, "login_rejected"]);
    const after = await browser.navigate(`${url}/me`, { headers: { accept: "application/json" } });
    expect(after.status).toBe(401);
  });
});

describe("ProConnect's refusals of a login request", () => {
  it("answers an unknown idp_hint with idp_hint_not_found (400), saying what to check", async () => {
    const url = await startApp();
    const page = await new TestBrowser().navigate(`${url}/login?idp_hint=no-such-idp`);
    expect([page.status, errorOf(page).code]).toEqual([400, "idp_hint_not_found"]);
    expect(errorOf(page).message).toContain("check the idp_id");
  });

  it("answers a scope the client is not registered for with invalid_scope (400), naming the fix", async () => {
    const url = await startApp(
      { scopes: [...DEFAULT_SCOPES, "phone"] },
      { scopes: [...DEFAULT_SCOPES] },
    );
    const page = await new TestBrowser().navigate(`${url}/login`);
    expect([page.status, errorOf(page).code]).toEqual([400, "invalid_scope"]);
    expect(errorOf(page).message).toContain("ask ProConnect to enable it for this client_id");
    expect(errorOf(page).message).toContain("phone");
  });
});
