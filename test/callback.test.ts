import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { CERTIFICATION_DIRIGEANT, ProConnectError, type ProConnectUser } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import {
  errorOf,
  onlySession,
  sessionIdOf,
  startTestApp,
  storedSessions,
  type TestApp,
  type TestAppOptions,
  useTestApp,
} from "./helpers/app.js";
import { CLIENT_SECRET } from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started, startedApp) => {
  emulator = started;
  app = startedApp;
});
afterEach(() => emulator.setTamper(undefined));

const toEmulator = (url: URL) => url.origin === emulator.url;

async function withApp<T>(setup: TestAppOptions, run: (app: TestApp) => Promise<T>): Promise<T> {
  const other = await startTestApp(emulator, setup);
  try {
    return await run(other);
  } finally {
    await other.close();
  }
}

/** Signs in through the app (login page filled in with `email`) and returns what /me then says. */
async function signIn(target: TestApp, email: string, browser = new TestBrowser()) {
  const page = await browser.navigate(`${target.url}/login?returnTo=/me`, { email });
  return {
    page,
    browser,
    user: page.status === 200 ? (JSON.parse(page.body) as ProConnectUser) : undefined,
  };
}

/** Nobody is signed in: neither the browser's view of the app nor its session in the store. */
async function expectNobodySignedIn(target: TestApp, browser: TestBrowser) {
  const home = await browser.navigate(`${target.url}/`);
  expect(JSON.parse(home.body)).toMatchObject({ user: null });
  const id = sessionIdOf(browser, target);
  const data = id === undefined ? undefined : (await storedSessions(target.store))[id];
  expect((data?.proconnect as { user?: unknown } | undefined)?.user).toBeUndefined();
  expect((data?.proconnect as { idToken?: unknown } | undefined)?.idToken).toBeUndefined();
}

async function expectRefused(
  target: TestApp,
  email: string,
  code: string,
  status = 502,
): Promise<ProConnectError | { code?: string; message?: string }> {
  const { page, browser } = await signIn(target, email);
  const error = errorOf(page);
  expect([page.status, error.code]).toEqual([status, code]);
  await expectNobodySignedIn(target, browser);
  return error;
}

/** A JWS whose signature is changed in its first byte: same header, same claims, forged signature. */
function forgeSignature(jws: string): string {
  const [header, payload, signature] = jws.split(".") as [string, string, string];
  const bytes = Buffer.from(signature, "base64url");
  bytes[0] = bytes[0]! ^ 0xff;
  return `${header}.${payload}.${bytes.toString("base64url")}`;
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
      acr: "eidas1",
    });
  });

  it("signs in each valid fixture identity", async () => {
    const expected: Record<string, Partial<ProConnectUser>> = {
      "jean.martin@fia2.fr": { idp_id: "fia2v2", siret: "21340172400017", siren: "213401724" },
      "marie.lefevre@yopmail.com": {
        idp_id: "proconnect-identite",
        siret: "88030349100018",
        acr: "eidas1",
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
    await withApp({}, async (fresh) => {
      const browser = new TestBrowser();
      const stopped = await browser.navigate(`${fresh.url}/login?returnTo=/me`, {
        stopAt: toEmulator,
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
    await withApp({ options: { storeTokens: true } }, async (keeper) => {
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
      stopAt: toEmulator,
    });
    const second = await browser.navigate(`${app.url}/login?returnTo=/second`, {
      stopAt: toEmulator,
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
    await browser.navigate(`${app.url}/logout`, { method: "POST", stopAt: toEmulator }); // app only
    const page = await browser.navigate(`${app.url}/login?prompt=none&returnTo=/me`);
    expect(JSON.parse(page.body)).toMatchObject({ email: "test@fia1.fr" });
  });

  it("lets onLogin enrich the user before the session is written", async () => {
    await withApp(
      { options: { onLogin: async (user) => ({ ...user, accountId: `account-of-${user.uid}` }) } },
      async (hooked) => {
        const { user } = await signIn(hooked, "test@fia1.fr");
        expect(user).toMatchObject({ accountId: "account-of-1" });
      },
    );
  });

  it("accepts an identity provider listed in allowedIdps", async () => {
    await withApp({ options: { allowedIdps: ["fia2v2"] } }, async (restricted) => {
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
    await withApp({ options: { allowedIdps: ["fia2v2"] } }, async (restricted) => {
      await expectRefused(restricted, "test@fia1.fr", "idp_not_allowed", 403);
    });
  });

  it("refuses what onLogin refuses (login_rejected), or passes its own ProConnectError", async () => {
    await withApp(
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
    await browser.navigate(`${app.url}/login`, { stopAt: toEmulator });
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

  it("refuses a login that took longer than loginTimeout (invalid_state)", async () => {
    await withApp({ options: { loginTimeout: 1 } }, async (quick) => {
      const browser = new TestBrowser();
      const stopped = await browser.navigate(`${quick.url}/login`, { stopAt: toEmulator });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const page = await browser.navigate(stopped.location!, { email: "test@fia1.fr" });
      expect([page.status, errorOf(page).code]).toEqual([400, "invalid_state"]);
      await expectNobodySignedIn(quick, browser);
    });
  });

  it("refuses an id_token whose nonce is not the one sent (invalid_id_token)", async () => {
    await withApp({}, async (fresh) => {
      const browser = new TestBrowser();
      const stopped = await browser.navigate(`${fresh.url}/login`, { stopAt: toEmulator });
      // The session, in the real store, now expects another nonce than the one ProConnect will sign.
      const [id, data] = await onlySession(fresh.store);
      const pending = (data.proconnect as { pending: Record<string, { nonce: string }> }).pending;
      for (const attempt of Object.values(pending))
        attempt.nonce = "another-nonce-another-nonce-another-nonce";
      await new Promise<void>((resolve, reject) =>
        fresh.store.set(id, data as never, (error) => (error ? reject(error) : resolve())),
      );
      const page = await browser.navigate(stopped.location!, { email: "test@fia1.fr" });
      expect([page.status, errorOf(page).code]).toEqual([502, "invalid_id_token"]);
      expect(errorOf(page).message).toMatch(/nonce/);
      await expectNobodySignedIn(fresh, browser);
    });
  });

  it("refuses a callback whose iss is not the issuer (issuer_mismatch)", async () => {
    const browser = new TestBrowser();
    const toCallback = (url: URL) => url.pathname === "/callback";
    const stopped = await browser.navigate(`${app.url}/login`, {
      email: "test@fia1.fr",
      stopAt: toCallback,
    });
    const callback = stopped.location!;
    callback.searchParams.set("iss", "https://evil.example/api/v2");
    const page = await browser.navigate(callback);
    expect([page.status, errorOf(page).code]).toEqual([502, "issuer_mismatch"]);
    await expectNobodySignedIn(app, browser);
  });

  it("passes ProConnect's own errors on under their code (access_denied)", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(`${app.url}/dirigeant`, { email: "test@fia1.fr" });
    expect([page.status, errorOf(page).code]).toEqual([403, "access_denied"]);
    await expectNobodySignedIn(app, browser);
  });

  for (const alg of ["ES256", "RS256", "HS256"] as const) {
    describe(`signatures with ${alg}`, () => {
      const setup = { options: { idTokenSignedResponseAlg: alg, userinfoSignedResponseAlg: alg } };

      it("refuses an id_token with a forged signature (invalid_id_token)", async () => {
        await withApp(setup, async (target) => {
          emulator.setTamper({ idToken: forgeSignature });
          await expectRefused(target, "test@fia1.fr", "invalid_id_token");
        });
      });

      it("refuses a userinfo with a forged signature (invalid_userinfo)", async () => {
        await withApp(setup, async (target) => {
          emulator.setTamper({ userinfo: forgeSignature });
          await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
        });
      });

      it("refuses a userinfo re-signed with a key of the attacker's (invalid_userinfo)", async () => {
        await withApp(setup, async (target) => {
          const key =
            alg === "HS256"
              ? new TextEncoder().encode("x".repeat(48))
              : (await generateKeyPair(alg)).privateKey;
          // Tamper hooks are synchronous: capture a genuine userinfo, then re-sign its header and claims.
          let genuine = "";
          emulator.setTamper({ userinfo: (jws) => (genuine = jws) });
          await signIn(target, "test@fia1.fr");
          const resigned = await new SignJWT(decodeJwt(genuine))
            .setProtectedHeader(decodeProtectedHeader(genuine) as { alg: string })
            .sign(key);
          emulator.setTamper({ userinfo: () => resigned });
          await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
        });
      });

      it("refuses a plain JSON userinfo when a signed one is registered (invalid_userinfo)", async () => {
        await withApp(setup, async (target) => {
          emulator.setTamper({
            userinfo: (jws) => ({
              body: JSON.stringify(decodeJwt(jws)),
              contentType: "application/json",
            }),
          });
          await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
        });
      });

      it("refuses a genuinely signed userinfo whose sub is not the id_token's (invalid_userinfo)", async () => {
        await withApp(setup, async (target) => {
          // Control: the same claims re-signed by the emulator are accepted.
          emulator.setTamper({
            userinfo: (jws, { clientId }) => emulator.sign(decodeJwt(jws), { alg, clientId }),
          });
          expect((await signIn(target, "test@fia1.fr")).user?.siret).toBe("13002526500013");

          emulator.setTamper({
            userinfo: (jws, { clientId }) =>
              emulator.sign({ ...decodeJwt(jws), sub: "someone-else" }, { alg, clientId }),
          });
          const error = await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
          expect(error.message).toMatch(/sub/);
        });
      });
    });
  }

  it("never puts the client secret in an error", async () => {
    await withApp({ options: { userinfoSignedResponseAlg: "HS256" } }, async (target) => {
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
