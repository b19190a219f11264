// getAccessToken(): the signed-in person's access token, refreshed at the emulator's token endpoint
// (lifetimes shortened through its `ttl` option), stored in the session, one refresh per session.
// Across instances: refresh-across-instances.test.ts.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { CLIENT_SECRET } from "./helpers/emulator.js";
import {
  EMAIL,
  emulatorWith,
  FlakyStore,
  isActive,
  refreshes,
  startTokenApp,
  storedData,
  tokenOf,
  type TokenApp,
} from "./helpers/token-app.js";

describe("getAccessToken()", () => {
  let emulator: ProConnectEmulator;
  let app: TokenApp;

  beforeAll(async () => {
    // Access tokens of 2 s: expired within a test, refresh tokens of an hour.
    emulator = await emulatorWith({ accessToken: 3, refreshToken: 3600 });
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
    await sleep(3100);
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
    const answer = await tokenOf(browser, `${app.url}/token`); // expires in 3 s < 60 s
    expect(answer.token).not.toBe(old.accessToken);
    expect(refreshes(emulator)).toBe(before + 1);
  });

  it("does one refresh for ten concurrent requests of one session", async () => {
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    await sleep(3100);
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
    await sleep(3100);
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

  /** An app on a store a test can make fail, someone signed in, and the pair stored at login. */
  async function signedInOnFlakyStore(ttl: Parameters<typeof emulatorWith>[0]) {
    const emulator = await emulatorWith(ttl);
    started.push(emulator);
    const store = new FlakyStore();
    const app = await startTokenApp(emulator, { store });
    started.push(app);
    const browser = new TestBrowser();
    await browser.navigate(`${app.url}/login`, { email: EMAIL });
    const old = (await storedData(store, browser, app.url)).tokens!;
    return { emulator, store, app, browser, old };
  }

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
    const { refreshToken } = (await storedData(app.store, browser, app.url)).tokens!;
    await sleep(2200);
    const before = refreshes(emulator);
    const answer = await tokenOf(browser, `${app.url}/token?min=0`);
    expect([answer.status, answer.code]).toEqual([401, "reauthentication_required"]);
    expect(refreshes(emulator)).toBe(before + 1);
    expect(answer.message).not.toContain(refreshToken!);
    // The refused pair is dropped: the next call says so without asking ProConnect again.
    const stored = await storedData(app.store, browser, app.url);
    expect([stored.user?.email, stored.tokens]).toEqual([EMAIL, undefined]);
    const again = await tokenOf(browser, `${app.url}/token?min=0`);
    expect([again.status, again.code]).toEqual([401, "reauthentication_required"]);
    expect(refreshes(emulator)).toBe(before + 1);
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

  it("changes nothing in the session when the new pair cannot be stored, and stores that pair on the next request without refreshing again", async () => {
    const { emulator, store, app, browser, old } = await signedInOnFlakyStore({ accessToken: 1 });
    await sleep(1100);
    store.failing = true;
    const before = refreshes(emulator);
    const failed = await tokenOf(browser, `${app.url}/token?min=0`);
    expect([failed.status, failed.code]).toEqual([503, "session_store_unavailable"]);
    store.failing = false;
    expect((await storedData(store, browser, app.url)).tokens).toEqual(old);
    expect(refreshes(emulator)).toBe(before + 1);
    // The next request stores the pair the failed one got (the plain function: this app has one
    // instance), without spending the old refresh token again.
    const answer = await tokenOf(browser, `${app.url}/plain-token?min=0`);
    expect(answer.status).toBe(200);
    expect(refreshes(emulator)).toBe(before + 1);
    expect((await storedData(store, browser, app.url)).tokens!.accessToken).toBe(answer.token);
    expect(answer.token).not.toBe(old.accessToken);
  });

  it("keeps the grant when the store fails while ProConnect rotates the refresh token", async () => {
    // oidc-provider rotates the refresh token past 70 % of its lifetime (7.5 s of 10, counted in whole
    // seconds), and revokes the grant when a rotated one comes back.
    const { emulator, store, app, browser, old } = await signedInOnFlakyStore({
      accessToken: 30,
      refreshToken: 10,
    });
    await sleep(7500);
    store.failing = true;
    const failed = await tokenOf(browser, `${app.url}/token?min=3000`);
    expect([failed.status, failed.code]).toEqual([503, "session_store_unavailable"]);
    store.failing = false;
    // Again past what a token of 30 s gives: a refresh, with the rotated refresh token the failed
    // request got, not the spent one the session still holds.
    const answer = await tokenOf(browser, `${app.url}/token?min=3000`);
    expect(answer.status).toBe(200);
    const stored = (await storedData(store, browser, app.url)).tokens!;
    expect(stored.refreshToken).not.toBe(old.refreshToken); // the rotated one, stored at last
    expect(await isActive(emulator, answer.token!)).toBe(true);
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
