import express, { type NextFunction, type Request, type Response } from "express";
import session from "express-session";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { proconnect, type ProConnectError } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { CLIENT_SECRET, toEmulator } from "./helpers/emulator.js";
import {
  errorOf,
  loginCookiesOf,
  sessionIdOf,
  startTestApp,
  storedSessions,
  type TestApp,
  useTestApp,
} from "./helpers/app.js";
import { withApp } from "./helpers/refusals.js";

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started) => ({ emulator, app } = started));

async function authorizeUrl(query = "", browser = new TestBrowser()): Promise<URL> {
  const page = await browser.navigate(`${app.url}/login${query}`, { stopAt: toEmulator(emulator) });
  expect(page.status).toBe(303);
  return page.location!;
}

describe("GET /login", () => {
  it("sends the browser to ProConnect's authorize endpoint with state, nonce (32+ characters) and PKCE S256", async () => {
    const url = await authorizeUrl();
    expect(url.origin + url.pathname).toBe(`${emulator.issuer}/authorize`);
    const params = Object.fromEntries(url.searchParams);
    expect(params.response_type).toBe("code");
    expect(params.redirect_uri).toBe(`${app.url}/callback`);
    expect(params.state!.length).toBeGreaterThanOrEqual(32);
    expect(params.nonce!.length).toBeGreaterThanOrEqual(32);
    expect(params.code_challenge_method).toBe("S256");
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(params.scope!.split(" ").sort()).toEqual(
      ["email", "given_name", "idp_id", "openid", "siret", "uid", "usual_name"].sort(),
    );
  });

  it("uses fresh values for every attempt", async () => {
    const [first, second] = [await authorizeUrl(), await authorizeUrl()];
    for (const name of ["state", "nonce", "code_challenge"]) {
      expect(first.searchParams.get(name)).not.toBe(second.searchParams.get(name));
    }
  });

  it("forwards ProConnect's hints and prompt, and nothing else", async () => {
    const url = await authorizeUrl(
      "?idp_hint=fia1v2&login_hint=test%40fia1.fr&siret_hint=13002526500013&prompt=login&foo=bar&max_age=0&scope=admin",
    );
    expect(url.searchParams.get("idp_hint")).toBe("fia1v2");
    expect(url.searchParams.get("login_hint")).toBe("test@fia1.fr");
    expect(url.searchParams.get("siret_hint")).toBe("13002526500013");
    expect(url.searchParams.get("prompt")).toBe("login");
    expect([...url.searchParams.keys()].sort()).toEqual(
      [
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "idp_hint",
        "login_hint",
        "nonce",
        "prompt",
        "redirect_uri",
        "response_type",
        "scope",
        "siret_hint",
        "state",
      ].sort(),
    );
    expect(url.searchParams.get("scope")).not.toContain("admin");
  });

  it("refuses a hint ProConnect would refuse, before going there (invalid_login_request, 400)", async () => {
    for (const query of [
      "?login_hint=not-an-email",
      "?siret_hint=123",
      "?prompt=select_account",
      "?acr=eidas9",
    ]) {
      const page = await new TestBrowser().navigate(`${app.url}/login${query}`, {
        stopAt: toEmulator(emulator),
      });
      expect([page.status, errorOf(page).code]).toEqual([400, "invalid_login_request"]);
    }
  });

  it("refuses a repeated parameter (invalid_login_request, 400)", async () => {
    const page = await new TestBrowser().navigate(`${app.url}/login?idp_hint=a&idp_hint=b`, {
      stopAt: toEmulator(emulator),
    });
    expect([page.status, errorOf(page).code]).toEqual([400, "invalid_login_request"]);
  });

  it("turns acr into an essential acr claim, and asks for amr with it", async () => {
    const url = await authorizeUrl(`?acr=${encodeURIComponent("eidas2 eidas3")}`);
    expect(JSON.parse(url.searchParams.get("claims")!)).toEqual({
      id_token: { acr: { essential: true, values: ["eidas2", "eidas3"] }, amr: null },
    });
  });

  it("writes nothing when ProConnect cannot be reached (provider_unavailable, 503)", async () => {
    const down = await startTestApp(emulator, {
      options: { issuer: "http://127.0.0.1:9/api/v2", httpTimeout: 2000 },
    });
    try {
      const page = await new TestBrowser().navigate(`${down.url}/login`, {
        stopAt: toEmulator(emulator),
      });
      expect([page.status, errorOf(page).code]).toEqual([503, "provider_unavailable"]);
      expect(await storedSessions(down.store)).toEqual({});
    } finally {
      await down.close();
    }
  });
});

describe("the routes' matching", () => {
  it("answers only their exact method and path: HEAD, another case or a trailing / fall through to the app", async () => {
    for (const [method, path] of [
      ["head", "/callback?state=x&code=y"],
      ["get", "/LOGIN"],
      ["get", "/login/"],
      // GET /logout is answered (405, see logout.test.ts); HEAD still falls through.
      ["head", "/logout"],
    ] as const) {
      const response = await request(app.url)[method](path);
      expect([method, path, response.status]).toEqual([method, path, 404]);
    }
    expect((await request(app.url).get("/login")).status).toBe(303);
  });
});

describe("GET /login: bounded state", () => {
  it("keeps at most maxPendingLogins attempts, the newest, each in its own cookie, however many logins a browser starts", async () => {
    await withApp(emulator, { options: { maxPendingLogins: 3 } }, async (small) => {
      const browser = new TestBrowser();
      const states: string[] = [];
      for (let i = 0; i < 100; i++) {
        const page = await browser.navigate(`${small.url}/login`, { stopAt: toEmulator(emulator) });
        states.push(page.location!.searchParams.get("state")!);
      }
      const held = loginCookiesOf(browser, small.url);
      expect([...held.keys()].sort()).toEqual(states.slice(-3).sort());
      expect(browser.cookieHeader(small.url).length).toBeLessThan(2048);
      // Logins under way are never in the session store.
      expect(await storedSessions(small.store)).toEqual({});

      // The newest attempt still works, and an evicted one is refused.
      const evicted = await browser.navigate(
        `${small.url}/callback?state=${states[0]}&code=x&iss=${encodeURIComponent(emulator.issuer)}`,
      );
      expect([evicted.status, errorOf(evicted).code]).toEqual([400, "invalid_state"]);
    });
  });

  it("writes nothing to the session store for a cookie-less flood: each answer is one short-lived cookie", async () => {
    await withApp(emulator, { options: { loginTimeout: 60 } }, async (short) => {
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => request(short.url).get("/login")),
      );
      for (const response of responses) {
        expect(response.status).toBe(303);
        const cookies = response.headers["set-cookie"] as unknown as string[];
        expect(cookies).toHaveLength(1);
        expect(cookies[0]).toMatch(
          /^proconnect-login\.[\w-]{43}=[\w-]+; Max-Age=60; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
        );
        expect(cookies[0]!.length).toBeLessThan(400);
      }
      expect(await storedSessions(short.store)).toEqual({});
    });
  });

  it("over https, names the attempt cookie __Host- and marks it Secure, so no sibling subdomain can plant one", async () => {
    await withApp(emulator, { options: { baseUrl: "https://app.example" } }, async (https) => {
      const response = await request(https.url).get("/login");
      expect(response.status).toBe(303);
      const cookie = (response.headers["set-cookie"] as unknown as string[])[0]!;
      expect(cookie).toMatch(/^__Host-proconnect-login\.[\w-]{43}=/);
      expect(cookie).toMatch(/; Path=\/;/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).not.toMatch(/Domain=/i);
    });
  });

  it("drops the oldest attempts to keep a browser's login cookies within 4 KB, even with long returnTo paths", async () => {
    const browser = new TestBrowser();
    const long = `/${"a".repeat(2000)}`;
    let last = "";
    for (let i = 0; i < 5; i++) {
      const page = await browser.navigate(
        `${app.url}/login?returnTo=${encodeURIComponent(`${long}?${i}`)}`,
        { stopAt: toEmulator(emulator) },
      );
      last = page.location!.searchParams.get("state")!;
    }
    const held = loginCookiesOf(browser, app.url);
    const bytes = [...held].reduce(
      (sum, [state, value]) => sum + `proconnect-login.${state}`.length + value.length,
      0,
    );
    expect(bytes).toBeLessThanOrEqual(4 * 1024);
    expect(held.size).toBeLessThan(5);
    expect(held.has(last)).toBe(true);
  });

  it("keeps the app's own session lifetime once signed in, and for a session with the app's data", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: "test@fia1.fr" });
    const id = sessionIdOf(browser, app)!;
    const signedIn = (await storedSessions(app.store))[id]!;
    // The test app sets no maxAge: a browser-session cookie, without expiry.
    expect((signedIn.cookie as { expires?: unknown }).expires ?? null).toBeNull();

    await new Promise<void>((resolve, reject) =>
      app.store.set(id, { ...signedIn, proconnect: {}, cart: ["item"] } as never, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    await browser.navigate(`${app.url}/login`, { stopAt: toEmulator(emulator) });
    const withData = (await storedSessions(app.store))[id]!;
    expect(withData.cart).toEqual(["item"]);
    expect((withData.cookie as { expires?: unknown }).expires ?? null).toBeNull();
  });
});

describe("GET /login: returnTo", () => {
  it.each([
    "//evil.example/path",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\r\nLocation: https://evil.example",
    "/\t/evil.example",
    "evil",
    // Dot segments that normalize to "//evil…": refused on the normalized form, at /login.
    "/..//evil.example",
    "/.//evil.example",
    "/%2e%2e//evil.example",
    "/a/..//evil.example",
  ])("ignores %j and goes to postLoginRedirect after login", async (returnTo) => {
    const browser = new TestBrowser();
    const page = await browser.navigate(
      `${app.url}/login?returnTo=${encodeURIComponent(returnTo)}`,
      {
        email: "test@fia1.fr",
      },
    );
    expect(page.url.origin).toBe(app.url);
    expect(page.url.pathname).toBe("/");
  });

  it("keeps a same-origin path with its query (encoded characters stay on the app)", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(
      `${app.url}/login?returnTo=${encodeURIComponent("/me?x=1")}`,
      {
        email: "test@fia1.fr",
      },
    );
    expect(page.url.href).toBe(`${app.url}/me?x=1`);
  });
});

describe("GET /login: a session cookie this request cannot set", () => {
  /** An app whose session cookie is Secure, as the README's production setup has it. */
  function secureCookieApp(trustProxy: boolean) {
    const secure = express();
    if (trustProxy) secure.set("trust proxy", 1);
    secure.use(
      session({
        secret: "test-session-secret",
        resave: false,
        saveUninitialized: false,
        cookie: { secure: true, httpOnly: true, sameSite: "lax" },
      }),
    );
    secure.use(
      proconnect({
        clientId: "secure-cookie-app",
        clientSecret: CLIENT_SECRET,
        baseUrl: "https://mon-service.example",
        issuer: emulator.issuer,
      }),
    );
    secure.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const { code, status, message } = error as ProConnectError;
      res.status(status).json({ code, message });
    });
    return secure;
  }

  it("refuses plain http with insecure_session_cookie (500), naming cookie.secure and trust proxy, before ProConnect", async () => {
    const answer = await request(secureCookieApp(false)).get("/login");
    expect([answer.status, answer.body.code]).toEqual([500, "insecure_session_cookie"]);
    expect(answer.body.message).toMatch(/cookie\.secure to false[\s\S]*trust proxy/);
    expect(answer.headers.location).toBeUndefined();
  });

  it('refuses an https proxy that Express does not trust, naming app.set("trust proxy", 1)', async () => {
    const answer = await request(secureCookieApp(false))
      .get("/login")
      .set("X-Forwarded-Proto", "https");
    expect([answer.status, answer.body.code]).toEqual([500, "insecure_session_cookie"]);
    expect(answer.body.message).toContain('app.set("trust proxy", 1)');
  });

  it("goes to ProConnect behind a trusted https proxy", async () => {
    const answer = await request(secureCookieApp(true))
      .get("/login")
      .set("X-Forwarded-Proto", "https");
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toMatch(new RegExp(`^${emulator.issuer}/authorize`));
  });

  it("refuses the same at /callback, before any token request", async () => {
    const answer = await request(secureCookieApp(false)).get("/callback?state=x&code=y&iss=z");
    expect([answer.status, answer.body.code]).toEqual([500, "insecure_session_cookie"]);
  });
});
