import { execFile } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Store, type SessionData } from "express-session";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { DEFAULT_SCOPES, ProConnectError } from "../lib/index.js";
import { normalizeUser } from "../lib/user.js";
import { signIn, TestBrowser } from "../lib/testing/index.js";
import { ConfigError, parseEnv } from "../example-app/config.js";
import { DSFR_ICONS, DSFR_URL } from "../example-app/assets.js";
import { errorMessageFor } from "../example-app/error-messages.js";
import { REDIS_KEY_PREFIX } from "../example-app/redis.js";
import { startExample, type RunningExample } from "../example-app/server.js";
import { CLIENT_SECRET, errorCode, startTestEmulator } from "./helpers/emulator.js";
import { freePort } from "./helpers/net.js";
import { connectTestRedis, redisForTests, sessionIdIn } from "./helpers/redis.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const LOCAL = { PORT: "0", EMULATOR_PORT: "0" };
const SESSION_SECRET = "a-session-secret-of-at-least-32-characters";

/** What the example logged, instead of the console. */
function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    warn: (...args: unknown[]) => void lines.push(args.map(String).join(" ")),
    error: (...args: unknown[]) => void lines.push(args.map(String).join(" ")),
  };
}

function sessionCookie(response: { headers: Record<string, unknown> }): string | undefined {
  const cookies = (response.headers["set-cookie"] as string[] | undefined) ?? [];
  return cookies.find((cookie) => /^(__Host-)?session=/.test(cookie));
}

function loginCookie(response: { headers: Record<string, unknown> }): string | undefined {
  const cookies = (response.headers["set-cookie"] as string[] | undefined) ?? [];
  return cookies.find((cookie) => /^(__Host-)?proconnect-login\./.test(cookie));
}

/**
 * A complete login, the app's requests sent to its local address with `headers` (as a reverse proxy
 * would add them), the emulator's pages through a TestBrowser: the callback's answer and its session
 * cookie.
 */
async function signInThroughProxy(example: RunningExample, headers: Record<string, string>) {
  const login = await request(example.localUrl).get("/login").set(headers);
  expect(login.status).toBe(303);
  const attempt = loginCookie(login)!.split(";")[0]!;
  const publicOrigin = new URL(example.url).origin;
  const atEmulator = await new TestBrowser().navigate(login.headers.location!, {
    email: "test@fia1.fr",
    stopAt: (url) => url.origin === publicOrigin,
  });
  const callback = new URL(atEmulator.location!);
  expect(callback.pathname).toBe("/callback");
  const answer = await request(example.localUrl)
    .get(callback.pathname + callback.search)
    .set(headers)
    .set("cookie", attempt);
  expect(answer.status).toBe(303);
  return { answer, cookie: sessionCookie(answer) };
}

describe("example app, with the local emulator", () => {
  let example: RunningExample;
  const logger = recordingLogger();

  beforeAll(async () => {
    example = await startExample(LOCAL, { logger });
  });
  afterAll(() => example?.close());

  it("says at start-up that it runs on the emulator, and which account to use", () => {
    expect(example.mode).toBe("emulator");
    expect(example.issuer).toBe(example.emulator?.issuer);
    expect(example.banner).toContain(`Example app: ${example.url}`);
    expect(example.banner).toContain("local ProConnect emulator");
    expect(example.banner).toContain("test@fia1.fr");
    expect(example.sessions).toBe("memory");
    expect(example.banner).toContain(
      "Sessions: in this process's memory, for one instance only (set REDIS_URL to share them).",
    );
  });

  it("keeps a browser's Cookie header under 8,190 bytes after 60 logins with long returnTo paths, signed in", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${example.url}/login`, { email: "test@fia1.fr" });
    const toEmulator = (url: URL) => url.origin === new URL(example.emulator!.issuer).origin;
    for (let login = 0; login < 60; login++) {
      const returnTo = `/profil?${login}=${"a".repeat(2000)}`;
      const page = await browser.navigate(
        `${example.url}/login?returnTo=${encodeURIComponent(returnTo)}`,
        { stopAt: toEmulator },
      );
      expect(page.status).toBe(303);
    }
    expect(Buffer.byteLength(browser.cookieHeader(example.url))).toBeLessThan(8190);
  });

  it("sends a strict Content-Security-Policy and no x-powered-by", async () => {
    const response = await request(example.url).get("/");
    expect(response.status).toBe(200);
    expect(response.headers["x-powered-by"]).toBeUndefined();
    const csp = Object.fromEntries(
      String(response.headers["content-security-policy"])
        .split(";")
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["script-src"]).toEqual(["'self'"]);
    expect(csp["style-src"]).toEqual(["'self'"]);
    expect(csp["script-src-attr"]).toEqual(["'none'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(csp["form-action"]).toContain(new URL(example.issuer).origin);
    // Plain HTTP on localhost: no HSTS, no upgrade of the emulator's http:// address.
    expect(csp["upgrade-insecure-requests"]).toBeUndefined();
    expect(response.headers["strict-transport-security"]).toBeUndefined();
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.headers["referrer-policy"]).toBe("no-referrer");
    // The same word as frame-ancestors 'none', for browsers that only know this header.
    expect(response.headers["x-frame-options"]).toBe("DENY");
    expect(response.headers["permissions-policy"]).toMatch(/(^|, )camera=\(\)/);
    expect(response.headers["permissions-policy"]).toMatch(/(^|, )geolocation=\(\)/);
  });

  it("compresses, and lets browsers keep versioned assets a year", async () => {
    const page = (await request(example.url).get("/")).text;
    const stylesheet = /href="(\/static\/site\.[0-9a-f]+\.css)"/.exec(page)![1]!;
    const script = new RegExp(`src="(${DSFR_URL}/dsfr\\.module\\.min\\.js)"`).exec(page)![1]!;
    for (const asset of [stylesheet, script, `${DSFR_URL}/fonts/Marianne-Regular.woff2`]) {
      const response = await request(example.url).get(asset).set("accept-encoding", "gzip");
      expect([asset, response.status]).toEqual([asset, 200]);
      expect(response.headers["cache-control"]).toMatch(/max-age=31536000\b.*immutable/);
      if (!asset.endsWith(".woff2")) expect(response.headers["content-encoding"]).toBe("gzip");
    }
    const html = await request(example.url).get("/").set("accept-encoding", "gzip");
    expect(html.headers["content-encoding"]).toBe("gzip");
    // Only the DSFR the pages use: not the 1 MB of dsfr.min.css and icons.min.css.
    const css = await request(example.url).get(stylesheet).set("accept-encoding", "identity");
    expect(css.text.length).toBeLessThan(450_000);
    expect(css.text).toContain(".fr-header__brand");
    expect(css.text).toContain(`url(${DSFR_URL}/fonts/Marianne-Regular.woff2)`);
    expect(css.text).not.toMatch(/url\(\.\.?\//);
    const favicon = await request(example.url).get("/favicon.ico");
    expect([favicon.status, favicon.headers["content-type"]]).toEqual([
      200,
      "image/vnd.microsoft.icon",
    ]);
  });

  it("takes every fr-icon-* class the pages use from the DSFR's icons", async () => {
    const source = await readFile(`${root}example-app/pages.ts`, "utf8");
    const used = new Set([...source.matchAll(/fr-icon-([a-z0-9-]+)/g)].map(([, name]) => name));
    expect([...used].sort()).toEqual([...DSFR_ICONS].sort());
  });

  it("has a description, and a footer with the accessibility mention and the legal pages", async () => {
    const page = (await request(example.url).get("/")).text;
    expect(page).toMatch(/<meta name="description" content="[^"]{50,}">/);
    const footer = page.slice(page.indexOf('<div class="fr-footer__bottom">'));
    expect(footer).toContain('href="/accessibilite">Accessibilité : non conforme</a>');
    for (const [path, title] of [
      ["/accessibilite", "Déclaration d'accessibilité"],
      ["/mentions-legales", "Mentions légales"],
      ["/donnees-personnelles", "Données personnelles et cookies"],
    ] as const) {
      expect(footer).toContain(`href="${path}"`);
      const legal = await request(example.url).get(path);
      expect([path, legal.status]).toEqual([path, 200]);
      expect(legal.text).toContain(`<h1>${title.replace("'", "&#39;")}</h1>`);
      expect(legal.text).toContain("Ce qu'un service doit publier ici");
    }
  });

  it("opens no empty mobile menu for anonymous visitors, and one with the tools once signed in", async () => {
    const anonymous = (await request(example.url).get("/")).text;
    expect(anonymous).not.toContain('id="menu-button"');
    const browser = await signIn(example.url, "test@fia1.fr");
    const signedIn = await request(example.url)
      .get("/")
      .set("cookie", browser.cookieHeader(example.url));
    expect(signedIn.text).toContain('id="menu-button"');
    expect(signedIn.text).toContain('href="/profil">Mon profil</a>');
  });

  it("says that /callback without parameters is no login under way, not an expired one", async () => {
    const response = await request(example.url).get("/callback");
    expect(response.status).toBe(400);
    expect(errorCode(response.text)).toBe("invalid_state");
    expect(response.text).toContain("Aucune connexion en cours");
    expect(response.text).not.toContain("Cette connexion a expiré");
  });

  it("retries a failed login with the page and the level it asked for", async () => {
    const agent = request.agent(example.url);
    const protectedPage = await agent.get("/dirigeant");
    const login = await agent.get(protectedPage.headers.location!);
    expect(login.status).toBe(303);
    const failed = await agent.get("/callback?state=forged&code=forged");
    expect(errorCode(failed.text)).toBe("invalid_state");
    const retry = /href="([^"]*)">Réessayer la connexion/.exec(failed.text)![1]!;
    expect(retry.replace(/&amp;/g, "&")).toBe(protectedPage.headers.location);
    // A login without returnTo nor acr forgets them.
    await agent.get("/login");
    const again = await agent.get("/callback?state=forged&code=forged");
    expect(again.text).toContain('href="/login">Réessayer la connexion');
  });

  it("serves the emulator's pages with security headers, an icon and a way back to the service", async () => {
    const browser = new TestBrowser();
    const login = await browser.navigate(`${example.url}/login`);
    expect(login.url.pathname).toMatch(/\/interaction\/[^/]+$/);
    const headers = (await browser.fetch(login.url)).headers;
    expect(headers.get("content-security-policy")).toMatch(
      /default-src 'none'.*frame-ancestors 'none'/,
    );
    expect(headers.get("x-frame-options")).toBe("DENY");
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(login.body).toContain(
      `<a href="${example.url}/">Revenir au service sans me connecter</a>`,
    );
    expect(login.body).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    const icon = await fetch(`${new URL(example.issuer).origin}/favicon.ico`);
    expect([icon.status, icon.headers.get("content-type")]).toEqual([
      200,
      "image/svg+xml; charset=utf-8",
    ]);
    // A wrong address: the title says so first, the focus is back in the field.
    const wrong = await browser.navigate(new URL(`${login.url.pathname}/login`, login.url), {
      method: "POST",
      form: { email: "personne@exemple.fr" },
    });
    expect(wrong.body).toMatch(/<title>Erreur – Connexion – /);
    expect(wrong.body).toMatch(/<input id="email"[^>]* aria-invalid="true"[^>]* autofocus>/);
    // Its error pages mark oidc-provider's English as such.
    const missing = await fetch(`${example.issuer}/nulle-part`);
    expect(await missing.text()).toMatch(/<span lang="en" data-error-message="[^"]*">Cannot GET /);
  });

  it("names the claim the identity provider did not send, never its value", () => {
    let failure: unknown;
    try {
      normalizeUser(
        { sub: "a-sub" },
        {
          sub: "a-sub",
          idp_id: "fia1v2",
          uid: "1",
          siret: "13002526500013",
          email: "pas-une-adresse",
          given_name: "Angela",
        },
        new Set(DEFAULT_SCOPES),
        { logger: { warn: () => undefined }, maxUserSize: 16_384 },
      );
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ProConnectError);
    const error = failure as ProConnectError;
    // The names of the failed claims, never their values: on the error itself.
    expect(error.claims).toEqual(["usual_name", "email"]);
    const message = errorMessageFor(error, { path: "/callback", query: {} } as never);
    expect(message.explanation).toContain("n'a pas transmis votre nom et votre adresse e-mail");
    expect(message.explanation).not.toContain("pas-une-adresse");
  });

  it("serves pages with no inline script or style and the DSFR from node_modules, not a CDN", async () => {
    const page = (await request(example.url).get("/")).text;
    expect(page).toMatch(/^<!doctype html>\s*<html lang="fr"/);
    const scripts = [...page.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(new RegExp(` src="${DSFR_URL}/`));
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const assets = [...page.matchAll(/(?:src|href)="([^"]+\.(?:css|js|woff2|svg|ico))"/g)].map(
      ([, url]) => url,
    );
    expect(assets).toContainEqual(expect.stringMatching(/^\/static\/site\.[0-9a-f]{12}\.css$/));
    for (const asset of assets) {
      expect(asset).toMatch(/^\//);
      const served = await request(example.url).get(asset!);
      expect([asset, served.status]).toEqual([asset, 200]);
    }
  });

  it("shows ProConnect's button and its « Qu'est-ce que ProConnect ? » link when anonymous", async () => {
    const page = (await request(example.url).get("/")).text;
    expect(page).toMatch(/<button type="submit" class="fr-connect fr-connect--pro">/);
    expect(page).toMatch(/S’identifier avec<\/span>\s*<span class="fr-connect__brand">ProConnect/);
    expect(page).toMatch(
      /<a\s+href="https:\/\/www\.proconnect\.gouv\.fr\/"\s+target="_blank"\s+rel="noopener"\s+title="Qu’est-ce que ProConnect \? – nouvelle fenêtre"\s*>Qu’est-ce que ProConnect \?<\/a>/,
    );
  });

  it("sets the login and session cookies httpOnly and SameSite=Lax (not Secure over plain HTTP)", async () => {
    const login = await request(example.url).get("/login");
    expect(login.status).toBe(303);
    const attempt = loginCookie(login);
    expect(attempt).toMatch(
      /^proconnect-login\.[\w-]+=[\w-]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );

    const { cookie } = await signInThroughProxy(example, {});
    expect(cookie).toMatch(/^session=/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/; Secure/);
  });

  it("answers /api/me with 401 JSON when anonymous, whatever the Accept header", async () => {
    for (const accept of ["application/json", "*/*", "text/html"]) {
      const response = await request(example.url).get("/api/me").set("accept", accept);
      expect([response.status, response.body.error]).toEqual([401, "unauthenticated"]);
      expect(response.type).toBe("application/json");
    }
  });

  it("answers /api/me with the user, and marks personal pages no-store, once signed in", async () => {
    const browser = await signIn(example.url, "test@fia1.fr");
    const cookie = browser.cookieHeader(example.url);
    const home = await request(example.url).get("/").set("Cookie", cookie);
    expect(home.text).toContain("Bonjour Angela Claire Louise");
    const me = await request(example.url).get("/api/me").set("Cookie", cookie);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      siret: "13002526500013",
      idp_id: "fia1v2",
      email: "test@fia1.fr",
    });
    const profile = await request(example.url).get("/profil").set("Cookie", cookie);
    expect(profile.status).toBe(200);
    expect(profile.headers["cache-control"]).toBe("no-store");
  });

  it("asks for MFA on « Espace sécurisé »: test@fia1.fr gets in with ProConnect's e-mail code", async () => {
    const browser = await signIn(example.url, "test@fia1.fr");
    const before = await request(example.url)
      .get("/securise")
      .set("Cookie", browser.cookieHeader(example.url));
    expect([before.status, before.headers.location]).toEqual([
      303,
      "/login?returnTo=%2Fsecurise&acr=eidas0-mfa+eidas1-mfa+eidas2+eidas3",
    ]);
    const page = await browser.navigate(`${example.url}/securise`, { email: "test@fia1.fr" });
    expect([page.status, page.url.pathname]).toEqual([200, "/securise"]);
    expect(page.body).toContain("code reçu par e-mail");
    expect(page.body).toContain("28 février 2027");
  });

  it("escapes what the identity provider sends: a name with markup stays text", async () => {
    const markup = '<img src=x onerror="alert(1)">';
    example.emulator!.setTamper({
      claims: (claims) => ({ ...claims, given_name: markup, organizational_unit: `"><script>` }),
    });
    try {
      const browser = new TestBrowser();
      const home = await browser.navigate(`${example.url}/login`, { email: "test@fia1.fr" });
      expect(home.body).toContain("Bonjour &lt;img src=x onerror=&quot;alert(1)&quot;&gt; DUBOIS");
      const profile = await browser.fetch(`${example.url}/profil`).then((page) => page.text());
      expect(profile).toContain("&quot;&gt;&lt;script&gt;");
      expect(`${home.body}${profile}`).not.toMatch(/<img src=x|"><script>/);
    } finally {
      example.emulator!.setTamper({});
    }
  });

  it("sends an anonymous visitor of « Mon profil » to login, with the way back", async () => {
    const response = await request(example.url).get("/profil");
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe("/login?returnTo=%2Fprofil");
  });

  it("turns a ProConnectError into the French error page with its code and status", async () => {
    const response = await request(example.url).get("/callback?state=forged&code=forged");
    expect(response.status).toBe(400);
    expect(errorCode(response.text)).toBe("invalid_state");
    expect(response.text).toContain("Cette connexion a expiré");
    expect(response.text).toContain("Code technique : <code>invalid_state</code>");
    expect(response.text).toContain('href="/login">Réessayer la connexion');
    expect(response.text).not.toMatch(/at \S+ \(|node_modules/);
    expect(logger.lines.some((line) => line.includes("invalid_state"))).toBe(true);
  });

  it("sends a visit on 127.0.0.1 to localhost, where the session cookie lives", async () => {
    const { port } = new URL(example.url);
    const response = await request(`http://127.0.0.1:${port}`).get("/profil?onglet=2");
    expect(response.status).toBe(308);
    expect(response.headers.location).toBe(`${example.url}/profil?onglet=2`);
    const sneaky = await request(`http://127.0.0.1:${port}`).get("//other.example/x");
    expect(sneaky.headers.location).toBe(`${example.url}//other.example/x`);
  });

  it("answers an unknown page with the French 404 page", async () => {
    const missing = await request(example.url).get("/nulle-part");
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("<h1>Page non trouvée</h1>");
  });
});

describe("example app when the session store fails", () => {
  /** A store that cannot be reached, as Redis during an outage: every call fails. */
  class UnreachableStore extends Store {
    override get(_sid: string, callback: (error: unknown) => void) {
      callback(new Error("connect ECONNREFUSED 10.0.0.1:6379"));
    }
    override set(_sid: string, _session: SessionData, callback?: (error?: unknown) => void) {
      callback?.(new Error("connect ECONNREFUSED 10.0.0.1:6379"));
    }
    override destroy(_sid: string, callback?: (error?: unknown) => void) {
      callback?.(new Error("connect ECONNREFUSED 10.0.0.1:6379"));
    }
  }

  it("shows the French store error page (503), without a stack, and logs the cause", async () => {
    const logger = recordingLogger();
    const example = await startExample(LOCAL, { logger, store: new UnreachableStore() });
    try {
      // The callback writes the signed-in session: that is where the store is needed.
      const login = await new TestBrowser().navigate(`${example.url}/login`, {
        email: "test@fia1.fr",
      });
      expect(login.url.pathname).toBe("/callback");
      expect(login.status).toBe(503);
      expect(login.body).toContain("Service momentanément indisponible");
      expect(login.body).not.toMatch(/ECONNREFUSED|at \S+ \(/);
      expect(logger.lines.some((line) => line.includes("ECONNREFUSED"))).toBe(true);
    } finally {
      await example.close();
    }
  });
});

/** What startExample() rejected with. */
const startFailure = (promise: Promise<RunningExample>): Promise<unknown> =>
  promise.then(
    async (example) => {
      await example.close();
      return undefined;
    },
    (error: unknown) => error,
  );

describe("example app with REDIS_URL, when Redis cannot be reached", () => {
  it("stops `npm start`'s entry with exit code 1 and one clear message naming REDIS_URL", async () => {
    const port = await freePort();
    const run = promisify(execFile);
    const failure = await run(process.execPath, ["--import", "tsx", "example-app/main.ts"], {
      cwd: root,
      // A hang would end here, as a failure of this test, not of the whole run.
      timeout: 15_000,
      env: {
        ...process.env,
        ...LOCAL,
        REDIS_URL: `redis://127.0.0.1:${port}`,
        SESSION_SECRET,
      },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(
      `The example app cannot start: REDIS_URL: cannot connect to Redis at redis://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}). Start Redis or fix REDIS_URL, or unset it to keep sessions in memory (one instance only).`,
    );
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });

  it("gives up on a server that accepts and never answers, closes the connection and stops retrying", async () => {
    const connections: Socket[] = [];
    const silent = createServer((socket) => {
      connections.push(socket);
      socket.resume(); // read what it sends, and so see it hang up
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const failure = await startFailure(
        startExample(
          { ...LOCAL, REDIS_URL: `redis://:s3cret@127.0.0.1:${port}`, SESSION_SECRET },
          { logger: recordingLogger(), redisConnectTimeout: 300 },
        ),
      );
      expect(failure).toBeInstanceOf(ConfigError);
      const message = (failure as Error).message;
      expect(message).toBe(
        `REDIS_URL: cannot connect to Redis at redis://:***@127.0.0.1:${port} (no answer within 0.3 s). Start Redis or fix REDIS_URL, or unset it to keep sessions in memory (one instance only).`,
      );
      expect(message).not.toContain("s3cret");
      expect(connections).toHaveLength(1);
      // The client let go of its connection…
      const socket = connections[0]!;
      if (!socket.closed) await new Promise((resolve) => socket.once("close", resolve));
      // …and no reconnection follows (one would come within a few tens of milliseconds).
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(connections).toHaveLength(1);
    } finally {
      silent.close();
      for (const socket of connections) socket.destroy();
    }
  });
});

const redisTarget = redisForTests("the example app's Redis test");

describe.runIf(redisTarget.run)("example app with REDIS_URL: sessions in Redis", () => {
  it("keeps a signed-in session in Redis under its prefix, and removes it at logout", async () => {
    const redis = await connectTestRedis(redisTarget);
    const redisUrl = redisTarget.url!;
    const example = await startExample(
      { ...LOCAL, REDIS_URL: redisUrl, SESSION_SECRET },
      { logger: recordingLogger() },
    );
    let key: string | undefined;
    try {
      expect(example.sessions).toBe("redis");
      expect(example.banner).toContain(
        `Sessions: in Redis at ${new URL(redisUrl).href} (keys ${REDIS_KEY_PREFIX}…), shared by every instance.`,
      );
      const browser = new TestBrowser();
      const home = await browser.navigate(`${example.url}/login`, { email: "test@fia1.fr" });
      expect(home.body).toContain("Bonjour Angela Claire Louise");
      const id = sessionIdIn(browser.cookieHeader(example.url), "session");
      expect(id).toBeDefined();
      key = `${REDIS_KEY_PREFIX}${id}`;
      const stored = JSON.parse((await redis.get(key)) ?? "null") as {
        proconnect?: { user?: { email?: string }; idToken?: string };
      } | null;
      expect(stored?.proconnect?.user?.email).toBe("test@fia1.fr");
      expect(stored?.proconnect?.idToken).toEqual(expect.any(String));
      // Redis expires it with the cookie (8 hours), not connect-redis's default day.
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(7 * 3600);
      expect(ttl).toBeLessThanOrEqual(8 * 3600);

      const out = await browser.navigate(`${example.url}/logout`, { method: "POST" });
      expect(out.url.pathname).toBe("/");
      expect(out.body).not.toContain("Bonjour");
      expect(await redis.exists(key)).toBe(0);
      // The browser holds no other session: logout left nothing in Redis.
      const after = sessionIdIn(browser.cookieHeader(example.url), "session");
      if (after !== undefined) expect(await redis.exists(`${REDIS_KEY_PREFIX}${after}`)).toBe(0);
    } finally {
      await example.close();
      if (key !== undefined) await redis.del(key);
      await redis.close();
    }
  });
});

describe("example app behind an HTTPS reverse proxy", () => {
  let example: RunningExample;

  beforeAll(async () => {
    example = await startExample(
      { ...LOCAL, APP_BASE_URL: "https://exemple.localhost", TRUST_PROXY: "loopback" },
      { logger: recordingLogger() },
    );
  });
  afterAll(() => example?.close());

  it("sets a Secure __Host- cookie, HSTS and upgrade-insecure-requests", async () => {
    expect(example.url).toBe("https://exemple.localhost");
    const login = await request(example.localUrl).get("/login").set("x-forwarded-proto", "https");
    expect(login.status).toBe(303);
    expect(loginCookie(login)).toMatch(
      /^__Host-proconnect-login\.[\w-]+=[\w-]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/,
    );
    const { cookie } = await signInThroughProxy(example, { "x-forwarded-proto": "https" });
    expect(cookie).toMatch(/^__Host-session=/);
    expect(cookie).toMatch(/; Path=\/;/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(login.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    expect(login.headers["content-security-policy"]).toContain("upgrade-insecure-requests");
  });
});

describe("example app with credentials (the real ProConnect's path, here pointed at an emulator)", () => {
  it("signs in through the configured issuer and says which mode it runs in", async () => {
    const emulator = await startTestEmulator();
    const example = await startExample(
      {
        ...LOCAL,
        PROCONNECT_CLIENT_ID: "registered-app",
        PROCONNECT_CLIENT_SECRET: CLIENT_SECRET,
        PROCONNECT_ENVIRONMENT: "integration",
        PROCONNECT_NETWORK: "internet",
        PROCONNECT_ISSUER: emulator.issuer,
      },
      { logger: recordingLogger() },
    );
    try {
      expect(example.mode).toBe("proconnect");
      expect(example.emulator).toBeUndefined();
      expect(example.banner).toContain(
        `Mode: ProConnect integration, internet network, ${emulator.issuer}`,
      );
      expect(example.banner).toContain(`redirect URI ${example.url}/callback`);
      expect(example.banner).not.toContain(CLIENT_SECRET);
      emulator.registerClient({
        clientId: "registered-app",
        clientSecret: CLIENT_SECRET,
        redirectUris: [`${example.url}/callback`],
        postLogoutRedirectUris: [`${example.url}/logout/callback`],
      });
      const home = await new TestBrowser().navigate(`${example.url}/login`, {
        email: "test@fia1.fr",
      });
      expect(home.body).toContain("Bonjour Angela Claire Louise");
    } finally {
      await example.close();
      await emulator.close();
    }
  });
});

describe("example app configuration", () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      parseEnv(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error("expected a ConfigError");
  };

  it("stops `npm start`'s entry with exit code 1 and one clear message on a bad variable", async () => {
    const run = promisify(execFile);
    const failure = await run(process.execPath, ["--import", "tsx", "example-app/main.ts"], {
      cwd: root,
      env: { ...process.env, PORT: "trois-mille", PROCONNECT_NETWORK: "intranet" },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/^The example app cannot start: invalid environment variables/);
    expect(failure?.stderr).toContain("must be a port number, 0 to 65535");
    expect(failure?.stderr).toMatch(/→ at PORT/);
    expect(failure?.stderr).toMatch(/must be internet or rie\s+→ at PROCONNECT_NETWORK/);
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });

  it("lists every wrong variable at once, with how to fix it", () => {
    const message = problemsOf({
      PROCONNECT_CLIENT_ID: "mon-service",
      PROCONNECT_ENVIRONMENT: "prod",
      APP_BASE_URL: "https://mon-service.gouv.fr/app",
      SESSION_SECRET: "court",
    });
    expect(message).toMatch(
      /set PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET together.*\n.*→ at PROCONNECT_CLIENT_SECRET/,
    );
    expect(message).toMatch(/must be integration or production\s+→ at PROCONNECT_ENVIRONMENT/);
    expect(message).toMatch(/must be an origin without a path.*\n.*→ at APP_BASE_URL/);
    expect(message).toMatch(/at least 32 characters.*\n.*→ at SESSION_SECRET/);
    expect(message).toMatch(/set how many proxies to trust.*\n.*→ at TRUST_PROXY/);
  });

  it("requires the environment and network with credentials, and a session secret in production", () => {
    const message = problemsOf({ PROCONNECT_CLIENT_ID: "a", PROCONNECT_CLIENT_SECRET: "b" });
    expect(message).toMatch(
      /required with credentials: integration or production\s+→ at PROCONNECT_ENVIRONMENT/,
    );
    expect(message).toMatch(/required with credentials: internet or rie\s+→ at PROCONNECT_NETWORK/);
    const production = problemsOf({
      PROCONNECT_CLIENT_ID: "a",
      PROCONNECT_CLIENT_SECRET: "b",
      PROCONNECT_ENVIRONMENT: "production",
      PROCONNECT_NETWORK: "rie",
    });
    expect(production).toMatch(/required in production.*\n.*→ at SESSION_SECRET/);
  });

  it("refuses a ProConnect setting without credentials instead of silently using the emulator", () => {
    expect(problemsOf({ PROCONNECT_ENVIRONMENT: "production" })).toMatch(
      /is set but the credentials are not.*\n.*→ at PROCONNECT_ENVIRONMENT/,
    );
  });

  it("refuses a REDIS_URL that is not a redis:// or rediss:// URL", () => {
    for (const value of ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", "redis:6379"]) {
      const message = problemsOf({ REDIS_URL: value, SESSION_SECRET });
      expect([value, message]).toEqual([
        value,
        expect.stringMatching(
          /must be a redis:\/\/ or rediss:\/\/ URL, e\.g\. redis:\/\/127\.0\.0\.1:6379\s+→ at REDIS_URL/,
        ),
      ]);
    }
    // The value is not repeated: it may hold a password.
    expect(
      problemsOf({ REDIS_URL: "http://user:s3cret@redis.internal", SESSION_SECRET }),
    ).not.toContain("s3cret");
    expect(
      parseEnv({ REDIS_URL: "rediss://user:pass@redis.internal:6380/2", SESSION_SECRET }),
    ).toMatchObject({
      REDIS_URL: "rediss://user:pass@redis.internal:6380/2",
    });
  });

  it("requires SESSION_SECRET with REDIS_URL: instances sharing sessions share the cookie secret", () => {
    expect(problemsOf({ REDIS_URL: "redis://127.0.0.1:6379" })).toMatch(
      /required with REDIS_URL: every instance sharing the sessions must sign their cookies with the same secret\s+→ at SESSION_SECRET/,
    );
  });

  it("treats an empty variable as unset and ignores the rest of the environment", () => {
    expect(parseEnv({ PORT: "", PROCONNECT_CLIENT_ID: "", HOME: "/root" })).toMatchObject({
      PORT: 3000,
      EMULATOR_PORT: 4000,
      PROCONNECT_CLIENT_ID: undefined,
    });
    expect(parseEnv({ TRUST_PROXY: "2" }).TRUST_PROXY).toBe(2);
    expect(parseEnv({ TRUST_PROXY: "loopback, 10.0.0.0/8" }).TRUST_PROXY).toBe(
      "loopback, 10.0.0.0/8",
    );
  });

  it("reports the middleware's own refusal (http in production) as a start-up error naming the variable", async () => {
    const failure = await startExample({
      ...LOCAL,
      PROCONNECT_CLIENT_ID: "mon-service",
      PROCONNECT_CLIENT_SECRET: "s".repeat(40),
      PROCONNECT_ENVIRONMENT: "production",
      PROCONNECT_NETWORK: "internet",
      SESSION_SECRET: "x".repeat(40),
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/https:\/\/.*→ at baseUrl/s);
    expect((failure as Error).message).toContain("baseUrl is APP_BASE_URL");
  });
});
