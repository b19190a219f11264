// getAccessToken() across instances of an app on one Redis: two apps (two proconnect(), two processes'
// worth of single flights) sharing the session store, without a lock (what may happen, docs/apis.md)
// and with refreshLock (one refresh, whatever the concurrency, and the app's keys kept).
import { setTimeout as sleep } from "node:timers/promises";
import { RedisStore } from "connect-redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { redisRefreshLock, type RefreshLock } from "../lib/index.js";
import type { ProConnectSessionData } from "../lib/session.js";
import { TestBrowser, type EmulatorOptions } from "../lib/testing/index.js";
import { CLIENT_SECRET } from "./helpers/emulator.js";
import {
  connectTestRedis,
  deleteKeysUnder,
  redisForTests,
  uniquePrefix,
  type TestRedis,
} from "./helpers/redis.js";
import {
  EMAIL,
  emulatorWith,
  isActive,
  refreshes,
  startTokenApp,
  tokenOf,
  until,
} from "./helpers/token-app.js";

const redisTarget = redisForTests("the getAccessToken() tests on Redis");

type StoredSession = Record<string, unknown> & { proconnect: ProConnectSessionData };

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

  /**
   * Two apps (two processes' worth: two proconnect(), two single-flight maps) on one Redis store, and
   * with `lock` the refreshLock each gives proconnect(), made from its own Redis connection.
   */
  async function twoInstances(
    ttl: EmulatorOptions["ttl"],
    lock?: (client: TestRedis) => RefreshLock,
  ) {
    const emulator = await emulatorWith(ttl);
    started.push(emulator);
    // A connection each, as two processes have: one connection runs its commands in order, so a
    // held write of A's would hold B's reads behind it.
    const instance = async () => {
      const client = redis.duplicate();
      client.on("error", () => undefined);
      await client.connect();
      clients.push(client);
      return startTokenApp(emulator, {
        clientId: "scaled",
        unregistered: true,
        store: new RedisStore({ client, prefix: `${prefix}sess:` }),
        options: lock ? { refreshLock: lock(client) } : {},
      });
    };
    const a = await instance();
    const b = await instance();
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

  /** The one session on Redis, whole. */
  const storedOnRedis = async (): Promise<StoredSession> => {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}sess:*` })) keys.push(...batch);
    expect(keys).toHaveLength(1);
    return JSON.parse((await redis.get(keys[0]!))!) as StoredSession;
  };

  /** A request of the app's own that writes `key` in the session. */
  const note = async (browser: TestBrowser, url: string, key: string, value: string) => {
    const answer = await browser.fetch(`${url}/note?key=${key}&value=${value}`, { method: "POST" });
    expect(answer.status).toBe(204);
  };

  /** Redis locks (their own prefix, so that afterEach removes what a test leaves). */
  const redisLock = (client: TestRedis) => redisRefreshLock(client, { prefix: `${prefix}lock:` });

  describe("without refreshLock", () => {
    it("uses on B the pair A refreshed, without a refresh of its own", async () => {
      const { emulator, a, b, browser } = await twoInstances({ accessToken: 3 });
      await sleep(3100); // B takes A's pair while it is still valid: 3 s, for a loaded machine
      const before = refreshes(emulator);
      const onA = await tokenOf(browser, `${a.url}/token?min=0`);
      const onB = await tokenOf(browser, `${b.url}/token?min=0`);
      expect([onA.status, onB.status]).toEqual([200, 200]);
      expect(onB.token).toBe(onA.token);
      expect(refreshes(emulator)).toBe(before + 1);
      expect((await storedOnRedis()).proconnect.tokens!.accessToken).toBe(onA.token);
    });

    it("takes the stored pair on B when B loaded the session before A's refresh was stored", async () => {
      const { emulator, a, b, browser } = await twoInstances({ accessToken: 3 });
      await sleep(3100); // B takes A's pair while it is still valid: 3 s, for a loaded machine
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
      // Access tokens of 30 s, refreshed at once by asking for 3000 s of validity: the new ones stay
      // valid long enough to be introspected below, however slow the machine.
      const { emulator, a, b, browser } = await twoInstances({
        accessToken: 30,
        refreshToken: 3600,
      });
      const before = refreshes(emulator);
      await redis.sendCommand(["CLIENT", "PAUSE", "10000", "WRITE"]);
      const answers = Promise.all([
        tokenOf(browser, `${a.url}/token?min=3000`),
        tokenOf(browser, `${b.url}/token?min=3000`),
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
      expect([onA.token, onB.token]).toContain(
        (await storedOnRedis()).proconnect.tokens!.accessToken,
      );
    });

    it("ends the grant when B refreshes with the token A has just rotated: sign in again", async () => {
      // oidc-provider's default, which ProConnect keeps: rotate the refresh token once 70 % of its
      // lifetime has passed; a rotated refresh token used again revokes the whole grant.
      // (oidc-provider counts in whole seconds: 7.5 s of 10 is 70 % or 80 %.)
      const { emulator, a, b, browser } = await twoInstances({ accessToken: 30, refreshToken: 10 });
      await sleep(7500);
      const before = refreshes(emulator);
      // A refreshes, but its write of the new pair is held: B still reads the old refresh token.
      await redis.sendCommand(["CLIENT", "PAUSE", "10000", "WRITE"]);
      const onA = tokenOf(browser, `${a.url}/token?min=3000`);
      await until(() => refreshes(emulator) >= before + 1);
      await sleep(300); // A's refresh answered: its refresh token is rotated
      const onB = tokenOf(browser, `${b.url}/token?min=3000`);
      await until(() => refreshes(emulator) >= before + 2);
      await sleep(300);
      await redis.sendCommand(["CLIENT", "UNPAUSE"]);
      const [fromA, fromB] = await Promise.all([onA, onB]);
      expect(fromA.status).toBe(200);
      expect([fromB.status, fromB.code]).toEqual([401, "reauthentication_required"]);
      // ProConnect revoked the grant: A's new token (30 s) is dead too, long before its end.
      expect(await isActive(emulator, fromA.token!)).toBe(false);
    });

    it("says once that two instances may spend one refresh token, and how to lock", async () => {
      const { a, browser } = await twoInstances({ accessToken: 1 });
      await sleep(1100);
      expect((await tokenOf(browser, `${a.url}/token?min=0`)).status).toBe(200);
      await sleep(1100);
      expect((await tokenOf(browser, `${a.url}/token?min=0`)).status).toBe(200);
      const said = a.warnings.filter((warning) => warning.includes("refreshLock"));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain("redisRefreshLock(redisClient)");
    });
  });

  describe("with refreshLock", () => {
    it("refreshes once for 50 concurrent requests on each instance, and keeps what the app wrote meanwhile", async () => {
      let meanwhile: (() => Promise<void>) | undefined;
      // Once the lock is taken, another request of the app writes to the session, before the refresh.
      const lockThenWrite = (client: TestRedis): RefreshLock => {
        const lock = redisLock(client);
        return async (key, ttlMs) => {
          const release = await lock(key, ttlMs);
          // Taken by the holder only: the other instance's refused attempt may be answered first.
          const write = release ? meanwhile : undefined;
          if (release) meanwhile = undefined;
          await write?.();
          return release;
        };
      };
      // 10 s: the new pair stays valid while the 100 requests take it, however slow the machine.
      const { emulator, a, b, browser } = await twoInstances({ accessToken: 10 }, lockThenWrite);
      await note(browser, a.url, "cart", "before");
      meanwhile = async () => {
        await note(browser, b.url, "cart", "after");
        await note(browser, b.url, "meanwhile", "written");
      };
      await sleep(10_100);
      const before = refreshes(emulator);
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          tokenOf(browser, `${(i % 2 === 0 ? a : b).url}/token?min=0`),
        ),
      );
      expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
      expect(meanwhile).toBeUndefined();
      expect(refreshes(emulator)).toBe(before + 1);
      expect(new Set(answers.map((answer) => answer.token)).size).toBe(1);
      const stored = await storedOnRedis();
      expect(stored.proconnect.tokens!.accessToken).toBe(answers[0]!.token);
      expect([stored.cart, stored.meanwhile]).toEqual(["after", "written"]);
      expect(await isActive(emulator, answers[0]!.token!)).toBe(true);
      expect([...a.warnings, ...b.warnings].filter((w) => w.includes("refreshLock"))).toEqual([]);
    });

    it("refreshes once when both instances loaded the session before either stored: the grant lives on after rotation", async () => {
      // Past 70 % of the refresh token's lifetime ProConnect rotates it: a second use would end the grant.
      const { emulator, a, b, browser } = await twoInstances(
        { accessToken: 5, refreshToken: 10 },
        redisLock,
      );
      await sleep(7500);
      const before = refreshes(emulator);
      const [heldA, heldB] = [a.hold(), b.hold()];
      const answers = Promise.all([
        tokenOf(browser, `${a.url}/token?min=0`),
        tokenOf(browser, `${b.url}/token?min=0`),
      ]);
      await Promise.all([heldA.reached, heldB.reached]); // both hold the old pair
      heldA.open();
      heldB.open();
      const [onA, onB] = await answers;
      expect([onA.status, onB.status]).toEqual([200, 200]);
      expect(onB.token).toBe(onA.token);
      expect(refreshes(emulator)).toBe(before + 1);
      expect(await isActive(emulator, onA.token!)).toBe(true);
      expect((await storedOnRedis()).proconnect.tokens!.accessToken).toBe(onA.token);
    });

    it("keeps what the request wrote itself and what another request wrote since it loaded the session", async () => {
      const { emulator, a, b, browser } = await twoInstances({ accessToken: 1 }, redisLock);
      await note(browser, a.url, "cart", "before");
      await sleep(1100);
      const held = a.hold();
      const answer = tokenOf(browser, `${a.url}/token?min=0&write=mine`);
      await held.reached; // A loaded cart=before and the expired pair
      await note(browser, b.url, "cart", "after");
      await note(browser, b.url, "meanwhile", "written");
      held.open(); // A writes written=mine, then refreshes
      expect((await answer).status).toBe(200);
      const stored = await storedOnRedis();
      expect([stored.cart, stored.meanwhile, stored.written]).toEqual(["after", "written", "mine"]);
      expect(stored.proconnect.tokens!.accessToken).toBe((await answer).token);
      expect(refreshes(emulator)).toBeGreaterThan(0);
    });

    it("keeps the request's own values when proconnect() did not remember what it loaded", async () => {
      // A token 120 s from its end is not due for a refresh when the request arrives (60 s + 30 s of
      // margin), so nothing is remembered; minValidity 200 then makes this request refresh it.
      const { a, b, browser } = await twoInstances({ accessToken: 120 }, redisLock);
      await note(browser, a.url, "cart", "before");
      const held = a.hold();
      const answer = tokenOf(browser, `${a.url}/token?min=200`);
      await held.reached;
      await note(browser, b.url, "cart", "after");
      await note(browser, b.url, "meanwhile", "written");
      held.open();
      expect((await answer).status).toBe(200);
      const stored = await storedOnRedis();
      // express-session's own rule for a request's copy, for the keys it has; the others are added.
      expect([stored.cart, stored.meanwhile]).toEqual(["before", "written"]);
    });

    it("waits while another instance holds the lock, then refreshes once it is free", async () => {
      let busyUntil = 0;
      const busyFirst = (client: TestRedis): RefreshLock => {
        const lock = redisLock(client);
        return async (key, ttlMs) => (Date.now() < busyUntil ? undefined : lock(key, ttlMs));
      };
      const { emulator, a, browser } = await twoInstances({ accessToken: 1 }, busyFirst);
      await sleep(1100);
      const before = refreshes(emulator);
      busyUntil = Date.now() + 700;
      const answer = await tokenOf(browser, `${a.url}/token?min=0`);
      expect(answer.status).toBe(200);
      expect(Date.now()).toBeGreaterThanOrEqual(busyUntil);
      expect(refreshes(emulator)).toBe(before + 1);
    });

    it("changes nothing when the lock fails or does not answer: session_store_unavailable", async () => {
      let fail: "reject" | "hang" = "reject";
      const broken = (): RefreshLock => () =>
        fail === "reject" ? Promise.reject(new Error("redis is down")) : new Promise(() => {});
      const { emulator, a, browser } = await twoInstances({ accessToken: 1 }, broken);
      const old = (await storedOnRedis()).proconnect.tokens!;
      await sleep(1100);
      const before = refreshes(emulator);
      const failed = await tokenOf(browser, `${a.url}/token?min=0`);
      expect([failed.status, failed.code]).toEqual([503, "session_store_unavailable"]);
      expect(failed.message).not.toContain("redis is down");
      fail = "hang";
      const began = Date.now();
      const hung = await tokenOf(browser, `${a.url}/token?min=0`);
      expect([hung.status, hung.code]).toEqual([503, "session_store_unavailable"]);
      expect(Date.now() - began).toBeLessThan(3000 + 2000); // sessionTimeout, and some slack
      expect(refreshes(emulator)).toBe(before);
      expect((await storedOnRedis()).proconnect.tokens).toEqual(old);
    });
  });
});

describe("redisRefreshLock()", () => {
  it("refuses what is not a Redis client, saying which it takes", () => {
    expect(() => redisRefreshLock({} as never)).toThrow(/node-redis client.*ioredis/);
  });
});

describe.runIf(redisTarget.run)("redisRefreshLock() on Redis", () => {
  const prefix = uniquePrefix("refresh-lock");
  let redis: TestRedis;
  let ioredis: IORedis;
  beforeAll(async () => {
    redis = await connectTestRedis(redisTarget);
    ioredis = new IORedis(redisTarget.url!, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await ioredis.connect();
  });
  afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    ioredis?.disconnect();
    if (redis?.isOpen) await redis.close();
  });

  it.each(["node-redis", "ioredis"] as const)(
    "holds one lock at a time on %s, gives back only its own, and lets it end with its time",
    async (which) => {
      const client = which === "ioredis" ? ioredis : redis;
      const lock = redisRefreshLock(client, { prefix: `${prefix}${which}:` });
      const first = await lock("session", 10_000);
      expect(first).toBeTypeOf("function");
      expect(await lock("session", 10_000)).toBeUndefined();
      expect(await lock("other", 10_000)).toBeTypeOf("function");
      await first!();
      const second = await lock("session", 300);
      expect(second).toBeTypeOf("function");
      await sleep(400); // its time ran out: another takes it, and the first holder's release spares it
      const third = await lock("session", 10_000);
      expect(third).toBeTypeOf("function");
      await second!();
      expect(await lock("session", 10_000)).toBeUndefined();
      await third!();
      expect(await redis.exists(`${prefix}${which}:session`)).toBe(0);
    },
  );
});
