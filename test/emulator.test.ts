import { generateKeyPair, exportJWK, jwtVerify, decodeProtectedHeader } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACR_VALUES,
  CERTIFICATION_DIRIGEANT,
  startProConnectEmulator,
  TestBrowser,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import {
  authorizationRequest,
  callbackFor,
  rejection,
  signIn,
  CLIENT_SECRET,
  discover,
  exchange,
  POST_LOGOUT_REDIRECT_URI,
  random,
  REDIRECT_URI,
  startTestEmulator,
  testClient,
  toRp,
  errorCode,
} from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
let config: client.Configuration;

beforeAll(async () => {
  emulator = await startTestEmulator();
  config = await discover(emulator, { id_token_signed_response_alg: "ES256" });
  client.enableNonRepudiationChecks(config);
});
afterAll(() => emulator.close());

describe("/.well-known/openid-configuration", () => {
  it("publishes ProConnect's endpoints under /api/v2", () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(emulator.issuer);
    expect(emulator.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/);
    for (const [key, path] of [
      ["authorization_endpoint", "/authorize"],
      ["token_endpoint", "/token"],
      ["userinfo_endpoint", "/userinfo"],
      ["end_session_endpoint", "/session/end"],
      ["jwks_uri", "/jwks"],
    ] as const) {
      expect(metadata[key]).toBe(`${emulator.issuer}${path}`);
    }
  });

  it("lists ProConnect's scopes, claims and acr values", () => {
    const metadata = config.serverMetadata();
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining([
        "openid",
        "given_name",
        "usual_name",
        "email",
        "uid",
        "siret",
        "siren",
        "organizational_unit",
        "belonging_population",
        "phone",
        "chorusdt",
        "idp_id",
        "idp_acr",
        "custom",
      ]),
    );
    expect(metadata.scopes_supported).not.toContain("offline_access");
    expect(metadata.claims_supported).toEqual(
      expect.arrayContaining([
        "sub",
        "idp_id",
        "idp_acr",
        "chorusdt:matricule",
        "chorusdt:societe",
        "phone_number",
        "custom",
        "acr",
        "amr",
      ]),
    );
    expect(metadata.acr_values_supported).toEqual([...ACR_VALUES]);
    expect(metadata.acr_values_supported).toEqual(
      expect.arrayContaining([
        "eidas0",
        "eidas1",
        "eidas2",
        "eidas3",
        "eidas1-mfa",
        CERTIFICATION_DIRIGEANT,
      ]),
    );
    expect(metadata.claims_parameter_supported).toBe(true);
  });

  it("offers ES256, RS256 and HS256 for the id_token and the userinfo, and PKCE S256", () => {
    const metadata = config.serverMetadata();
    expect([...(metadata.id_token_signing_alg_values_supported ?? [])].sort()).toEqual([
      "ES256",
      "HS256",
      "RS256",
    ]);
    expect([...(metadata.userinfo_signing_alg_values_supported ?? [])].sort()).toEqual([
      "ES256",
      "HS256",
      "RS256",
    ]);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual([
      "client_secret_post",
      "private_key_jwt",
    ]);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.response_types_supported).toEqual(["code"]);
  });

  it("counts requests per route, interaction ids folded into :id, so its counts stay bounded", async () => {
    await signIn(config, "test@fia1.fr");
    const routes = Object.keys(emulator.requestCounts()).length;
    for (let i = 0; i < 3; i++) await signIn(config, "test@fia1.fr");
    expect(Object.keys(emulator.requestCounts())).toHaveLength(routes);
    expect(emulator.requestCounts()["/api/v2/interaction/:id"]).toBeGreaterThanOrEqual(4);
  });

  it("answers unknown routes under /api/v2 with ProConnect's Y000404 page", async () => {
    const response = await fetch(`${emulator.issuer}/nowhere`);
    expect(response.status).toBe(404);
    expect(errorCode(await response.text())).toBe("Y000404");
  });
});

describe("/authorize → /token → /userinfo", () => {
  for (const alg of ["ES256", "RS256", "HS256"] as const) {
    it(`completes a code flow with an id_token and a userinfo signed with ${alg}`, async () => {
      const clientId = `app-${alg}`;
      emulator.registerClient(
        testClient({ clientId, idTokenSignedResponseAlg: alg, userinfoSignedResponseAlg: alg }),
      );
      const algConfig = await client.discovery(
        new URL(emulator.issuer),
        clientId,
        { id_token_signed_response_alg: alg, userinfo_signed_response_alg: alg },
        client.ClientSecretPost(CLIENT_SECRET),
        { execute: [client.allowInsecureRequests] },
      );
      // openid-client verifies the signatures of asymmetric algorithms; HS256 is checked below with jose.
      if (alg !== "HS256") client.enableNonRepudiationChecks(algConfig);
      const request = await authorizationRequest(algConfig);
      const page = await new TestBrowser().navigate(request.url, {
        email: "test@fia1.fr",
        stopAt: toRp,
      });
      expect(page.location?.searchParams.get("iss")).toBe(emulator.issuer);

      const tokens = await exchange(algConfig, page.location!, request);
      expect(decodeProtectedHeader(tokens.id_token!).alg).toBe(alg);
      const idToken = tokens.claims()!;
      expect(idToken).toMatchObject({ iss: emulator.issuer, aud: clientId, nonce: request.nonce });
      // acr only when asked for (oidc-provider-config.service.ts: openid releases sub alone).
      expect(idToken).not.toHaveProperty("acr");

      // The raw answer first: ProConnect's userinfo is a JWS, not JSON.
      const raw = await fetch(algConfig.serverMetadata().userinfo_endpoint!, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(raw.headers.get("content-type")).toMatch(/^application\/jwt/);
      const jws = await raw.text();
      expect(decodeProtectedHeader(jws).alg).toBe(alg);
      if (alg === "HS256") {
        const { payload } = await jwtVerify(jws, new TextEncoder().encode(CLIENT_SECRET), {
          issuer: emulator.issuer,
          audience: clientId,
        });
        expect(payload.sub).toBe(idToken.sub);
        await expect(jwtVerify(jws, new TextEncoder().encode("x".repeat(48)))).rejects.toThrow(
          /signature/,
        );
      }

      const userinfo = await client.fetchUserInfo(algConfig, tokens.access_token, idToken.sub);
      expect(userinfo).toMatchObject({
        sub: idToken.sub,
        email: "test@fia1.fr",
        given_name: "Angela Claire Louise",
        usual_name: "DUBOIS",
        uid: "1",
        siret: "13002526500013",
        idp_id: "fia1v2",
        idp_acr: "eidas1",
      });
      // Scopes not asked for are not released.
      expect(userinfo).not.toHaveProperty("phone_number");
    });
  }

  it("keeps authentication claims in the id_token and identity claims in the userinfo", async () => {
    const { tokens } = await signIn(config, "test@fia1.fr");
    const idToken = tokens.claims()!;
    expect(idToken).toHaveProperty("auth_time");
    expect(idToken).not.toHaveProperty("email");
    expect(idToken).not.toHaveProperty("siret");
    expect(idToken).not.toHaveProperty("amr");
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
    expect(userinfo).not.toHaveProperty("acr");
  });

  it("issues a refresh token always, and access tokens of an hour", async () => {
    // oidc-provider-config.service.ts: issueRefreshToken: () => true; AccessToken keeps
    // oidc-provider's default TTL (3600 s).
    const { tokens } = await signIn(config, "test@fia1.fr");
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.expires_in).toBe(3600);
  });

  it("refuses a code exchanged with the wrong PKCE verifier", async () => {
    const { request, callback } = await callbackFor(config, "test@fia1.fr");
    const error = await rejection(
      exchange(config, callback, { ...request, verifier: client.randomPKCECodeVerifier() }),
    );
    expect(error).toBeInstanceOf(client.ResponseBodyError);
    expect((error as client.ResponseBodyError).error).toBe("invalid_grant");
  });

  it("accepts a request without PKCE (supported, not required)", async () => {
    const state = random();
    const nonce = random();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid siret idp_id",
      state,
      nonce,
    });
    const page = await new TestBrowser().navigate(url, { email: "test@fia1.fr", stopAt: toRp });
    const tokens = await client.authorizationCodeGrant(config, page.location!, {
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.sub).toBe(emulator.identities[0]?.sub);
  });

  it("refuses a code used twice", async () => {
    const { request, callback } = await callbackFor(config, "test@fia1.fr");
    await exchange(config, callback, request);
    const error = await rejection(exchange(config, callback, request));
    expect((error as client.ResponseBodyError).error).toBe("invalid_grant");
  });

  it("authenticates a private_key_jwt client", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    emulator.registerClient(
      testClient({
        clientId: "app-pkjwt",
        tokenEndpointAuthMethod: "private_key_jwt",
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kty: "EC", alg: "ES256", use: "sig" }] },
      }),
    );
    const pkConfig = await client.discovery(
      new URL(emulator.issuer),
      "app-pkjwt",
      {},
      client.PrivateKeyJwt(privateKey),
      { execute: [client.allowInsecureRequests] },
    );
    const { tokens } = await signIn(pkConfig, "test@fia1.fr");
    expect(tokens.claims()?.aud).toBe("app-pkjwt");

    // The same client with a secret instead of its key is refused.
    const secretConfig = await client.discovery(
      new URL(emulator.issuer),
      "app-pkjwt",
      {},
      client.ClientSecretPost(CLIENT_SECRET),
      { execute: [client.allowInsecureRequests] },
    );
    const error = await rejection(signIn(secretConfig, "test@fia1.fr"));
    expect((error as client.ResponseBodyError).error).toBe("invalid_client");
  });
});

describe("/authorize: claims and acr", () => {
  it("puts amr in the id_token when the claims parameter asks for it", async () => {
    const { tokens } = await signIn(config, "jean.martin@fia2.fr", {
      claims: JSON.stringify({ id_token: { amr: { essential: true } } }),
    });
    expect(tokens.claims()?.amr).toEqual(["pwd", "totp", "mfa"]);
  });

  it("grants an essential certification-dirigeant acr to a certified company head", async () => {
    const { tokens } = await signIn(config, "marie.lefevre@yopmail.com", {
      claims: JSON.stringify({
        id_token: { acr: { essential: true, value: CERTIFICATION_DIRIGEANT } },
      }),
    });
    expect(tokens.claims()?.acr).toBe(CERTIFICATION_DIRIGEANT);
  });

  it("picks the first of several essential acr values the identity can reach", async () => {
    const { tokens } = await signIn(config, "jean.martin@fia2.fr", {
      claims: JSON.stringify({
        id_token: { acr: { essential: true, values: ["eidas2", "eidas1-mfa"] } },
      }),
    });
    expect(tokens.claims()?.acr).toBe("eidas1-mfa");
  });

  it("answers access_denied to an essential acr removed in June 2026", async () => {
    // config/oidc-provider.ts: supportedAcrValues lost self-asserted-2fa; oidc-acr.service.ts filters
    // it out, and oidc-provider finds the acr obtained outside the requested ones.
    const { callback } = await callbackFor(config, "jean.martin@fia2.fr", {
      claims: JSON.stringify({
        id_token: {
          acr: {
            essential: true,
            values: ["https://proconnect.gouv.fr/assurance/self-asserted-2fa"],
          },
        },
      }),
    });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("error_description")).toBe(
      "none of the requested ACRs could be obtained",
    );
  });

  it("answers access_denied when the identity cannot satisfy the essential acr", async () => {
    const { request, callback } = await callbackFor(config, "test@fia1.fr", {
      claims: JSON.stringify({
        id_token: { acr: { essential: true, value: CERTIFICATION_DIRIGEANT } },
      }),
    });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("state")).toBe(request.state);
    expect(callback.searchParams.has("code")).toBe(false);
  });

  it("uses acr_values as a preference, not a requirement", async () => {
    const reachable = await authorizationRequest(config, { acr_values: "eidas1-mfa eidas1" });
    const first = await new TestBrowser().navigate(reachable.url, {
      email: "jean.martin@fia2.fr",
      stopAt: toRp,
    });
    expect((await exchange(config, first.location!, reachable)).claims()?.acr).toBe("eidas1-mfa");

    const unreachable = await authorizationRequest(config, { acr_values: "eidas3" });
    const second = await new TestBrowser().navigate(unreachable.url, {
      email: "test@fia1.fr",
      stopAt: toRp,
    });
    expect((await exchange(config, second.location!, unreachable)).claims()?.acr).toBe("eidas1");
  });
});

describe("/authorize: login page, hints, prompt and SSO", () => {
  it("shows an accessible login page listing the test identities", async () => {
    const { url } = await authorizationRequest(config);
    const page = await new TestBrowser().navigate(url);
    expect(page.status).toBe(200);
    expect(page.url.pathname).toMatch(/^\/api\/v2\/interaction\//);
    expect(page.body).toContain('<html lang="fr">');
    expect(page.body).toMatch(
      /<label for="email">[^<]+<\/label>\s*<input id="email" name="email" type="email"/,
    );
    expect(page.body).toContain('<button type="submit">Se connecter</button>');
    for (const identity of emulator.identities)
      expect(page.body).toContain(`value="${identity.sub}"`);
  });

  it("pre-fills the e-mail field from a login_hint that no test identity has", async () => {
    const { url } = await authorizationRequest(config, { login_hint: "inconnu@example.fr" });
    const page = await new TestBrowser().navigate(url);
    expect(page.body).toMatch(/<input id="email"[^>]* value="inconnu@example\.fr"/);
  });

  it("says so, with a 400, when no test identity has the e-mail typed", async () => {
    const { url } = await authorizationRequest(config);
    const page = await new TestBrowser().navigate(url, { email: "nobody@example.fr" });
    expect(page.status).toBe(400);
    expect(page.body).toContain('role="alert"');
    expect(page.body).toContain('aria-invalid="true"');
  });

  it("reads a login form up to ProConnect's 100 KB, and answers a larger one with its Y000500 page", async () => {
    const { url } = await authorizationRequest(config);
    const browser = new TestBrowser();
    const action = /<form method="post" action="([^"]+\/login)"/.exec(
      (await browser.navigate(url)).body,
    )![1]!;
    const post = (body: string) =>
      browser.fetch(new URL(action, emulator.url), {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    const read = await post(`email=nobody%40example.fr&filler=${"a".repeat(90_000)}`);
    expect([read.status, await read.text()]).toEqual([
      400,
      expect.stringContaining('role="alert"'),
    ]);
    // main.ts's urlencoded() refuses it, and Nest 10 hands that to ProConnect's catch-all filter: a 500.
    const huge = await post(`email=x&filler=${"a".repeat(26 * 1024 * 1024)}`);
    const page = await huge.text();
    expect([huge.status, errorCode(page)]).toEqual([500, "Y000500"]);
    expect(page).toContain('data-error-message="request entity too large"');
  });

  it("signs in an identity without an e-mail through the list", async () => {
    const identity = emulator.identities.find((candidate) => candidate.email === undefined)!;
    const request = await authorizationRequest(config);
    const page = await new TestBrowser().navigate(request.url, { sub: identity.sub, stopAt: toRp });
    const tokens = await exchange(config, page.location!, request);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, identity.sub);
    expect(userinfo.email).toBeUndefined();
    expect(userinfo.siret).toBe(identity.siret);
  });

  it("skips the login page when idp_hint names an identity provider", async () => {
    const request = await authorizationRequest(config, { idp_hint: "fia2v2" });
    // No identity given: a login page would end the navigation instead of reaching the app.
    const page = await new TestBrowser().navigate(request.url, { stopAt: toRp });
    const tokens = await exchange(config, page.location!, request);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.idp_id).toBe("fia2v2");
    expect(userinfo.email).toBe("jean.martin@fia2.fr");
  });

  it("answers login_required to prompt=none without a ProConnect session", async () => {
    const request = await authorizationRequest(config, { prompt: "none" });
    const page = await new TestBrowser().navigate(request.url, { stopAt: toRp });
    expect(page.location?.searchParams.get("error")).toBe("login_required");
    expect(page.location?.searchParams.get("state")).toBe(request.state);
  });

  it("reuses the ProConnect session for a second login from the same browser (SSO)", async () => {
    const browser = new TestBrowser();
    await callbackFor(config, "jean.martin@fia2.fr", {}, browser);

    const second = await authorizationRequest(config);
    const page = await browser.navigate(second.url, { stopAt: toRp });
    const tokens = await exchange(config, page.location!, second);
    expect(tokens.claims()?.sub).toBe(emulator.identities[1]?.sub);

    const silent = await authorizationRequest(config, { prompt: "none" });
    const silentPage = await browser.navigate(silent.url, { stopAt: toRp });
    expect(silentPage.location?.searchParams.has("code")).toBe(true);
  });

  it("reuses the ProConnect session for prompt=login too", async () => {
    // core-fca-middleware.service.ts forces prompt=login on every request; interaction.controller.ts
    // then reuses its own session whatever the prompt.
    const browser = new TestBrowser();
    await callbackFor(config, "test@fia1.fr", {}, browser);
    const again = await authorizationRequest(config, { prompt: "login" });
    const page = await browser.navigate(again.url, { stopAt: toRp });
    const tokens = await exchange(config, page.location!, again);
    expect(tokens.claims()?.sub).toBe(emulator.identities[0]?.sub);
  });

  it("needs no consent click with prompt=consent", async () => {
    const browser = new TestBrowser();
    await callbackFor(config, "test@fia1.fr", {}, browser);
    const request = await authorizationRequest(config, { prompt: "consent" });
    const page = await browser.navigate(request.url, { stopAt: toRp });
    expect(page.location?.searchParams.has("code")).toBe(true);
  });

  it("refuses a redirect_uri that is not registered, even by a trailing slash (Y030031)", async () => {
    for (const redirectUri of [`${REDIRECT_URI}/`, "http://127.0.0.1:9/elsewhere"]) {
      const { url } = await authorizationRequest(config, { redirect_uri: redirectUri });
      const page = await new TestBrowser().navigate(url, { stopAt: toRp });
      expect(page.status).toBe(400);
      expect(errorCode(page.body)).toBe("Y030031");
      expect(page.location).toBeUndefined();
    }
  });

  it("answers a login page reached without its interaction cookie with Y030110", async () => {
    const { url } = await authorizationRequest(config);
    const page = await new TestBrowser().navigate(url);
    const stranger = new TestBrowser(); // another browser: no interaction cookie
    const direct = await stranger.navigate(page.url);
    expect(direct.status).toBe(400);
    expect(errorCode(direct.body)).toBe("Y030110");
    const posted = await stranger.navigate(new URL(`${page.url.pathname}/login`, page.url), {
      method: "POST",
      form: { email: "test@fia1.fr" },
    });
    expect([posted.status, errorCode(posted.body)]).toEqual([400, "Y030110"]);
  });

  it("answers an unknown client with a 400 page, not a redirect", async () => {
    const { url } = await authorizationRequest(config);
    url.searchParams.set("client_id", "not-registered");
    const page = await new TestBrowser().navigate(url, { stopAt: toRp });
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
  });
});

describe("/session/end", () => {
  async function signedIn() {
    const browser = new TestBrowser();
    const { tokens } = await signIn(config, "test@fia1.fr", {}, browser);
    return { browser, idToken: tokens.id_token! };
  }

  /** Follows `endSession` in `browser`: back to the post-logout URI with `state`, and signed out of ProConnect. */
  async function expectLoggedOut(browser: TestBrowser, endSession: URL, state: string) {
    const page = await browser.navigate(endSession, { stopAt: toRp });
    expect(page.location?.origin + page.location!.pathname).toBe(POST_LOGOUT_REDIRECT_URI);
    expect(page.location?.searchParams.get("state")).toBe(state);
    // The ProConnect session is gone: a silent login now fails.
    const silent = await authorizationRequest(config, { prompt: "none" });
    const after = await browser.navigate(silent.url, { stopAt: toRp });
    expect(after.location?.searchParams.get("error")).toBe("login_required");
  }

  it("ends the session and redirects back with the same state, without a confirmation click", async () => {
    const { browser, idToken } = await signedIn();
    const state = random();
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      state,
    });
    await expectLoggedOut(browser, endSession, state);
  });

  it("auto-submits the logout page in a browser (the form is posted by script)", async () => {
    const { browser, idToken } = await signedIn();
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      state: random(),
    });
    const response = await browser.fetch(endSession);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toMatch(/<form[^>]*id="op\.logoutForm"/);
    expect(html).toContain('<script>document.getElementById("op.logoutForm").submit();</script>');
  });

  it("refuses a post_logout_redirect_uri that is not registered (Y030111)", async () => {
    const { browser, idToken } = await signedIn();
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: `${POST_LOGOUT_REDIRECT_URI}/`,
      state: random(),
    });
    const page = await browser.navigate(endSession, { stopAt: toRp });
    expect(page.status).toBe(400);
    expect(errorCode(page.body)).toBe("Y030111");
  });

  it("logs out without id_token_hint, the client named by client_id", async () => {
    // logout-params.dto.ts: id_token_hint optional, client_id accepted.
    const { browser } = await signedIn();
    const state = random();
    const endSession = new URL(config.serverMetadata().end_session_endpoint!);
    endSession.search = new URLSearchParams({
      client_id: "test-app",
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      state,
    }).toString();
    await expectLoggedOut(browser, endSession, state);
  });
});

describe("tamper hooks", () => {
  it("lets a test change the claims the emulator signs, then go back to faithful answers", async () => {
    const tampered = await startTestEmulator({
      tamper: {
        claims: (claims, { use }) =>
          use === "userinfo" ? { ...claims, siret: "not-a-siret" } : claims,
      },
    });
    try {
      const tamperedConfig = await discover(tampered);
      const request = await authorizationRequest(tamperedConfig);
      const browser = new TestBrowser();
      const page = await browser.navigate(request.url, { email: "test@fia1.fr", stopAt: toRp });
      const tokens = await exchange(tamperedConfig, page.location!, request);
      const sub = tokens.claims()!.sub;
      expect((await client.fetchUserInfo(tamperedConfig, tokens.access_token, sub)).siret).toBe(
        "not-a-siret",
      );

      tampered.setTamper(undefined);
      expect((await client.fetchUserInfo(tamperedConfig, tokens.access_token, sub)).siret).toBe(
        "13002526500013",
      );
    } finally {
      await tampered.close();
    }
  });
});

describe("startProConnectEmulator()", () => {
  it("starts several emulators on random ports in one process, each with its own keys", async () => {
    const emulators = await Promise.all([
      startTestEmulator(),
      startTestEmulator(),
      startTestEmulator(),
    ]);
    try {
      expect(new Set(emulators.map((e) => e.url)).size).toBe(3);
      const kids = await Promise.all(
        emulators.map(async (e) => {
          const { keys } = (await (await fetch(`${e.issuer}/jwks`)).json()) as {
            keys: { kid: string; d?: string }[];
          };
          expect(keys.every((key) => key.d === undefined)).toBe(true);
          return keys.map((key) => key.kid);
        }),
      );
      expect(new Set(kids.flat()).size).toBe(6);
    } finally {
      await Promise.all(emulators.map((e) => e.close()));
    }
  });

  it("throws at start-up naming every wrong option", async () => {
    const error = await rejection(
      startProConnectEmulator({
        port: -1,
        clients: [
          {
            clientId: "x",
            clientSecret: "short",
            redirectUris: ["https://*.example.fr/callback"],
            postLogoutRedirectUris: ["not a url"],
          },
        ],
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    const message = (error as Error).message;
    expect(message).toContain("port");
    expect(message).toContain("clients[0].clientSecret");
    expect(message).toMatch(/wildcard[^\n]*\n\s*→ at clients\[0\]\.redirectUris\[0\]/);
    expect(message).toContain("clients[0].postLogoutRedirectUris[0]");
  });

  it("refuses an unknown option and a private_key_jwt client without keys", async () => {
    const unknown = await rejection(startProConnectEmulator({ strict: true, typo: 1 } as never));
    expect((unknown as Error).message).toContain("typo");
    expect(() =>
      emulator.registerClient(testClient({ tokenEndpointAuthMethod: "private_key_jwt" })),
    ).toThrow(/private_key_jwt[^\n]*\n\s*→ at jwks/);
  });
});
