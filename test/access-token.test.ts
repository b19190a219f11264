// getAccessToken(): the signed-in person's access token, refreshed at the emulator's token endpoint
// (lifetimes shortened through its `ttl` option), stored in the session, one refresh per session.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { RedisStore } from "connect-redis";
import express, { type NextFunction, type Request, type Response } from "express";
import session, { MemoryStore, type SessionData, type Store } from "express-session";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  getAccessToken,
  proconnect,
  ProConnectError,
  type ProConnectOptions,
} from "../lib/index.js";
import type { ProConnectSessionData } from "../lib/session.js";
import {
  startProConnectEmulator,
  TestBrowser,
  type EmulatorOptions,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import { CLIENT_SECRET } from "./helpers/emulator.js";
import {
  connectTestRedis,
  deleteKeysUnder,
  redisForTests,
  sessionIdIn,
  uniquePrefix,
  type TestRedis,
} from "./helpers/redis.js";

const EMAIL = "test@fia1.fr";
const TOKEN_PATH = "/api/v2/token";

interface Gate {
  /** Resolves when a request has loaded its session and waits at the gate. */
  reached: Promise<void>;
  opened: Promise<void>;
  reach(): void;
  open(): void;
}

function gate(): Gate {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { reached, opened, reach, open };
}

interface TokenApp {
  url: string;
  store: Store;
  warnings: string[];
  /** The next request to /token waits here, its session loaded. */
  hold(): Gate;
  close(): Promise<void>;
}

/** A store whose writes fail while `failing` is set. */
class FlakyStore extends MemoryStore {
  failing = false;
  override set(sid: string, data: SessionData, callback?: (error?: unknown) => void): void {
    if (this.failing) callback?.(new Error("the store is down"));
    else super.set(sid, data, callback);
  }
}

async function startTokenApp(
  emulator: ProConnectEmulator,
  setup: {
    store?: Store;
    clientId?: string;
    options?: Partial<ProConnectOptions>;
    /** A second instance, named "b", with its own client and routes under /b. */
    second?: boolean;
    /** Leave the client's registration to the test. */
    unregistered?: boolean;
  } = {},
): Promise<TokenApp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = setup.clientId ?? `tokens-${(server.address() as AddressInfo).port}`;
  if (!setup.unregistered) {
    emulator.registerClient({
      clientId,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${url}/callback`],
      postLogoutRedirectUris: [`${url}/logout/callback`],
    });
  }
  const warnings: string[] = [];
  const store = setup.store ?? new MemoryStore();
  const app = express();
  app.use(
    session({
      secret: "access-token-test-secret",
      resave: false,
      saveUninitialized: false,
      store,
      cookie: { httpOnly: true, sameSite: "lax" },
    }),
  );
  const auth = proconnect({
    clientId,
    clientSecret: CLIENT_SECRET,
    baseUrl: url,
    issuer: emulator.issuer,
    storeTokens: true,
    logger: { warn: (message) => warnings.push(message) },
    ...setup.options,
  });
  app.use(auth);
  let second: ReturnType<typeof proconnect> | undefined;
  if (setup.second) {
    const secondId = `${clientId}-b`;
    emulator.registerClient({
      clientId: secondId,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${url}/b/callback`],
      postLogoutRedirectUris: [`${url}/b/logout/callback`],
    });
    second = proconnect({
      name: "b",
      clientId: secondId,
      clientSecret: CLIENT_SECRET,
      baseUrl: url,
      issuer: emulator.issuer,
      storeTokens: true,
      routes: {
        login: "/b/login",
        callback: "/b/callback",
        logout: "/b/logout",
        logoutCallback: "/b/logout/callback",
      },
    });
    app.use(second);
  }
  const holds: Gate[] = [];
  app.use("/token", async (_req, _res, next) => {
    const held = holds.shift();
    if (held) {
      held.reach();
      await held.opened;
    }
    next();
  });
  const minValidity = (req: Request) =>
    req.query.min === undefined ? {} : { minValidity: Number(req.query.min) };
  app.get("/token", async (req, res, next) => {
    try {
      res.json({ token: await auth.getAccessToken(req, minValidity(req)) });
    } catch (error) {
      next(error);
    }
  });
  app.get("/plain-token", async (req, res, next) => {
    try {
      res.json({ token: await getAccessToken(req, minValidity(req)) });
    } catch (error) {
      next(error);
    }
  });
  app.get("/b/token", async (req, res, next) => {
    try {
      res.json({ token: await second!.getAccessToken(req, minValidity(req)) });
    } catch (error) {
      next(error);
    }
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof ProConnectError) {
      res.status(error.status).json({ code: error.code, message: error.message });
    } else res.status(500).json({ code: "unexpected", message: String(error) });
  });
  server.on("request", app);
  return {
    url,
    store,
    warnings,
    hold() {
      const held = gate();
      holds.push(held);
      return held;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Waits for `condition`, 5 s at most. */
async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !condition(); await sleep(10)) {
    if (Date.now() > deadline) throw new Error("the condition did not come true within 5 s");
  }
}

const refreshes = (emulator: ProConnectEmulator) => emulator.requestCounts()[TOKEN_PATH] ?? 0;

async function tokenOf(browser: TestBrowser, url: string) {
  const answer = await browser.fetch(url, { headers: { accept: "application/json" } });
  const body = (await answer.json()) as { token?: string; code?: string; message?: string };
  return { status: answer.status, ...body, setCookie: answer.headers.getSetCookie().join("\n") };
}

/** The instance's data in the session `store` holds for `browser`. */
async function storedData(
  store: Store,
  browser: TestBrowser,
  url: string,
  key = "proconnect",
): Promise<ProConnectSessionData> {
  const id = sessionIdIn(browser.cookieHeader(url), "connect.sid");
  const stored = await new Promise<Record<string, ProConnectSessionData> | undefined>(
    (resolve, reject) =>
      store.get(id!, (error, data) => (error ? reject(error) : resolve(data as never))),
  );
  return stored![key]!;
}

async function emulatorWith(ttl: EmulatorOptions["ttl"]): Promise<ProConnectEmulator> {
  return startProConnectEmulator({ strict: true, ttl });
}

/** Introspects a token at the emulator as a client of its own: whether ProConnect still accepts it. */
async function isActive(emulator: ProConnectEmulator, token: string): Promise<boolean> {
  emulator.registerClient({
    clientId: "introspector",
    clientSecret: CLIENT_SECRET,
    redirectUris: ["http://127.0.0.1:9/callback"],
  });
  const answer = await fetch(`${emulator.issuer}/token/introspection`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, client_id: "introspector", client_secret: CLIENT_SECRET }),
  });
  return ((await answer.json()) as { active: boolean }).active;
}

describe("getAccessToken()", () => {
  let emulator: ProConnectEmulator;
  let app: TokenApp;

  beforeAll(async () => {
    // Access tokens of 2 s: expired within a test, refresh tokens of an hour.
    emulator = await emulatorWith({ accessToken: 2, refreshToken: 3600 });
    app = await startTokenApp(emulator, { second: true });
  });
  afterAll(async () => {
    await app?.close();
    await emulator?.close();
  });

  it("returns the session's access token while it is valid, without calling ProConnect", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const stored = (await storedData(app.store, browser, app.url)).tokens!;
    const before = refreshes(emulator);
    const first = await tokenOf(browser, `${app.url}/token?min=0`);
    expect(first).toMatchObject({ status: 200, token: stored.accessToken });
    expect(refreshes(emulator)).toBe(before);
    // Two instances on this path: the plain function cannot tell whose token, as requireAuth().
    const plain = await tokenOf(browser, `${app.url}/plain-token?min=0`);
    expect([plain.status, plain.code]).toEqual([500, "not_configured"]);
  });

  it("refreshes an expired token, stores the new pair, and keeps tokens out of cookies and logs", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const old = (await storedData(app.store, browser, app.url)).tokens!;
    await sleep(2100);
    const before = refreshes(emulator);
    const answer = await tokenOf(browser, `${app.url}/token?min=0`);
    expect(answer.status).toBe(200);
    expect(answer.token).not.toBe(old.accessToken);
    expect(refreshes(emulator)).toBe(before + 1);
    const stored = (await storedData(app.store, browser, app.url)).tokens!;
    expect(stored.accessToken).toBe(answer.token);
    expect(stored.refreshToken).toEqual(expect.any(String));
    expect(stored.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(await isActive(emulator, answer.token!)).toBe(true);
    // The next call uses the stored token.
    expect(await tokenOf(browser, `${app.url}/token?min=0`)).toMatchObject({
      token: answer.token,
    });
    expect(refreshes(emulator)).toBe(before + 1);
    // Never in a cookie, never in a log line.
    for (const secret of [old.accessToken, old.refreshToken!, stored.accessToken]) {
      expect(browser.cookieHeader(app.url)).not.toContain(secret);
      expect(answer.setCookie).not.toContain(secret);
      expect(app.warnings.join("\n")).not.toContain(secret);
    }
  });

  it("refreshes a token about to expire: within minValidity (60 s by default)", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const old = (await storedData(app.store, browser, app.url)).tokens!;
    const before = refreshes(emulator);
    const answer = await tokenOf(browser, `${app.url}/token`); // expires in 2 s < 60 s
    expect(answer.token).not.toBe(old.accessToken);
    expect(refreshes(emulator)).toBe(before + 1);
  });

  it("does one refresh for ten concurrent requests of one session", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    await sleep(2100);
    const before = refreshes(emulator);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => tokenOf(browser, `${app.url}/token?min=0`)),
    );
    expect(refreshes(emulator)).toBe(before + 1);
    expect(new Set(answers.map((answer) => `${answer.status} ${answer.token}`)).size).toBe(1);
    expect(answers[0]!.status).toBe(200);
    expect((await storedData(app.store, browser, app.url)).tokens!.accessToken).toBe(
      answers[0]!.token,
    );
  });

  it("refreshes two sessions separately", async () => {
    const one = new TestBrowser();
    const two = new TestBrowser();
    // Two browsers, two sessions: but storedData expects one, so only count here.
    await one.navigate(`${app.url}/login`, { email: EMAIL });
    await two.navigate(`${app.url}/login`, { email: "jean.martin@fia2.fr" });
    await sleep(2100);
    const before = refreshes(emulator);
    const [a, b] = await Promise.all([
      tokenOf(one, `${app.url}/token?min=0`),
      tokenOf(two, `${app.url}/token?min=0`),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.token).not.toBe(b.token);
    expect(refreshes(emulator)).toBe(before + 2);
  });

  it("uses each named instance's own tokens", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    await browser.navigate(`${app.url}/b/login`, { email: EMAIL });
    const mine = {
      proconnect: await storedData(app.store, browser, app.url),
      "proconnect:b": await storedData(app.store, browser, app.url, "proconnect:b"),
    };
    const a = await tokenOf(browser, `${app.url}/token?min=0`);
    const b = await tokenOf(browser, `${app.url}/b/token?min=0`);
    expect(a.token).toBe(mine.proconnect!.tokens!.accessToken);
    expect(b.token).toBe(mine["proconnect:b"]!.tokens!.accessToken);
    expect(a.token).not.toBe(b.token);
  });

  it("answers unauthenticated without a signed-in user", async () => {
    const answer = await tokenOf(new TestBrowser(), `${app.url}/token`);
    expect([answer.status, answer.code]).toEqual([401, "unauthenticated"]);
  });

  it("refuses a minValidity out of range", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const answer = await tokenOf(browser, `${app.url}/token?min=-1`);
    expect([answer.status, answer.code]).toEqual([500, "invalid_options"]);
  });
});

describe("getAccessToken() when things go wrong", () => {
  const started: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const each of started.reverse()) await each.close();
  });

  it("is not_configured without storeTokens: true", async () => {
    const emulator = await emulatorWith({});
    started.push(emulator);
    const app = await startTokenApp(emulator, { options: { storeTokens: false } });
    started.push(app);
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const answer = await tokenOf(browser, `${app.url}/token`);
    expect([answer.status, answer.code]).toEqual([500, "not_configured"]);
    expect(answer.message).toContain("storeTokens: true");
  });

  it("is reauthentication_required once the refresh token has expired", async () => {
    const emulator = await emulatorWith({ accessToken: 1, refreshToken: 2 });
    started.push(emulator);
    const app = await startTokenApp(emulator);
    started.push(app);
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    await sleep(2200);
    const before = refreshes(emulator);
    const answer = await tokenOf(browser, `${app.url}/token?min=0`);
    expect([answer.status, answer.code]).toEqual([401, "reauthentication_required"]);
    expect(refreshes(emulator)).toBe(before + 1);
    expect(answer.message).not.toContain(
      (await storedData(app.store, browser, app.url)).tokens!.refreshToken!,
    );
  });

  it("is reauthentication_required when ProConnect revoked the refresh token", async () => {
    const emulator = await emulatorWith({ accessToken: 1 });
    started.push(emulator);
    const app = await startTokenApp(emulator, { clientId: "revoking-app" });
    started.push(app);
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const { refreshToken } = (await storedData(app.store, browser, app.url)).tokens!;
    const revoked = await fetch(`${emulator.issuer}/token/revocation`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        token: refreshToken!,
        client_id: "revoking-app",
        client_secret: CLIENT_SECRET,
      }),
    });
    expect(revoked.status).toBe(200);
    await sleep(1100);
    const answer = await tokenOf(browser, `${app.url}/token?min=0`);
    expect([answer.status, answer.code]).toEqual([401, "reauthentication_required"]);
  });

  it("changes nothing when the new pair cannot be stored: session_store_unavailable", async () => {
    const emulator = await emulatorWith({ accessToken: 1 });
    started.push(emulator);
    const store = new FlakyStore();
    const app = await startTokenApp(emulator, { store });
    started.push(app);
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const old = (await storedData(store, browser, app.url)).tokens!;
    await sleep(1100);
    store.failing = true;
    const failed = await tokenOf(browser, `${app.url}/token?min=0`);
    expect([failed.status, failed.code]).toEqual([503, "session_store_unavailable"]);
    store.failing = false;
    expect((await storedData(store, browser, app.url)).tokens).toEqual(old);
    // The next request refreshes again, with the refresh token the session still holds (the plain
    // function: this app has one instance).
    const answer = await tokenOf(browser, `${app.url}/plain-token?min=0`);
    expect(answer.status).toBe(200);
    expect((await storedData(store, browser, app.url)).tokens!.accessToken).toBe(answer.token);
  });

  it("is timeout when the token endpoint hangs, within httpTimeout", async () => {
    const emulator = await emulatorWith({ accessToken: 1 });
    started.push(emulator);
    const app = await startTokenApp(emulator, { options: { httpTimeout: 500 } });
    started.push(app);
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    await sleep(1100);
    emulator.setTamper({ fault: (endpoint) => (endpoint === "token" ? "hang" : undefined) });
    const started_ = Date.now();
    const answer = await tokenOf(browser, `${app.url}/token?min=0`);
    emulator.setTamper(undefined);
    expect([answer.status, answer.code]).toEqual([504, "timeout"]);
    expect(Date.now() - started_).toBeLessThan(2000);
  });
});

const redisTarget = redisForTests("the getAccessToken() tests on Redis");

describe.runIf(redisTarget.run)("getAccessToken() with two instances on one Redis", () => {
  let redis: TestRedis;
  const clients: TestRedis[] = [];
  const prefix = uniquePrefix("access-token");
  const started: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    redis = await connectTestRedis(redisTarget);
  });
  afterEach(async () => {
    await redis?.sendCommand(["CLIENT", "UNPAUSE"]);
    for (const each of started.splice(0).reverse()) await each.close();
    await deleteKeysUnder(redis, prefix);
  });
  afterAll(async () => {
    for (const client of clients) if (client.isOpen) await client.close();
    if (redis?.isOpen) await redis.close();
  });

  /** Two apps (two processes' worth: two proconnect(), two single-flight maps) on one Redis store. */
  async function twoInstances(ttl: EmulatorOptions["ttl"]) {
    const emulator = await emulatorWith(ttl);
    started.push(emulator);
    // A connection each, as two processes have: one connection runs its commands in order, so a
    // held write of A's would hold B's reads behind it.
    const store = async () => {
      const client = redis.duplicate();
      client.on("error", () => undefined);
      await client.connect();
      clients.push(client);
      return new RedisStore({ client, prefix });
    };
    const setup = { clientId: "scaled", unregistered: true };
    const a = await startTokenApp(emulator, { ...setup, store: await store() });
    const b = await startTokenApp(emulator, { ...setup, store: await store() });
    started.push(a, b);
    emulator.registerClient({
      clientId: "scaled",
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${a.url}/callback`, `${b.url}/callback`],
    });
    // The browser's cookies go by host (127.0.0.1): both instances see the same session cookie.
    const browser = new TestBrowser();
    await browser.navigate(`${a.url}/login`, { email: EMAIL });
    return { emulator, a, b, browser };
  }

  const storedOnRedis = async () => {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch);
    expect(keys).toHaveLength(1);
    return (JSON.parse((await redis.get(keys[0]!))!) as { proconnect: ProConnectSessionData })
      .proconnect.tokens!;
  };

  it("uses on B the pair A refreshed, without a refresh of its own", async () => {
    const { emulator, a, b, browser } = await twoInstances({ accessToken: 1 });
    await sleep(1100);
    const before = refreshes(emulator);
    const onA = await tokenOf(browser, `${a.url}/token?min=0`);
    const onB = await tokenOf(browser, `${b.url}/token?min=0`);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    expect(onB.token).toBe(onA.token);
    expect(refreshes(emulator)).toBe(before + 1);
    expect((await storedOnRedis()).accessToken).toBe(onA.token);
  });

  it("takes the stored pair on B when B loaded the session before A's refresh was stored", async () => {
    const { emulator, a, b, browser } = await twoInstances({ accessToken: 1 });
    await sleep(1100);
    const before = refreshes(emulator);
    const held = b.hold();
    const onB = tokenOf(browser, `${b.url}/token?min=0`);
    await held.reached; // B has loaded the session with the expired token
    const onA = await tokenOf(browser, `${a.url}/token?min=0`);
    held.open();
    expect((await onB).token).toBe(onA.token);
    expect(refreshes(emulator)).toBe(before + 1);
  });

  it("may refresh on both when both read the session before either stored: harmless before rotation", async () => {
    const { emulator, a, b, browser } = await twoInstances({ accessToken: 1, refreshToken: 3600 });
    await sleep(1100);
    const before = refreshes(emulator);
    await redis.sendCommand(["CLIENT", "PAUSE", "10000", "WRITE"]);
    const answers = Promise.all([
      tokenOf(browser, `${a.url}/token?min=0`),
      tokenOf(browser, `${b.url}/token?min=0`),
    ]);
    await until(() => refreshes(emulator) >= before + 2);
    await redis.sendCommand(["CLIENT", "UNPAUSE"]);
    const [onA, onB] = await answers;
    expect([onA.status, onB.status]).toEqual([200, 200]);
    expect(onA.token).not.toBe(onB.token);
    // Within the first 70 % of its lifetime ProConnect does not rotate the refresh token: both
    // access tokens stay valid, and the session holds one of them and the same refresh token.
    expect(await isActive(emulator, onA.token!)).toBe(true);
    expect(await isActive(emulator, onB.token!)).toBe(true);
    expect([onA.token, onB.token]).toContain((await storedOnRedis()).accessToken);
  });

  it("ends the grant when B refreshes with the token A has just rotated: sign in again", async () => {
    // oidc-provider's default, which ProConnect keeps: rotate the refresh token once 70 % of its
    // lifetime has passed; a rotated refresh token used again revokes the whole grant.
    // (oidc-provider counts in whole seconds: 7.5 s of 10 is 70 % or 80 %.)
    const { emulator, a, b, browser } = await twoInstances({ accessToken: 1, refreshToken: 10 });
    await sleep(7500);
    const before = refreshes(emulator);
    // A refreshes, but its write of the new pair is held: B still reads the old refresh token.
    await redis.sendCommand(["CLIENT", "PAUSE", "10000", "WRITE"]);
    const onA = tokenOf(browser, `${a.url}/token?min=0`);
    await until(() => refreshes(emulator) >= before + 1);
    await sleep(300); // A's refresh answered: its refresh token is rotated
    const onB = tokenOf(browser, `${b.url}/token?min=0`);
    await until(() => refreshes(emulator) >= before + 2);
    await sleep(300);
    await redis.sendCommand(["CLIENT", "UNPAUSE"]);
    const [fromA, fromB] = await Promise.all([onA, onB]);
    expect(fromA.status).toBe(200);
    expect([fromB.status, fromB.code]).toEqual([401, "reauthentication_required"]);
    // ProConnect revoked the grant: A's new token is dead too.
    expect(await isActive(emulator, fromA.token!)).toBe(false);
  });
});
