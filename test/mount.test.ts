import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type express from "express";
import express5 from "express";
import express4 from "express4";
import type session from "express-session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getProConnectUser, proconnect, requireAuth, type ProConnect } from "../lib/index.js";
import { signIn, TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { errorOf, routesUnder, serveApp, type ServedApp } from "./helpers/app.js";
import { CLIENT_SECRET, registerApp, startTestEmulator } from "./helpers/emulator.js";

// How proconnect() fits the ways apps mount it: under a path prefix, next to another instance, and
// the mistakes that used to end in a dead end or a loop.

let internet: ProConnectEmulator;
let rie: ProConnectEmulator;
const apps: ServedApp[] = [];

beforeAll(async () => {
  [internet, rie] = await Promise.all([startTestEmulator(), startTestEmulator()]);
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all([internet.close(), rie.close()]);
});

/** An app on a random port, set up once its URL is known; resolves to that URL. */
async function serve(
  setup: (app: express.Express, url: string) => void,
  cookie?: session.CookieOptions,
): Promise<string> {
  const app = await serveApp(setup, { cookie });
  apps.push(app);
  return app.url;
}

const logger = { warn: () => undefined };

/** Registers the app whose routes are under `base` with `emulator`: the options proconnect() needs for it. */
function register(emulator: ProConnectEmulator, clientId: string, base: string) {
  registerApp(emulator, clientId, base);
  return { clientId, clientSecret: CLIENT_SECRET, baseUrl: base, issuer: emulator.issuer, logger };
}

describe("proconnect() mounted under a path", () => {
  it("serves its routes under the mount path when baseUrl has it, and requireAuth() outside the mount sends people there", async () => {
    const url = await serve((app, url) => {
      const auth = proconnect(register(internet, "mounted", `${url}/auth`));
      app.use("/auth", auth);
      app.get("/profil", auth.requireAuth(), (req, res) => res.json(req.proconnectUser));
      app.get("/who", (req, res) =>
        res.json({ user: getProConnectUser(req) ?? null, property: req.proconnectUser ?? null }),
      );
    });
    const browser = new TestBrowser();
    const first = await browser.navigate(`${url}/profil`, { stopAt: () => true });
    expect(first.status).toBe(303);
    expect(`${first.location?.pathname}${first.location?.search}`).toBe(
      "/auth/login?returnTo=%2Fprofil",
    );
    const page = await browser.navigate(`${url}/profil`, { email: "test@fia1.fr" });
    expect([page.status, new URL(page.url).pathname]).toEqual([200, "/profil"]);
    expect(JSON.parse(page.body)).toMatchObject({ email: "test@fia1.fr" });
    // Express matches mount paths without case: so does the check of the mount against baseUrl.
    const upper = await new TestBrowser().navigate(`${url}/AUTH/login`, { stopAt: () => true });
    expect([upper.status, upper.location?.origin]).toEqual([303, new URL(internet.issuer).origin]);
    // Outside the mount, proconnect() does not see the request: getProConnectUser() reads the session.
    const who = JSON.parse((await browser.navigate(`${url}/who`)).body) as {
      user: object;
      property: unknown;
    };
    expect(who).toMatchObject({ user: { email: "test@fia1.fr" }, property: null });
  });

  it("serves the prefixed paths when mounted at the root with a baseUrl that has a path", async () => {
    const url = await serve((app, url) => {
      app.use(proconnect(register(internet, "prefixed-root", `${url}/app`)));
      app.get("/app/me", requireAuth(), (req, res) => res.json(req.proconnectUser));
    });
    const page = await new TestBrowser().navigate(`${url}/app/me`, { email: "test@fia1.fr" });
    expect([page.status, JSON.parse(page.body).email]).toEqual([200, "test@fia1.fr"]);
  });

  it("refuses a login under a mount path baseUrl does not have (not_configured, naming the baseUrl to set), before ProConnect", async () => {
    let base = "";
    const url = await serve((app, url) => {
      base = url;
      app.use(
        "/auth",
        proconnect({
          clientId: "not-mounted",
          clientSecret: CLIENT_SECRET,
          baseUrl: url,
          issuer: internet.issuer,
          logger,
        }),
      );
      app.get("/", (_req, res) => res.json({ home: true }));
    });
    const browser = new TestBrowser();
    const login = await browser.navigate(`${url}/auth/login`, { stopAt: () => true });
    expect([login.status, errorOf(login).code]).toEqual([500, "not_configured"]);
    expect(login.location).toBeUndefined();
    expect(errorOf(login).message).toContain(`set baseUrl to "${base}/auth"`);
    const callback = await browser.navigate(`${url}/auth/callback?state=x&code=y`);
    expect([callback.status, errorOf(callback).code]).toEqual([500, "not_configured"]);
    // The app's other routes are not affected.
    expect((await browser.navigate(`${url}/`)).status).toBe(200);
  });
});

describe("requireAuth() after a login whose session did not come back", () => {
  it("answers login_loop instead of sending the browser back to the login when the session is gone seconds after a login", async () => {
    const url = await serve((app, url) => {
      app.use(proconnect(register(internet, "loop", url)));
      app.get("/me", requireAuth(), (req, res) => res.json(req.proconnectUser));
      // What another instance of the app with a store of its own sees: no such session.
      app.post("/lose-session", (req, res) => req.session.destroy(() => res.json({})));
    });
    const browser = new TestBrowser();
    const signedIn = await browser.navigate(`${url}/login?returnTo=/me`, { email: "test@fia1.fr" });
    expect(signedIn.status).toBe(200);
    await browser.navigate(`${url}/lose-session`, { method: "POST" });
    const page = await browser.navigate(`${url}/me`, { stopAt: () => true });
    expect([page.status, errorOf(page).code]).toEqual([500, "login_loop"]);
    expect(errorOf(page).message).toMatch(/completed a login \d+ s ago.*sameSite/);
    expect(page.location).toBeUndefined();
  });

  it("still sends a browser to the login after a logout", async () => {
    const url = await serve((app, url) => {
      app.use(proconnect(register(internet, "loop-logout", url)));
      app.get("/me", requireAuth(), (req, res) => res.json(req.proconnectUser));
    });
    const browser = new TestBrowser();
    await browser.navigate(`${url}/login?returnTo=/me`, { email: "test@fia1.fr" });
    await browser.navigate(`${url}/logout`, { method: "POST" });
    const page = await browser.navigate(`${url}/me`, { stopAt: () => true });
    expect([page.status, page.location?.pathname]).toEqual([303, "/login"]);
  });

  it("refuses a SameSite=Strict session cookie at /login (insecure_session_cookie), which every browser would drop after ProConnect's redirect", async () => {
    const url = await serve(
      (app, url) => {
        app.use(proconnect(register(internet, "strict-cookie", url)));
      },
      { sameSite: "strict" },
    );
    const login = await new TestBrowser().navigate(`${url}/login`, { stopAt: () => true });
    expect([login.status, errorOf(login).code]).toEqual([500, "insecure_session_cookie"]);
    expect(errorOf(login).message).toContain('cookie.sameSite to "lax"');
  });
});

describe("two named instances", () => {
  let url: string;
  let pcInternet: ProConnect;
  let pcRie: ProConnect;

  beforeAll(async () => {
    url = await serve((app, url) => {
      pcInternet = proconnect({ name: "internet", ...register(internet, "two-internet", url) });
      pcRie = proconnect({
        name: "rie",
        network: "rie",
        // Registered with its routes under /rie; its baseUrl is the app's, `routes` names the paths.
        ...register(rie, "two-rie", `${url}/rie`),
        baseUrl: url,
        routes: routesUnder("/rie"),
      });
      app.use(pcInternet);
      app.use(pcRie);
      app.get("/a", pcInternet.requireAuth(), (req, res) =>
        res.json({ user: pcInternet.user(req), current: req.proconnectUser }),
      );
      app.get("/b", pcRie.requireAuth(), (req, res) =>
        res.json({ user: pcRie.user(req), current: req.proconnectUser }),
      );
      app.get("/c", requireAuth(), (_req, res) => res.json({}));
    });
  });

  it("sends each instance's protected route to its own login, and refuses a plain requireAuth() as ambiguous", async () => {
    const browser = new TestBrowser();
    const a = await browser.navigate(`${url}/a`, { stopAt: () => true });
    const b = await browser.navigate(`${url}/b`, { stopAt: () => true });
    expect([a.location?.pathname, b.location?.pathname]).toEqual(["/login", "/rie/login"]);
    const c = await browser.navigate(`${url}/c`, { stopAt: () => true });
    expect([c.status, errorOf(c).code]).toEqual([500, "not_configured"]);
    expect(errorOf(c).message).toContain(
      'proconnect({ name: "internet" }) and proconnect({ name: "rie" })',
    );
  });

  it("keeps both sign-ins side by side, and signs out of one through its own provider with its own id_token", async () => {
    const browser = new TestBrowser();
    const a = await browser.navigate(`${url}/a`, { email: "test@fia1.fr" });
    const b = await browser.navigate(`${url}/b`, { email: "marie.lefevre@yopmail.com" });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(JSON.parse(b.body)).toMatchObject({
      user: { email: "marie.lefevre@yopmail.com" },
      current: { email: "marie.lefevre@yopmail.com" },
    });
    const stillA = JSON.parse((await browser.navigate(`${url}/a`)).body) as {
      user: { email: string };
      current: { email: string };
    };
    expect([stillA.user.email, stillA.current.email]).toEqual(["test@fia1.fr", "test@fia1.fr"]);

    const out = await browser.navigate(`${url}/rie/logout`, { method: "POST", stopAt: () => true });
    expect(out.status).toBe(303);
    expect(out.location?.href.startsWith(rie.issuer)).toBe(true);
    const hint = out.location?.searchParams.get("id_token_hint") ?? "";
    const claims = JSON.parse(Buffer.from(hint.split(".")[1] ?? "", "base64url").toString()) as {
      iss: string;
      aud: string;
    };
    expect([claims.iss, claims.aud]).toEqual([rie.issuer, "two-rie"]);
    await browser.navigate(out.location!.href);

    const afterA = await browser.navigate(`${url}/a`);
    expect([afterA.status, JSON.parse(afterA.body).user.email]).toEqual([200, "test@fia1.fr"]);
    const afterB = await browser.navigate(`${url}/b`, { stopAt: () => true });
    expect([afterB.status, afterB.location?.pathname]).toEqual([303, "/rie/login"]);
  });

  it("refuses two instances on one path with the same name or the same routes (not_configured), from the first request both see", async () => {
    const same = await serve((app, url) => {
      for (const issuer of [internet.issuer, rie.issuer]) {
        app.use(proconnect({ clientId: "x", clientSecret: "y", baseUrl: url, issuer, logger }));
      }
    });
    // The first request both see tells them apart; from then on the first one's routes are refused too.
    const first = await new TestBrowser().navigate(`${same}/`);
    expect([first.status, errorOf(first).code]).toEqual([500, "not_configured"]);
    const unnamed = await new TestBrowser().navigate(`${same}/login`, { stopAt: () => true });
    expect([unnamed.status, errorOf(unnamed).code]).toEqual([500, "not_configured"]);
    expect(errorOf(unnamed).message).toContain("give each its own name");

    const routes = await serve((app, url) => {
      for (const [name, issuer] of [
        ["one", internet.issuer],
        ["two", rie.issuer],
      ] as const) {
        app.use(
          proconnect({ name, clientId: "x", clientSecret: "y", baseUrl: url, issuer, logger }),
        );
      }
    });
    await new TestBrowser().navigate(`${routes}/`);
    const shared = await new TestBrowser().navigate(`${routes}/login`, { stopAt: () => true });
    expect([shared.status, errorOf(shared).code]).toEqual([500, "not_configured"]);
    expect(errorOf(shared).message).toContain("same route /login");
  });

  it("refuses a name that is not a plain lowercase word, at start-up", () => {
    expect(() =>
      proconnect({
        name: "RIE net",
        clientId: "x",
        clientSecret: "y",
        baseUrl: "http://127.0.0.1",
      }),
    ).toThrow(/lowercase letters[\s\S]*at name/);
  });
});

describe("proconnect() run as a route's handler", () => {
  it("answers not_configured naming the fix when it only runs for a route, never its login", async () => {
    const url = await serve((app, url) => {
      const auth = proconnect(register(internet, "route-only", url));
      app.get("/page", auth, auth.requireAuth(), (_req, res) => res.json({ page: true }));
    });
    const page = await new TestBrowser().navigate(`${url}/page`, { stopAt: () => true });
    expect([page.status, errorOf(page).code]).toEqual([500, "not_configured"]);
    expect(errorOf(page).message).toContain('runs as a handler of the route "/page" only');
    expect(errorOf(page).message).toContain("app.use(proconnect(");
  });

  it.each([
    ["Express 5", express5],
    ["Express 4", express4 as unknown as typeof express5],
  ])(
    "%s: a route of the same path that ran before (and left req.route) does not count",
    async (_name, makeApp) => {
      const served = await serveApp(
        (app, url) => {
          // A route before the middleware that lets the request go on: Express keeps req.route set.
          app.get("/who", (_req, _res, next) => next());
          app.use(proconnect(register(internet, `after-a-route-${_name.at(-1)}`, url)));
          app.get("/who", (req, res) => res.json({ email: req.proconnectUser?.email ?? null }));
        },
        { express: makeApp },
      );
      apps.push(served);
      const anonymous = await new TestBrowser().fetch(`${served.url}/who`);
      expect([anonymous.status, await anonymous.json()]).toEqual([200, { email: null }]);
      const browser = await signIn(served.url, "test@fia1.fr");
      const who = await browser.fetch(`${served.url}/who`);
      expect(await who.json()).toEqual({ email: "test@fia1.fr" });
    },
  );
});

describe("the first request of a process", () => {
  const run = promisify(execFile);
  const root = fileURLToPath(new URL("..", import.meta.url));
  async function firstRequest(mode: string, path: string) {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "test/fixtures/fresh-process.ts", mode, path],
      { cwd: root, timeout: 30_000 },
    );
    return JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      status: number;
      location: string | null;
      body: { user?: { sub: string } | null; property?: unknown; code?: string };
    };
  }

  it("sends an anonymous visitor of a route outside the mount to the mounted login, before any request reached proconnect()", async () => {
    const answer = await firstRequest("anonymous", "/profil");
    expect([answer.status, answer.location]).toEqual([303, "/auth/login?returnTo=%2Fprofil"]);
  });

  it("reads getProConnectUser() and lets requireAuth() through outside the mount on the first request", async () => {
    const who = await firstRequest("signed-in", "/who");
    expect([who.status, who.body.user?.sub, who.body.property]).toEqual([200, "s", null]);
    const profil = await firstRequest("signed-in", "/profil");
    expect([profil.status, profil.body.user?.sub]).toEqual([200, "s"]);
  });

  it("passes not_configured when the app has no proconnect() at all", async () => {
    const answer = await firstRequest("none", "/profil");
    expect([answer.status, answer.body.code]).toEqual([500, "not_configured"]);
  });
});
