// The audit trail on node:diagnostics_channel: every channel subscribed, each event's payload checked
// through real logins, logouts, refreshes and Bearer calls, and no payload holding a secret.
import { createServer } from "node:http";
import * as diagnostics_channel from "node:diagnostics_channel";
import express from "express";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  auditLog,
  getAccessToken,
  PROCONNECT_CHANNELS,
  requireBearer,
  type ProConnectOptions,
} from "../lib/index.js";
import { publish } from "../lib/events.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { sessionIdOf, startTestApp, storedSessions, type TestApp } from "./helpers/app.js";
import {
  CLIENT_SECRET,
  failOnly,
  registerResourceServer,
  startTestEmulator,
} from "./helpers/emulator.js";
import { pinoInMemory } from "./helpers/logs.js";
import { listen } from "./helpers/net.js";
import { forgeSignature, upToCallback, withApp } from "./helpers/refusals.js";
import { FlakyStore } from "./helpers/token-app.js";

type Payload = Record<string, unknown>;
type Channel = keyof typeof PROCONNECT_CHANNELS;

/** Every event published while the file runs, by channel, in order. */
const seen: { channel: Channel; payload: Payload }[] = [];
/** What must never be in a payload: tokens, codes, states and cookie values met along the way. */
const secrets = new Set<string>();

const listeners = Object.keys(PROCONNECT_CHANNELS).map((channel) => ({
  name: PROCONNECT_CHANNELS[channel as Channel],
  listener: (payload: unknown) =>
    seen.push({ channel: channel as Channel, payload: payload as Payload }),
}));

// The same events through auditLog() to pino at debug, every line kept: what pino writes holds no secret either.
const audit = pinoInMemory("debug");
let stopAudit: () => void;

/** The events of `channel` since the file began. */
const eventsOf = (channel: Channel) => seen.filter((event) => event.channel === channel);
/** Where the running test began in `seen`. */
let mark = 0;
const since = (channel: Channel) =>
  seen
    .slice(mark)
    .filter((event) => event.channel === channel)
    .map((event) => event.payload);

/** Every cookie value `browser` holds for `url`. */
function keepCookies(browser: TestBrowser, url: string): void {
  for (const pair of browser.cookieHeader(url).split("; ")) {
    const value = pair.slice(pair.indexOf("=") + 1);
    if (value.length >= 8) secrets.add(value);
  }
}

let emulator: ProConnectEmulator;
let app: TestApp;
const SIGNED_IN = { idp_id: "fia1v2", siret: "13002526500013" };

/** The test app, named "audit", keeping tokens, with a /token route that always refreshes. */
function auditApp(options: Partial<ProConnectOptions> = {}, store?: FlakyStore) {
  return {
    options: { name: "audit", storeTokens: true, ...options },
    ...(store ? { store } : {}),
    routes: (router: express.Express) =>
      router.get("/token", async (req, res, next) => {
        try {
          res.json({ token: await getAccessToken(req, { minValidity: 3000 }) });
        } catch (error) {
          next(error);
        }
      }),
  };
}

beforeAll(async () => {
  for (const { name, listener } of listeners) diagnostics_channel.subscribe(name, listener);
  stopAudit = auditLog(audit.logger);
  // Access tokens of 60 s: getAccessToken({ minValidity: 3000 }) refreshes every time.
  emulator = await startTestEmulator({ ttl: { accessToken: 60 } });
  app = await startTestApp(emulator, auditApp());
});
afterAll(async () => {
  for (const { name, listener } of listeners) diagnostics_channel.unsubscribe(name, listener);
  stopAudit?.();
  await app?.close();
  await emulator?.close();
});
beforeEach(() => {
  mark = seen.length;
  emulator.setTamper(undefined);
});

/** The stored session's tokens for `browser`, kept as secrets. */
async function keepSessionSecrets(browser: TestBrowser, target = app) {
  const id = sessionIdOf(browser, target)!;
  secrets.add(id);
  const data = (await storedSessions(target.store))[id]!["proconnect:audit"] as {
    idToken: string;
    tokens: { accessToken: string; refreshToken: string };
  };
  secrets.add(data.idToken);
  secrets.add(data.tokens.accessToken);
  secrets.add(data.tokens.refreshToken);
  return data;
}

/** A login up to the callback, its code, state and cookies kept as secrets. */
async function toCallback(target: TestApp, browser: TestBrowser): Promise<URL> {
  const callback = await upToCallback(target, browser);
  secrets.add(callback.searchParams.get("code")!);
  secrets.add(callback.searchParams.get("state")!);
  keepCookies(browser, target.url);
  return callback;
}

/** A whole login, its secrets kept. */
async function login(target: TestApp, browser = new TestBrowser()) {
  const page = await browser.navigate(await toCallback(target, browser));
  keepCookies(browser, target.url);
  return { browser, page };
}

describe("events: a login", () => {
  it("publishes login:start and login:success with who, how and how long", async () => {
    const started = Date.now();
    const { browser, page } = await login(app);
    expect(page.status).toBe(200);
    const { tokens } = await keepSessionSecrets(browser);
    const sub = emulator.identities[0]!.sub;
    expect(since("loginStart")).toEqual([{ instance: "audit" }]);
    const [success] = since("loginSuccess");
    expect(success).toEqual({
      instance: "audit",
      sub,
      ...SIGNED_IN,
      acr: undefined,
      amr: undefined,
      durationMs: expect.any(Number),
    });
    expect(success!.durationMs).toBeGreaterThanOrEqual(0);
    expect(success!.durationMs).toBeLessThanOrEqual(Date.now() - started + 1000);
    expect(since("loginFailure")).toEqual([]);
    expect(tokens.accessToken).toEqual(expect.any(String));
  });

  it("says which acr a login asks for, and that it is silent", async () => {
    const browser = new TestBrowser();
    const acr = "https://proconnect.gouv.fr/assurance/certification-dirigeant";
    await browser.navigate(`${app.url}/login?acr=${encodeURIComponent(acr)}&prompt=none`, {
      stopAt: () => true,
    });
    expect(since("loginStart")).toEqual([{ instance: "audit", acr: [acr], silent: true }]);
  });
});

/** The failure of a login ProConnect had vouched for: the person named. */
const vouched = (code: string, status: number, step: string) => ({
  instance: "audit",
  code,
  status,
  step,
  sub: emulator.identities[0]!.sub,
  idp_id: "fia1v2",
});

describe("events: a login that fails, at each step", () => {
  it("callback: a forged state, nobody named", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/callback?state=forged-state-value&code=forged-code&iss=x`);
    expect(since("loginFailure")).toEqual([
      { instance: "audit", code: "invalid_state", status: 400, step: "callback" },
    ]);
  });

  it("token: the token endpoint refuses the code exchange, nobody named", async () => {
    failOnly(emulator, "token", { status: 500, body: "{}" });
    await login(app);
    expect(since("loginFailure")).toEqual([
      { instance: "audit", code: "provider_error", status: 502, step: "token" },
    ]);
  });

  it("token: an id_token whose signature is forged, nobody named", async () => {
    emulator.setTamper({ idToken: forgeSignature });
    await login(app);
    expect(since("loginFailure")).toEqual([
      { instance: "audit", code: "invalid_id_token", status: 502, step: "token" },
    ]);
  });

  it("userinfo: a forged userinfo, once the id_token had vouched for the person (sub)", async () => {
    emulator.setTamper({ userinfo: forgeSignature });
    await login(app);
    expect(since("loginFailure")).toEqual([
      {
        instance: "audit",
        code: "invalid_userinfo",
        status: 502,
        step: "userinfo",
        sub: emulator.identities[0]!.sub,
      },
    ]);
  });

  it("claims: an invalid SIRET, and an identity provider allowedIdps refuses", async () => {
    emulator.setTamper({
      claims: (claims, { use }) => (use === "userinfo" ? { ...claims, siret: "123" } : claims),
    });
    await login(app);
    emulator.setTamper(undefined);
    await withApp(emulator, auditApp({ allowedIdps: ["another-idp"] }), (refusing) =>
      login(refusing),
    );
    expect(since("loginFailure")).toEqual([
      vouched("invalid_user_claims", 502, "claims"),
      vouched("idp_not_allowed", 403, "claims"),
    ]);
    expect(since("loginSuccess")).toEqual([]);
  });

  it("onLogin: the app's hook refuses", async () => {
    const onLogin = () => {
      throw new Error("not a member of this service");
    };
    await withApp(emulator, auditApp({ onLogin }), (refusing) => login(refusing));
    expect(since("loginFailure")).toEqual([vouched("login_rejected", 403, "onLogin")]);
  });

  it("session: the store fails to write the new session, with session-store:failure", async () => {
    const store = new FlakyStore();
    await withApp(emulator, auditApp({ sessionTimeout: 500 }, store), async (failing) => {
      const browser = new TestBrowser();
      const callback = await toCallback(failing, browser);
      store.failing = true;
      await browser.navigate(callback);
    });
    expect(since("loginFailure")).toEqual([vouched("session_store_unavailable", 503, "session")]);
    expect(since("sessionStoreFailure")).toContainEqual({
      operation: "set",
      code: "session_store_unavailable",
      timedOut: false,
    });
  });
});

describe("events: after the login", () => {
  it("token:refresh: refreshed, then refused when ProConnect refuses the refresh token", async () => {
    const { browser } = await login(app);
    await keepSessionSecrets(browser);
    const refreshed = await browser.fetch(`${app.url}/token`);
    const { token } = (await refreshed.json()) as { token: string };
    secrets.add(token);
    await keepSessionSecrets(browser);
    failOnly(emulator, "token", { status: 400, body: '{"error":"invalid_grant"}' });
    expect((await browser.fetch(`${app.url}/token`)).status).toBe(401);
    const sub = emulator.identities[0]!.sub;
    expect(since("tokenRefresh")).toEqual([
      { instance: "audit", sub, outcome: "refreshed" },
      { instance: "audit", sub, outcome: "refused", code: "reauthentication_required" },
    ]);
  });

  it("logout: who signed out", async () => {
    const { browser } = await login(app);
    await keepSessionSecrets(browser);
    mark = seen.length;
    await browser.navigate(`${app.url}/logout`, { method: "POST", stopAt: () => true });
    expect(since("logout")).toEqual([
      { instance: "audit", sub: emulator.identities[0]!.sub, idp_id: "fia1v2" },
    ]);
  });

  it("bearer:accept and bearer:refuse: the sub and the client; the code", async () => {
    const { browser } = await login(app);
    const { tokens } = await keepSessionSecrets(browser);
    registerResourceServer(emulator, "rs-events");
    const api = express();
    const connection = {
      clientSecret: CLIENT_SECRET,
      issuer: emulator.issuer,
      cache: false,
    } as const;
    api.get(
      "/any",
      requireBearer({ ...connection, clientId: "rs-events", allowAnyClient: true }),
      (_req, res) => {
        res.json({});
      },
    );
    api.get(
      "/other",
      requireBearer({ ...connection, clientId: "rs-events", allowedClients: ["other"] }),
      (_req, res) => {
        res.json({});
      },
    );
    const served = await listen(createServer(api));
    try {
      const call = (path: string, token: string) =>
        fetch(`${served.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect((await call("/any", tokens.accessToken)).status).toBe(200);
      expect((await call("/other", tokens.accessToken)).status).toBe(401);
      expect((await call("/any", "an-unknown-token-of-forty-three-characters-x")).status).toBe(401);
      expect((await fetch(`${served.url}/any`)).status).toBe(401);
    } finally {
      await served.close();
    }
    expect(since("bearerAccept")).toEqual([
      { sub: emulator.identities[0]!.sub, client_id: app.clientId },
    ]);
    expect(since("bearerRefuse")).toEqual([
      { code: "invalid_token", client_id: app.clientId },
      { code: "invalid_token" },
      { code: "unauthenticated" },
    ]);
  });
});

describe("events: what they never hold", () => {
  it("has seen every channel, and no payload holds a token, a code, a state or a cookie value", () => {
    for (const channel of Object.keys(PROCONNECT_CHANNELS) as Channel[]) {
      expect(eventsOf(channel).length, channel).toBeGreaterThan(0);
    }
    expect(secrets.size).toBeGreaterThan(20);
    const all = JSON.stringify(seen);
    for (const secret of secrets) expect(all).not.toContain(secret);
    // pino's lines, one per event (auditLog writes every channel, at debug included).
    const lines = audit.raw.join("\n");
    expect(audit.raw.length).toBe(seen.length);
    for (const secret of secrets) expect(lines).not.toContain(secret);
  });
});

describe("events: nobody listening", () => {
  it("builds no payload while a channel has no subscriber, and one per event once someone listens", () => {
    for (const { name, listener } of listeners) diagnostics_channel.unsubscribe(name, listener);
    stopAudit();
    try {
      for (const { name } of listeners)
        expect(diagnostics_channel.hasSubscribers(name)).toBe(false);
      let built = 0;
      const build = () => {
        built += 1;
        return { instance: "audit" };
      };
      publish("loginStart", build);
      publish("loginStart", () => {
        throw new Error("built with nobody listening");
      });
      expect(built).toBe(0);
      const heard: unknown[] = [];
      const listener = (payload: unknown) => heard.push(payload);
      diagnostics_channel.subscribe(PROCONNECT_CHANNELS.loginStart, listener);
      publish("loginStart", build);
      diagnostics_channel.unsubscribe(PROCONNECT_CHANNELS.loginStart, listener);
      expect([built, heard]).toEqual([1, [{ instance: "audit" }]]);
    } finally {
      for (const { name, listener } of listeners) diagnostics_channel.subscribe(name, listener);
      stopAudit = auditLog(audit.logger);
    }
  });
});
