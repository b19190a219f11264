// The emulator against ProConnect's server of August 2026 (proconnect-gouv/federation at dffa09e5): each
// test names the server file its behaviour is read from.
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACR_VALUES,
  DEFAULT_IDENTITIES,
  startProConnectEmulator,
  TestBrowser,
  type EmulatorIdentityInput,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import {
  authorizationRequest,
  callbackFor,
  CLIENT_SECRET,
  discover,
  errorCode,
  exchange,
  POST_LOGOUT_REDIRECT_URI,
  random,
  REDIRECT_URI,
  signIn,
  startTestEmulator,
  testClient,
  toRp,
} from "./helpers/emulator.js";

const MFA = ["eidas0-mfa", "eidas1-mfa", "eidas2", "eidas3"];
const mfaClaims = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id_token: { acr: { essential: true, values: MFA }, ...extra } });

let emulator: ProConnectEmulator;
let config: client.Configuration;

beforeAll(async () => {
  emulator = await startTestEmulator();
  config = await discover(emulator);
});
afterAll(() => emulator.close());

/** A client of the emulator registered with `overrides`, and its openid-client configuration. */
async function registered(
  target: ProConnectEmulator,
  clientId: string,
  overrides: Parameters<typeof testClient>[0] = {},
) {
  target.registerClient(testClient({ clientId, ...overrides }));
  const metadata: Partial<client.ClientMetadata> = {};
  return client.discovery(
    new URL(target.issuer),
    clientId,
    metadata,
    client.ClientSecretPost(CLIENT_SECRET),
    { execute: [client.allowInsecureRequests] },
  );
}

/**
 * An authorization request with `params` that the emulator refuses before any login page: the error,
 * its description and the state it redirects back with, and the state that was sent.
 */
async function refusedAuthorization(target: client.Configuration, params: Record<string, string>) {
  const request = await authorizationRequest(target, params);
  const page = await new TestBrowser().navigate(request.url, { stopAt: toRp });
  const query = page.location?.searchParams;
  return {
    error: query?.get("error"),
    description: query?.get("error_description"),
    state: query?.get("state"),
    sent: request.state,
  };
}

describe("acr (config/oidc-provider.ts, libs/oidc-acr/src/oidc-acr.service.ts)", () => {
  it("advertises exactly the 7 supported acr values", () => {
    expect(config.serverMetadata().acr_values_supported).toEqual([...ACR_VALUES]);
    expect(ACR_VALUES).toHaveLength(7);
  });

  it("puts acr in the id_token only when the client asks, by acr_values or claims.id_token.acr", async () => {
    const plain = await signIn(config, "test@fia1.fr");
    expect(plain.tokens.claims()).not.toHaveProperty("acr");
    const byValues = await signIn(config, "test@fia1.fr", { acr_values: "eidas1" });
    expect(byValues.tokens.claims()?.acr).toBe("eidas1");
    const byClaims = await signIn(config, "test@fia1.fr", {
      claims: JSON.stringify({ id_token: { acr: null } }),
    });
    expect(byClaims.tokens.claims()?.acr).toBe("eidas1");
  });
});

describe("MFA by a code sent by e-mail (interaction.controller.ts getVerify, email-verification.controller.ts)", () => {
  it("sends a code to a person whose FI cannot do MFA, and answers eidas1-mfa with amr pwd and mail", async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(config, {
      claims: mfaClaims({ amr: { essential: true } }),
    });
    const page = await browser.navigate(request.url, { email: "test@fia1.fr", emailCode: false });
    expect(page.status).toBe(200);
    expect(page.url.pathname).toMatch(/\/interaction\/[^/]+\/verification-email$/);
    expect(page.body).toContain('<html lang="fr">');
    expect(page.body).toMatch(/<label for="verify_email_token">[^<]+<\/label>/);
    expect(page.body).toContain('aria-describedby="code-hint"');
    const code = emulator.lastEmailCode("test@fia1.fr");
    expect(code).toMatch(/^\d{8}$/);

    const done = await browser.navigate(page.url, {
      method: "POST",
      form: { verify_email_token: ` ${code} ` },
      stopAt: toRp,
    });
    const tokens = await exchange(config, done.location!, request);
    expect(tokens.claims()).toMatchObject({ acr: "eidas1-mfa", amr: ["pwd", "mail"] });
    expect(emulator.lastEmailCode("test@fia1.fr")).toBeUndefined(); // used once
  });

  it("lets TestBrowser type the code by itself", async () => {
    const { tokens } = await signIn(config, "test@fia1.fr", { claims: mfaClaims() });
    expect(tokens.claims()?.acr).toBe("eidas1-mfa");
  });

  it("refuses a wrong code with ProConnect's message, and accepts the right one after", async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(config, { claims: mfaClaims() });
    const wrong = await browser.navigate(request.url, {
      email: "test@fia1.fr",
      emailCode: "00000000",
      stopAt: toRp,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain("Le code rentré est invalide ou expiré.");
    expect(wrong.body).toContain('role="alert"');
    const right = await browser.navigate(wrong.url, {
      method: "POST",
      form: { verify_email_token: emulator.lastEmailCode("test@fia1.fr")! },
      stopAt: toRp,
    });
    expect((await exchange(config, right.location!, request)).claims()?.acr).toBe("eidas1-mfa");
  });

  it("returns the FI's own level when the FI can do MFA, with no code", async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(config, { claims: mfaClaims() });
    const page = await browser.navigate(request.url, {
      email: "jean.martin@fia2.fr",
      emailCode: false,
      stopAt: toRp,
    });
    const tokens = await exchange(config, page.location!, request);
    expect(tokens.claims()?.acr).toBe("eidas1-mfa");
    expect(emulator.lastEmailCode("jean.martin@fia2.fr")).toBeUndefined();
  });

  it("answers access_denied when the FI already checked the e-mail (amr mail) and cannot do MFA", async () => {
    const { callback } = await callbackFor(config, "marie.lefevre@yopmail.com", {
      claims: mfaClaims(),
    });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("error_description")).toBe(
      "requested ACRs could not be satisfied",
    );
  });

  it("reuses an MFA session for another client asking for the same acr", async () => {
    const browser = new TestBrowser();
    await signIn(config, "test@fia1.fr", { claims: mfaClaims() }, browser);
    const other = await registered(emulator, "second-fs");
    const request = await authorizationRequest(other, { claims: mfaClaims() });
    const page = await browser.navigate(request.url, { stopAt: toRp, emailCode: false });
    expect((await exchange(other, page.location!, request)).claims()?.acr).toBe("eidas1-mfa");
  });
});

describe("per-client scopes (oidc-provider's client scope, connexion-scope.feature)", () => {
  it("answers invalid_scope to a scope the client is not registered for", async () => {
    const narrow = await registered(emulator, "narrow", { scopes: ["openid", "email", "siret"] });
    const refused = await refusedAuthorization(narrow, { scope: "openid email phone" });
    expect(refused.error).toBe("invalid_scope");
    expect(refused.description).toBe("requested scope is not allowed");
    expect(refused.state).toBe(refused.sent);
    const allowed = await authorizationRequest(narrow, { scope: "openid email" });
    const ok = await new TestBrowser().navigate(allowed.url, {
      email: "test@fia1.fr",
      stopAt: toRp,
    });
    expect(ok.location?.searchParams.has("code")).toBe(true);
  });

  it("knows roles, organization_label, groups and amr as scopes", async () => {
    const scopes = config.serverMetadata().scopes_supported;
    expect(scopes).toEqual(
      expect.arrayContaining(["roles", "organization_label", "groups", "amr"]),
    );
  });

  it("accepts the amr scope, which releases no claim: amr comes with claims.id_token.amr", async () => {
    // oidc-provider-config.service.ts declares amr: ["amr"], but findAccount's claims have no amr and
    // oidc-provider puts scope claims in the id_token only without an access token.
    const { tokens } = await signIn(config, "jean.martin@fia2.fr", { scope: "openid amr" });
    expect(tokens.claims()).not.toHaveProperty("amr");
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).not.toHaveProperty("amr");
  });
});

describe("SSO and prompt (core-fca-middleware.service.ts, interaction.controller.ts getInteraction)", () => {
  it("reuses the session without prompt and with prompt=none, showing no form", async () => {
    const browser = new TestBrowser();
    await signIn(config, "test@fia1.fr", {}, browser);
    for (const params of [{}, { prompt: "none" }, { prompt: "login consent" }] as Record<
      string,
      string
    >[]) {
      const request = await authorizationRequest(config, params);
      const page = await browser.navigate(request.url, { stopAt: toRp });
      expect(page.location?.searchParams.has("code"), JSON.stringify(params)).toBe(true);
    }
  });

  it("forces a new login when login_hint names someone else, or idp_hint another FI", async () => {
    const browser = new TestBrowser();
    await signIn(config, "test@fia1.fr", {}, browser);
    const byLogin = await signIn(
      config,
      "test@fia1.fr",
      { login_hint: "jean.martin@fia2.fr" },
      browser,
    );
    expect(byLogin.tokens.claims()?.sub).toBe(DEFAULT_IDENTITIES[1]!.sub);
    const byIdp = await authorizationRequest(config, { idp_hint: "fia1v2" });
    const page = await browser.navigate(byIdp.url, { stopAt: toRp });
    expect((await exchange(config, page.location!, byIdp)).claims()?.sub).toBe(
      DEFAULT_IDENTITIES[0]!.sub,
    );
  });

  it("forces a new login when the session's acr does not meet an essential acr, and for eidas2/eidas3", async () => {
    const browser = new TestBrowser();
    await signIn(config, "test@fia1.fr", {}, browser);
    const request = await authorizationRequest(config, {
      claims: JSON.stringify({ id_token: { acr: { essential: true, value: "eidas2" } } }),
    });
    const page = await browser.navigate(request.url, { stopAt: toRp });
    expect(page.status).toBe(200);
    expect(page.body).toContain("Se connecter"); // the login form again

    const eidas2: EmulatorIdentityInput = {
      ...DEFAULT_IDENTITIES[0]!,
      sub: "eidas2-person",
      email: "eidas2@fia1.fr",
      acr: ["eidas2"],
    };
    const strong = await startTestEmulator({ identities: [eidas2] });
    try {
      const strongConfig = await discover(strong);
      const strongBrowser = new TestBrowser();
      const claims = JSON.stringify({ id_token: { acr: { essential: true, value: "eidas2" } } });
      await signIn(strongConfig, "eidas2@fia1.fr", { claims }, strongBrowser);
      const again = await authorizationRequest(strongConfig, { claims });
      const shown = await strongBrowser.navigate(again.url, { stopAt: toRp });
      expect(shown.body).toContain("Se connecter");
    } finally {
      await strong.close();
    }
  });

  it("answers invalid_request to prompt=select_account", async () => {
    const refused = await refusedAuthorization(config, { prompt: "select_account" });
    expect(refused.error).toBe("invalid_request");
    expect(refused.description).toBe("unsupported prompt value requested");
  });

  it("never answers consent_required: prompt=none with a session and new scopes gets a code", async () => {
    const browser = new TestBrowser();
    await signIn(config, "test@fia1.fr", { scope: "openid siret idp_id" }, browser);
    const request = await authorizationRequest(config, {
      prompt: "none",
      scope: "openid siret idp_id email phone",
    });
    const page = await browser.navigate(request.url, { stopAt: toRp });
    expect(page.location?.searchParams.has("code")).toBe(true);
  });
});

describe("hints (interaction.controller.ts getInteraction, connexion-idp_hint.feature)", () => {
  it("redirects back with idp_hint_not_found for an unknown idp_hint", async () => {
    const refused = await refusedAuthorization(config, { idp_hint: "no-such-fi" });
    expect(refused.error).toBe("idp_hint_not_found");
    expect(refused.description).toBe("provided idp_hint could not be found");
    expect(refused.state).toBe(refused.sent);
  });

  it("stops an idp_hint naming a failing FI on that FI's error page, though no test identity is at it", async () => {
    // core-fca-controller.service.ts redirectToIdpWithIdpId → oidc-client.service.ts getProviderConfig.
    const failing = await startTestEmulator({
      identityProviders: {
        "fia3-desactive": { status: "disabled" },
        "fia-rie-low": { status: "unreachable" },
        "fia-refuse": { error: { error: "access_denied", error_description: "user canceled" } },
      },
    });
    try {
      const failingConfig = await discover(failing);
      const pages = [];
      for (const idp_hint of ["fia3-desactive", "fia-rie-low", "fia-refuse"]) {
        const request = await authorizationRequest(failingConfig, { idp_hint });
        const page = await new TestBrowser().navigate(request.url, { stopAt: toRp });
        pages.push([page.status, errorCode(page.body), page.location]);
      }
      expect(pages).toEqual([
        [400, "Y020017", undefined],
        [502, "Y020031", undefined],
        [502, "Y020032", undefined],
      ]);
    } finally {
      await failing.close();
    }
  });

  it("sends a login_hint straight to the FI: no e-mail page for a known person", async () => {
    const request = await authorizationRequest(config, { login_hint: "jean.martin@fia2.fr" });
    const page = await new TestBrowser().navigate(request.url, { stopAt: toRp });
    expect((await exchange(config, page.location!, request)).claims()?.sub).toBe(
      DEFAULT_IDENTITIES[1]!.sub,
    );
  });
});

describe("identity clean-up (services/identity.sanitizer.ts)", () => {
  const base = DEFAULT_IDENTITIES[0]!;
  const person = (overrides: Partial<EmulatorIdentityInput>): EmulatorIdentityInput => ({
    ...base,
    raw: undefined,
    ...overrides,
  });
  let cleaning: ProConnectEmulator;
  let cleaningConfig: client.Configuration;
  const everything =
    "openid email given_name usual_name uid siret phone idp_id idp_acr custom roles organization_label";

  beforeAll(async () => {
    cleaning = await startTestEmulator({
      identities: [
        person({ sub: "spaces", email: "spaces@fia1.fr", siret: "130 025 265 00013" }),
        person({ sub: "bad-siret", email: "bad@fia1.fr", siret: "12345678901234" }),
        person({
          sub: "bad-siret-fia9",
          email: "bad@fia9.fr",
          idp_id: "fia9",
          siret: "12345678901234",
        }),
        person({ sub: "no-email", email: undefined }),
        person({ sub: "bad-phone", email: "phone@fia1.fr", phone_number: "call me" }),
        person({ sub: "extras", email: "extras@fia1.fr", custom: { grade: "A+" } }),
        person({
          sub: "private",
          email: "prive@entreprise.fr",
          organization: { kind: "privee", label: "Octo" },
        }),
      ],
      identityProviders: { fia9: { defaultSiret: "13002526500013" } },
    });
    cleaningConfig = await discover(cleaning);
  });
  afterAll(() => cleaning.close());

  async function userinfoOf(sub: string, targetConfig = cleaningConfig) {
    const request = await authorizationRequest(targetConfig, { scope: everything });
    const page = await new TestBrowser().navigate(request.url, { sub, stopAt: toRp });
    const tokens = await exchange(targetConfig, page.location!, request);
    return client.fetchUserInfo(targetConfig, tokens.access_token, sub);
  }

  it("strips the SIRET's spaces", async () => {
    expect((await userinfoOf("spaces")).siret).toBe("13002526500013");
  });

  it("replaces an invalid SIRET by the FI's default SIRET, or refuses the login with Y500006", async () => {
    expect((await userinfoOf("bad-siret-fia9")).siret).toBe("13002526500013");
    const request = await authorizationRequest(cleaningConfig);
    const page = await new TestBrowser().navigate(request.url, { sub: "bad-siret", stopAt: toRp });
    expect([page.status, errorCode(page.body)]).toEqual([500, "Y500006"]);
    expect(page.location).toBeUndefined();
  });

  it("refuses an identity without e-mail with Y500006", async () => {
    const request = await authorizationRequest(cleaningConfig);
    const page = await new TestBrowser().navigate(request.url, { sub: "no-email", stopAt: toRp });
    expect([page.status, errorCode(page.body)]).toEqual([400, "Y500006"]);
  });

  it("drops an invalid phone number", async () => {
    expect(await userinfoOf("bad-phone")).not.toHaveProperty("phone_number");
    expect((await userinfoOf("spaces")).phone_number).toBe("+33 1 23 45 67 89");
  });

  it("always sends custom, {} when the FI has no other attribute, and idp_id, idp_acr", async () => {
    expect(await userinfoOf("spaces")).toMatchObject({
      custom: {},
      idp_id: "fia1v2",
      idp_acr: "eidas1",
    });
    expect((await userinfoOf("extras")).custom).toEqual({ grade: "A+" });
  });

  it("computes roles and organization_label from the organisation", async () => {
    expect(await userinfoOf("spaces")).toMatchObject({
      roles: ["agent_public", "agent_public_etat"],
      organization_label: "Direction interministérielle du numérique (DINUM)",
    });
    expect(await userinfoOf("private")).toMatchObject({ roles: [], organization_label: "Octo" });
  });

  it('always sends roles ["agent_public"] and no organization_label on the RIE', async () => {
    const rie = await startTestEmulator({
      network: "rie",
      identities: [
        person({
          sub: "private",
          email: "prive@entreprise.fr",
          organization: { kind: "privee", label: "Octo" },
        }),
      ],
    });
    try {
      const info = await userinfoOf("private", await discover(rie));
      expect(info.roles).toEqual(["agent_public"]);
      expect(info).not.toHaveProperty("organization_label");
    } finally {
      await rie.close();
    }
  });

  it("sends the FI's values untouched with raw, as the default identities wrong on purpose are", async () => {
    const raw = await startTestEmulator({
      raw: true,
      identities: [
        person({
          sub: "bad-siret",
          email: "bad@fia1.fr",
          siret: "1234 5678901234",
          phone_number: "call me",
        }),
      ],
    });
    try {
      const info = await userinfoOf("bad-siret", await discover(raw));
      expect(info).toMatchObject({ siret: "1234 5678901234", phone_number: "call me" });
      expect(info).not.toHaveProperty("custom");
    } finally {
      await raw.close();
    }
    expect(DEFAULT_IDENTITIES.filter((identity) => identity.raw).map((i) => i.email)).toEqual([
      "siret.espaces@fia1.fr",
      "siret.invalide@fia1.fr",
      undefined,
    ]);
  });
});

describe("tokens, introspection and revocation (oidc-provider-config.service.ts)", () => {
  it("advertises introspection and revocation under ProConnect's routes", () => {
    const metadata = config.serverMetadata();
    expect(metadata.introspection_endpoint).toBe(`${emulator.issuer}/token/introspection`);
    expect(metadata.revocation_endpoint).toBe(`${emulator.issuer}/token/revocation`);
  });

  it("defaults to codes of 600 s, access tokens of an hour, refresh tokens of the session's 12 hours", async () => {
    const { tokens } = await signIn(config, "test@fia1.fr");
    expect(tokens.expires_in).toBe(3600);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
    const introspected = await client.tokenIntrospection(config, refreshed.refresh_token!);
    expect(introspected.exp! - introspected.iat!).toBe(12 * 3600);
  });

  it("introspects an access token (active, sub), and revokes it", async () => {
    const { tokens } = await signIn(config, "test@fia1.fr");
    const active = await client.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({
      active: true,
      sub: tokens.claims()!.sub,
      client_id: "test-app",
    });
    await client.tokenRevocation(config, tokens.access_token);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
  });

  for (const alg of ["ES256", "RS256", "HS256"] as const) {
    it(`answers with a JWT signed with ${alg} when the client registered introspectionSignedResponseAlg`, async () => {
      const clientId = `resource-server-${alg}`;
      emulator.registerClient(testClient({ clientId, introspectionSignedResponseAlg: alg }));
      const { tokens } = await signIn(config, "test@fia1.fr");
      const response = await fetch(config.serverMetadata().introspection_endpoint!, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/token-introspection+jwt",
        },
        body: new URLSearchParams({
          client_id: clientId,
          client_secret: CLIENT_SECRET,
          token: tokens.access_token,
        }),
      });
      expect(response.headers.get("content-type")).toMatch(
        /^application\/token-introspection\+jwt/,
      );
      const jwt = await response.text();
      expect(decodeProtectedHeader(jwt).alg).toBe(alg);
      if (alg === "HS256") {
        await jwtVerify(jwt, new TextEncoder().encode(CLIENT_SECRET));
      }
      expect(decodeJwt(jwt)).toMatchObject({
        iss: emulator.issuer,
        aud: clientId,
        token_introspection: { active: true, sub: tokens.claims()!.sub },
      });
    });
  }
});

describe("logout (logout-params.dto.ts)", () => {
  it("checks post_logout_redirect_uri exactly with client_id alone", async () => {
    const browser = new TestBrowser();
    await signIn(config, "test@fia1.fr", {}, browser);
    const endSession = new URL(config.serverMetadata().end_session_endpoint!);
    endSession.search = new URLSearchParams({
      client_id: "test-app",
      post_logout_redirect_uri: `${POST_LOGOUT_REDIRECT_URI}/`,
      state: random(),
    }).toString();
    const page = await browser.navigate(endSession, { stopAt: toRp });
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
  });
});

describe("error pages (interaction.controller.ts getVerify, core-fca.service.ts, _doc/erreurs.md)", () => {
  it("shows Y500015 to a private-sector person on a client restricted to public agents", async () => {
    const restricted = await registered(emulator, "public-only", { publicAgentsOnly: true });
    const request = await authorizationRequest(restricted);
    const page = await new TestBrowser().navigate(request.url, {
      email: "marie.lefevre@yopmail.com",
      stopAt: toRp,
    });
    expect([page.status, errorCode(page.body)]).toEqual([400, "Y500015"]);
    const agent = await authorizationRequest(restricted);
    const ok = await new TestBrowser().navigate(agent.url, { email: "test@fia1.fr", stopAt: toRp });
    expect(ok.location?.searchParams.has("code")).toBe(true);
  });

  it("shows Y500025 to an e-mail outside the client's domains", async () => {
    const uniforces = await registered(emulator, "uniforces", { allowedEmailDomains: ["fia2.fr"] });
    const request = await authorizationRequest(uniforces);
    const page = await new TestBrowser().navigate(request.url, {
      email: "test@fia1.fr",
      stopAt: toRp,
    });
    expect([page.status, errorCode(page.body)]).toEqual([400, "Y500025"]);
  });

  it("names oidc-provider's errors as ProConnect's server shows them, the documented codes in strict mode", async () => {
    const lax = await startProConnectEmulator({ clients: [testClient()] });
    try {
      const laxConfig = await discover(lax);
      const { url } = await authorizationRequest(laxConfig, { redirect_uri: `${REDIRECT_URI}/` });
      const page = await new TestBrowser().navigate(url, { stopAt: toRp });
      expect(errorCode(page.body)).toBe("oidc-provider-rendered-error:invalid_redirect_uri");
      url.searchParams.set("client_id", "not-registered");
      const unknown = await new TestBrowser().navigate(url, { stopAt: toRp });
      expect(errorCode(unknown.body)).toBe("oidc-provider-rendered-error:invalid_client");
    } finally {
      await lax.close();
    }
    const { url } = await authorizationRequest(config, { redirect_uri: `${REDIRECT_URI}/` });
    const strictPage = await new TestBrowser().navigate(url, { stopAt: toRp });
    expect(errorCode(strictPage.body)).toBe("Y030031");
  });

  it("answers a deactivated client (active: false) as an unknown one, at /authorize and /token", async () => {
    const lax = await startProConnectEmulator({ clients: [testClient()] });
    try {
      const laxConfig = await discover(lax);
      const before = await authorizationRequest(laxConfig);
      const signedIn = await new TestBrowser().navigate(before.url, {
        email: "test@fia1.fr",
        stopAt: toRp,
      });
      // service-provider-adapter-mongo loads active service providers only.
      lax.registerClient(testClient({ active: false }));
      await expect(exchange(laxConfig, signedIn.location!, before)).rejects.toMatchObject({
        error: "invalid_client",
      });
      const { url } = await authorizationRequest(laxConfig);
      const page = await new TestBrowser().navigate(url, { stopAt: toRp });
      expect([page.status, errorCode(page.body)]).toEqual([
        400,
        "oidc-provider-rendered-error:invalid_client",
      ]);
      expect(page.body).toContain('data-error-message="client is invalid"');
    } finally {
      await lax.close();
    }
  });

  it("shows a login page without its interaction cookie as the server's session-not-found, Y030110 in strict mode", async () => {
    const lax = await startProConnectEmulator({ clients: [testClient()] });
    try {
      for (const [target, code] of [
        [lax, "oidc-provider-error:session-not-found"],
        [emulator, "Y030110"],
      ] as const) {
        const { url } = await authorizationRequest(await discover(target));
        const page = await new TestBrowser().navigate(url);
        const stranger = await new TestBrowser().navigate(page.url);
        expect([stranger.status, errorCode(stranger.body)]).toEqual([400, code]);
        expect(stranger.body).toContain(
          'data-error-message="interaction session id cookie not found"',
        );
      }
    } finally {
      await lax.close();
    }
  });
});
