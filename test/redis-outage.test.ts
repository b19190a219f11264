import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedisSessions, type RedisSessions } from "../example-app/redis.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { errorOf, sessionIdOf, startTestApp, type TestApp } from "./helpers/app.js";
import { startTestEmulator } from "./helpers/emulator.js";
import { freePort, TcpProxy } from "./helpers/net.js";
import {
  connectTestRedis,
  keysUnder,
  redisForTests,
  sessionIdIn,
  type TestRedis,
} from "./helpers/redis.js";
import { expectStoreUnavailable, signIn, timed, upToCallback } from "./helpers/refusals.js";

// A real redis-server of the test's own, frozen with SIGSTOP (a hung host, a partition) or reached
// through a proxy that forwards a SET and then drops the connection before Redis's reply, with the
// example app's Redis settings (example-app/redis.ts). Every answer is bounded, and a login or logout is
// never half-done.

const redis = redisForTests("the Redis outage tests");

/** The bound of each session call, proconnect()'s and the store's: short, so a freeze costs little. */
const TIMEOUT = 500;

/**
 * A TCP proxy to Redis. With `dropAfterSet`, the next connection that sends a SET has it forwarded, and
 * once Redis has answered (so the write is applied), the client's connection is closed without the answer.
 */
class RedisProxy {
  dropAfterSet = false;
  /**
   * While true, writes (SET, DEL) are held back (Redis never sees them): a write that hangs after a
   * read worked.
   */
  holdWrites = false;
  readonly #held: (() => void)[] = [];
  readonly #proxy: TcpProxy;

  constructor(upstreamPort: number) {
    this.#proxy = new TcpProxy(
      { host: "127.0.0.1", port: upstreamPort },
      {
        connection: ({ client, upstream }) => {
          let dropping = false;
          return {
            fromClient: (chunk, forward) => {
              const isSet = /\r\nSET\r\n/i.test(chunk.toString("latin1"));
              if (this.dropAfterSet && isSet) {
                this.dropAfterSet = false;
                dropping = true;
              }
              if (this.holdWrites && /\r\n(SET|DEL)\r\n/i.test(chunk.toString("latin1")))
                this.#held.push(forward);
              else forward();
            },
            fromUpstream: (_chunk, forward) => {
              if (dropping) {
                client.destroy();
                upstream.destroy();
              } else forward();
            },
          };
        },
      },
    );
  }

  /** Sends the held writes on, in order. */
  release(): void {
    this.holdWrites = false;
    for (const send of this.#held.splice(0)) send();
  }

  listen(): Promise<number> {
    return this.#proxy.listen();
  }

  close(): Promise<void> {
    return this.#proxy.close();
  }
}

describe.runIf(redis.run)("sessions on a Redis that freezes or loses answers", () => {
  let server: ChildProcess;
  let port: number;
  let proxy: RedisProxy;
  let emulator: ProConnectEmulator;
  let sessions: RedisSessions;
  let app: TestApp;
  let direct: TestRedis;

  const freeze = () => expect(server.kill("SIGSTOP")).toBe(true);
  const thaw = () => expect(server.kill("SIGCONT")).toBe(true);

  beforeAll(async () => {
    port = await freePort();
    server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    const failed = once(server, "error").then(([error]) => {
      throw new Error(
        `cannot start redis-server (${(error as Error).message}): apt-get install redis-server`,
      );
    });
    failed.catch(() => undefined);
    for (let tries = 0; ; tries++) {
      try {
        direct = await Promise.race([
          connectTestRedis({ ...redis, url: `redis://127.0.0.1:${port}` }),
          failed,
        ]);
        break;
      } catch (error) {
        if (tries > 30) throw error;
        await sleep(100);
      }
    }
    proxy = new RedisProxy(port);
    const proxyPort = await proxy.listen();
    sessions = await connectRedisSessions(`redis://127.0.0.1:${proxyPort}`, {
      commandTimeoutMs: TIMEOUT,
      logger: { warn: () => undefined },
    });
    emulator = await startTestEmulator();
    app = await startTestApp(emulator, {
      store: sessions.store,
      options: { sessionTimeout: TIMEOUT },
    });
  });

  afterAll(async () => {
    server?.kill("SIGCONT");
    await app?.close();
    await emulator?.close();
    await sessions?.close().catch(() => undefined);
    await direct?.close().catch(() => undefined);
    await proxy?.close();
    if (server && server.exitCode === null) {
      const exited = once(server, "exit");
      server.kill("SIGTERM");
      await exited;
    }
  });

  /** Redis answers again (and has run what waited): the browser's cookies sign nobody in. */
  async function expectSignedOut(browser: TestBrowser) {
    for (let tries = 0; tries < 50 && !(await sessionsReady()); tries++) await sleep(100);
    const me = await browser.navigate(`${app.url}/api/me`);
    expect([me.status, errorOf(me).code ?? JSON.parse(me.body).error]).toEqual([
      401,
      "unauthenticated",
    ]);
  }

  /** The app's store answers (after a freeze or a dropped connection, the client may still reconnect). */
  async function sessionsReady(): Promise<boolean> {
    const page = await new TestBrowser().navigate(`${app.url}/`);
    return page.status === 200;
  }

  it("a callback while Redis is frozen: 503 within the bound; once it thaws, nobody is signed in", async () => {
    const browser = new TestBrowser();
    const signedIn = (await signIn(app, "test@fia1.fr")).browser;
    const callback = await upToCallback(app, browser);
    freeze();
    try {
      expectStoreUnavailable(await timed(browser, callback), TIMEOUT);
      // Every other request that reads the session is bounded too (express-session's own read). The
      // failed callback left its browser no session cookie (nothing to read): another browser's.
      expectStoreUnavailable(await timed(signedIn, `${app.url}/me`), TIMEOUT);
    } finally {
      thaw();
    }
    // The late SET ran when Redis woke, and so did the DEL queued behind it.
    await expectSignedOut(browser);
  });

  it("a logout while Redis is frozen: 503 at the session's read, nothing half-done", async () => {
    const browser = new TestBrowser();
    expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
    const endSessions = emulator.requestCounts()["/api/v2/session/end"] ?? 0;
    freeze();
    try {
      const answer = await timed(browser, `${app.url}/logout`, "POST");
      expectStoreUnavailable(answer, TIMEOUT);
      expect(answer.page.location).toBeUndefined();
    } finally {
      thaw();
    }
    expect(emulator.requestCounts()["/api/v2/session/end"] ?? 0).toBe(endSessions);
    // The logout never started: still signed in, and logging out now works.
    for (let tries = 0; tries < 50 && !(await sessionsReady()); tries++) await sleep(100);
    expect((await browser.navigate(`${app.url}/me`)).status).toBe(200);
    const done = await browser.navigate(`${app.url}/logout`, { method: "POST" });
    expect(done.url.href).toBe(`${app.url}/`);
    await expectSignedOut(browser);
  });

  it("a logout whose write Redis never answers: 503 before any redirect to ProConnect, signed out after", async () => {
    const browser = new TestBrowser();
    expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
    const endSessions = emulator.requestCounts()["/api/v2/session/end"] ?? 0;
    proxy.holdWrites = true;
    try {
      const answer = await timed(browser, `${app.url}/logout`, "POST");
      expectStoreUnavailable(answer, TIMEOUT);
      expect(answer.page.location).toBeUndefined();
    } finally {
      proxy.release(); // the write lands late: still nobody signed in
    }
    expect(emulator.requestCounts()["/api/v2/session/end"] ?? 0).toBe(endSessions);
    await expectSignedOut(browser);
  });

  it("Redis applies the login's SET but the connection drops before its reply: 503, nobody signed in", async () => {
    const browser = new TestBrowser();
    const callback = await upToCallback(app, browser);
    const before = new Set(await keysUnder(direct, "proconnect-example:"));
    proxy.dropAfterSet = true;
    const answer = await timed(browser, callback);
    expectStoreUnavailable(answer, TIMEOUT);
    expect(proxy.dropAfterSet).toBe(false); // the SET went through the proxy
    // The write was applied: a signed-in session is in Redis…
    const written = (await keysUnder(direct, "proconnect-example:")).filter(
      (key) => !before.has(key),
    );
    const users = await Promise.all(written.map((key) => direct.get(key)));
    expect(users.some((value) => value?.includes("test@fia1.fr"))).toBe(true);
    // …under an id the browser's cookie does not name.
    const held = sessionIdIn(browser.cookieHeader(app.url), "connect.sid");
    expect(written).not.toContain(`proconnect-example:${held}`);
    expect(sessionIdOf(browser, app)).toBe(held);
    await expectSignedOut(browser);
  });
});
