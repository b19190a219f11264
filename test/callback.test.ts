import { decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import {
  AUTHORIZATION_ERRORS,
  CERTIFICATION_DIRIGEANT,
  PROCONNECT_ERROR_CODES,
  ProConnectError,
  type ProConnectUser,
} from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import {
  errorOf,
  loginCookiesOf,
  onlySession,
  sessionIdOf,
  storedSessions,
  type TestApp,
  useTestApp,
} from "./helpers/app.js";
import { CLIENT_SECRET, toEmulator } from "./helpers/emulator.js";
import {
  expectNobodySignedIn,
  expectRefused,
  forgeSignature,
  signIn,
  withApp,
} from "./helpers/refusals.js";

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started) => ({ emulator, app } = started));

/** A browser with a login under way, stopped before ProConnect, and that login's state. */
async function pendingLogin() {
  const browser = new TestBrowser();
  const stopped = await browser.navigate(`${app.url}/login`, { stopAt: toEmulator(emulator) });
  return { browser, state: stopped.location!.searchParams.get("state")! };
}

describe("GET /callback: successful logins", () => {
  it("signs test@fia1.fr in with every claim normalized", async () => {
    const { page, user } = await signIn(app, "test@fia1.fr");
    expect(page.url.pathname).toBe("/me");
    expect(user).toEqual({
      sub: emulator.identities[0]!.sub,
      idp_id: "fia1v2",
      siret: "13002526500013",
      siren: "130025265",
      email: "test@fia1.fr",
      given_name: "Angela Claire Louise",
      usual_name: "DUBOIS",
      uid: "1",
    });
    // No acr: ProConnect puts it in the id_token only when the login asks for one.
    expect(user).not.toHaveProperty("acr");
  });

  it("signs in each valid fixture identity", async () => {
    const expected: Record<string, Partial<ProConnectUser>> = {
      "jean.martin@fia2.fr": { idp_id: "fia2v2", siret: "21340172400017", siren: "213401724" },
      "marie.lefevre@yopmail.com": {
        idp_id: "proconnect-identite",
        siret: "88030349100018",
      },
      "siret.espaces@fia1.fr": { siret: "13002526500013", siren: "130025265" },
      "facteur@fia1.fr": { siret: "35600000000047", siren: "356000000" },
    };
    for (const [email, fields] of Object.entries(expected)) {
      const { user } = await signIn(app, email);
      expect(user).toMatchObject({ email, ...fields });
    }
  });

  it("keeps every optional claim the app asks for, and drops invalid ones with a warning", async () => {
    await withApp(
      emulator,
      {
        options: {
          scopes: [
            "email",
            "phone",
            "chorusdt",
            "organizational_unit",
            "belonging_population",
            "idp_acr",
            "siren",
          ],
        },
      },
      async (rich) => {
        const { user } = await signIn(rich, "test@fia1.fr");
        expect(user).toMatchObject({
          organizational_unit: "DINUM / Opérateur ProConnect",
          belonging_population: "agent",
          phone_number: "+33 1 23 45 67 89",
          chorusdt: { matricule: "USER_AGC", societe: "CHT" },
          idp_acr: "eidas1",
        });
        expect(user).not.toHaveProperty("given_name"); // its scope was not asked for

        emulator.setTamper({
          claims: (claims, { use }) =>
            use === "userinfo"
              ? { ...claims, phone_number: "not a phone", siren: "999999999" }
              : claims,
        });
        const { user: tampered } = await signIn(rich, "test@fia1.fr");
        expect(tampered).not.toHaveProperty("phone_number");
        expect(tampered?.siren).toBe("130025265");
        expect(rich.warnings.map((warning) => warning.message).join("\n")).toMatch(
          /phone_number[\s\S]*siren/,
        );
        expect(JSON.stringify(rich.warnings)).not.toContain("not a phone"); // values stay out of logs
      },
    );
  });

  for (const [idToken, userinfo] of [
    ["ES256", "ES256"],
    ["RS256", "RS256"],
    ["HS256", "HS256"],
    ["ES256", "HS256"],
    ["HS256", "RS256"],
  ] as const) {
    it(`verifies an id_token signed with ${idToken} and a userinfo signed with ${userinfo}`, async () => {
      await withApp(
        emulator,
        { options: { idTokenSignedResponseAlg: idToken, userinfoSignedResponseAlg: userinfo } },
        async (signed) => {
          const seen: string[] = [];
          emulator.setTamper({
            idToken: (jws) => (seen.push(decodeProtectedHeader(jws).alg!), jws),
            userinfo: (jws) => (seen.push(decodeProtectedHeader(jws).alg!), jws),
          });
          const { user } = await signIn(signed, "test@fia1.fr");
          expect(user?.siret).toBe("13002526500013");
          expect(seen).toEqual([idToken, userinfo]);
        },
      );
    });
  }

  it("regenerates the session id and stores only the user and the id_token", async () => {
    await withApp(emulator, {}, async (fresh) => {
      const browser = new TestBrowser();
      await browser.navigate(`${fresh.url}/login`, { email: "test@fia1.fr" });
      // Signed in; a second login (a step-up, say) must not keep the session's id.
      const stopped = await browser.navigate(`${fresh.url}/login?returnTo=/me`, {
        stopAt: toEmulator(emulator),
      });
      const [before] = await onlySession(fresh.store);
      expect(sessionIdOf(browser, fresh)).toBe(before);
      await browser.navigate(stopped.location!, { email: "test@fia1.fr" });
      const [after, data] = await onlySession(fresh.store);
      expect(sessionIdOf(browser, fresh)).toBe(after);
      expect(after).not.toBe(before);
      expect(Object.keys(data.proconnect as object).sort()).toEqual(["idToken", "user"]);
      expect(JSON.stringify(data)).not.toMatch(/access_token|accessToken|refresh/);
    });
  });

  it("stores the tokens only when storeTokens asks for them", async () => {
    await withApp(emulator, { options: { storeTokens: true } }, async (keeper) => {
      await signIn(keeper, "test@fia1.fr");
      const [, data] = await onlySession(keeper.store);
      expect((data.proconnect as { tokens: object }).tokens).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresAt: expect.any(Number),
      });
    });
  });

  it("lets two tabs of one browser log in at once", async () => {
    const browser = new TestBrowser();
    const first = await browser.navigate(`${app.url}/login?returnTo=/first`, {
      stopAt: toEmulator(emulator),
    });
    const second = await browser.navigate(`${app.url}/login?returnTo=/second`, {
      stopAt: toEmulator(emulator),
    });
    const secondDone = await browser.navigate(second.location!, { email: "jean.martin@fia2.fr" });
    expect(secondDone.url.pathname).toBe("/second");
    // The first tab comes back after the session was regenerated by the second: still accepted.
    const firstDone = await browser.navigate(first.location!, { email: "jean.martin@fia2.fr" });
    expect(firstDone.url.pathname).toBe("/first");
    const me = await browser.navigate(`${app.url}/me`);
    expect(JSON.parse(me.body)).toMatchObject({ email: "jean.martin@fia2.fr" });
  });

  it("comes back anonymous from a silent login without a ProConnect session", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(`${app.url}/login?prompt=none&returnTo=/`);
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toEqual({ page: "home", user: null });
  });

  it("signs in silently with a ProConnect session", async () => {
    const { browser } = await signIn(app, "test@fia1.fr");
    await browser.navigate(`${app.url}/logout`, { method: "POST", stopAt: toEmulator(emulator) }); // app only
    const page = await browser.navigate(`${app.url}/login?prompt=none&returnTo=/me`);
    expect(JSON.parse(page.body)).toMatchObject({ email: "test@fia1.fr" });
  });

  it("lets onLogin enrich the user before the session is written", async () => {
    await withApp(
      emulator,
      { options: { onLogin: async (user) => ({ ...user, accountId: `account-of-${user.uid}` }) } },
      async (hooked) => {
        const { user } = await signIn(hooked, "test@fia1.fr");
        expect(user).toMatchObject({ accountId: "account-of-1" });
      },
    );
  });

  it("accepts an identity provider listed in allowedIdps", async () => {
    await withApp(emulator, { options: { allowedIdps: ["fia2v2"] } }, async (restricted) => {
      const { user } = await signIn(restricted, "jean.martin@fia2.fr");
      expect(user?.idp_id).toBe("fia2v2");
    });
  });
});

describe("GET /callback: refusals leave nobody signed in", () => {
  it("refuses an invalid SIRET (invalid_user_claims)", async () => {
    const error = await expectRefused(app, "siret.invalide@fia1.fr", "invalid_user_claims");
    expect(error.message).toContain("siret must be 14 digits passing the Luhn check");
    expect(error.message).not.toContain("12345678901234");
  });

  it("refuses an identity without e-mail when the email scope is asked (invalid_user_claims)", async () => {
    const identity = emulator.identities.find((candidate) => candidate.email === undefined)!;
    const browser = new TestBrowser();
    const page = await browser.navigate(`${app.url}/login?returnTo=/me`, { sub: identity.sub });
    expect([page.status, errorOf(page).code]).toEqual([502, "invalid_user_claims"]);
    expect(errorOf(page).message).toContain("email is missing");
    await expectNobodySignedIn(app, browser);
  });

  it("refuses an identity provider not in allowedIdps (idp_not_allowed)", async () => {
    await withApp(emulator, { options: { allowedIdps: ["fia2v2"] } }, async (restricted) => {
      await expectRefused(restricted, "test@fia1.fr", "idp_not_allowed", 403);
    });
  });

  it("refuses what onLogin refuses (login_rejected), or passes its own ProConnectError", async () => {
    await withApp(
      emulator,
      {
        options: {
          onLogin: (user) => {
            if (user.idp_id === "fia2v2")
              throw new ProConnectError("idp_not_allowed", "not this one");
            throw new Error("no account for this sub");
          },
        },
      },
      async (hooked) => {
        await expectRefused(hooked, "test@fia1.fr", "login_rejected", 403);
        await expectRefused(hooked, "jean.martin@fia2.fr", "idp_not_allowed", 403);
      },
    );
  });

  it("refuses a forged state, a missing one and a repeated one (invalid_state, invalid_callback)", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { stopAt: toEmulator(emulator) });
    for (const [query, code] of [
      ["?state=forged-state-forged-state-forged-state&code=abc", "invalid_state"],
      ["?code=abc", "invalid_state"],
      ["?state=a&state=b&code=abc", "invalid_callback"],
    ] as const) {
      const page = await browser.navigate(`${app.url}/callback${query}`);
      expect([page.status, errorOf(page).code]).toEqual([400, code]);
    }
    await expectNobodySignedIn(app, browser);

    // A forged callback from a browser without a session does not even create one.
    const sessions = Object.keys(await storedSessions(app.store)).length;
    const stranger = new TestBrowser();
    const forged = await stranger.navigate(`${app.url}/callback?state=forged&code=abc`);
    expect([forged.status, errorOf(forged).code]).toEqual([400, "invalid_state"]);
    expect(stranger.cookieHeader(app.url)).toBe("");
    expect(Object.keys(await storedSessions(app.store))).toHaveLength(sessions);
  });

  it("refuses a replayed callback (invalid_state), in the same browser or another", async () => {
    const browser = new TestBrowser();
    const toCallback = (url: URL) => url.pathname === "/callback";
    const stopped = await browser.navigate(`${app.url}/login?returnTo=/me`, {
      email: "test@fia1.fr",
      stopAt: toCallback,
    });
    const callback = stopped.location!;
    const first = await browser.navigate(callback);
    expect(first.url.pathname).toBe("/me");
    const replay = await browser.navigate(callback);
    expect([replay.status, errorOf(replay).code]).toEqual([400, "invalid_state"]);
    const elsewhere = new TestBrowser();
    const stolen = await elsewhere.navigate(callback);
    expect([stolen.status, errorOf(stolen).code]).toEqual([400, "invalid_state"]);
    await expectNobodySignedIn(app, elsewhere);
  });

  it("refuses an altered attempt cookie (invalid_state) before any token request, and deletes it", async () => {
    const browser = new TestBrowser();
    const callback = (
      await browser.navigate(`${app.url}/login?returnTo=/me`, {
        email: "test@fia1.fr",
        stopAt: (url) => url.pathname === "/callback",
      })
    ).location!;
    const state = callback.searchParams.get("state")!;
    const name = `proconnect-login.${state}`;
    const genuine = loginCookiesOf(browser, app.url).get(state)!;
    const fields = JSON.parse(Buffer.from(genuine, "base64url").toString("utf8")) as [
      string,
      string,
      string,
      number,
    ];
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const tokenCalls = () => emulator.requestCounts()["/api/v2/token"] ?? 0;

    for (const [altered, message] of [
      ["not-base64-json", /matches no login/],
      [encode({ nonce: fields[0] }), /matches no login/],
      [encode([fields[0], fields[1], "//evil.example/", fields[3]]), /matches no login/],
      [encode([fields[0], "short", fields[2], fields[3]]), /matches no login/],
      [encode([fields[0], fields[1], fields[2], Date.now() - 1]), /took too long/],
    ] as const) {
      const before = tokenCalls();
      const answer = await fetch(callback, {
        headers: { cookie: `${name}=${altered}` },
        redirect: "manual",
      });
      const body = (await answer.json()) as { code: string; message: string };
      expect([answer.status, body.code]).toEqual([400, "invalid_state"]);
      expect(body.message).toMatch(message);
      expect(answer.headers.getSetCookie()).toEqual([
        expect.stringMatching(
          new RegExp(`^${name.replace(".", "\\.")}=; Path=/; Expires=Thu, 01 Jan 1970`),
        ),
      ]);
      expect(tokenCalls()).toBe(before);
    }

    // Another login's nonce and verifier under this state: ProConnect refuses the code (PKCE), nobody
    // is signed in.
    const other = new TestBrowser();
    const otherState = (
      await other.navigate(`${app.url}/login`, { stopAt: toEmulator(emulator) })
    ).location!.searchParams.get("state")!;
    const otherValue = loginCookiesOf(other, app.url).get(otherState)!;
    const swapped = await fetch(callback, {
      headers: { cookie: `${name}=${otherValue}` },
      redirect: "manual",
    });
    const refusal = (await swapped.json()) as { code: string };
    expect([swapped.status, refusal.code]).toEqual([400, "code_rejected"]);
    expect(swapped.headers.getSetCookie().some((line) => line.startsWith("connect.sid="))).toBe(
      false,
    );
  });

  it("refuses a login that took longer than loginTimeout (invalid_state)", async () => {
    await withApp(emulator, { options: { loginTimeout: 1 } }, async (quick) => {
      const browser = new TestBrowser();
      const stopped = await browser.navigate(`${quick.url}/login`, {
        stopAt: toEmulator(emulator),
      });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const page = await browser.navigate(stopped.location!, { email: "test@fia1.fr" });
      expect([page.status, errorOf(page).code]).toEqual([400, "invalid_state"]);
      await expectNobodySignedIn(quick, browser);
    });
  });

  it("passes ProConnect's own errors on under their code (access_denied)", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(`${app.url}/dirigeant`, { email: "test@fia1.fr" });
    expect([page.status, errorOf(page).code]).toEqual([403, "access_denied"]);
    await expectNobodySignedIn(app, browser);
  });

  it("keeps the name of every authorization error OAuth and OpenID Connect define, with its status", async () => {
    for (const error of AUTHORIZATION_ERRORS) {
      const { browser, state } = await pendingLogin();
      const page = await browser.navigate(
        `${app.url}/callback?state=${state}&error=${error}&iss=${encodeURIComponent(emulator.issuer)}`,
      );
      expect([page.status, errorOf(page).code], error).toEqual([
        PROCONNECT_ERROR_CODES[error],
        error,
      ]);
      await expectNobodySignedIn(app, browser);
    }
  });

  it("turns any other error value, our own codes included, into 502 provider_error naming it", async () => {
    const others = ["invalid_options", "session_store_unavailable", "x\u0007y"];
    for (const error of others) {
      const { browser, state } = await pendingLogin();
      const page = await browser.navigate(
        `${app.url}/callback?state=${state}&error=${encodeURIComponent(error)}&error_description=${"d".repeat(5000)}&iss=${encodeURIComponent(emulator.issuer)}`,
      );
      expect([page.status, errorOf(page).code], error).toEqual([502, "provider_error"]);
      const message = errorOf(page).message!;
      expect(message).toContain(error.replace("\u0007", " "));
      expect(message.length).toBeLessThan(600); // the description is cut
      await expectNobodySignedIn(app, browser);
    }
  });

  it("never puts the client secret in an error", async () => {
    await withApp(emulator, { options: { userinfoSignedResponseAlg: "HS256" } }, async (target) => {
      emulator.setTamper({ userinfo: forgeSignature });
      const { page } = await signIn(target, "test@fia1.fr");
      expect(page.body).not.toContain(CLIENT_SECRET);
    });
  });

  it("refuses the certification-dirigeant acr it did not get (requireAuth sends the user back through login)", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(`${app.url}/dirigeant`, {
      email: "marie.lefevre@yopmail.com",
    });
    expect(JSON.parse(page.body)).toEqual({ acr: CERTIFICATION_DIRIGEANT });
  });
});
