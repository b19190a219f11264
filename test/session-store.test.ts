import { setTimeout as sleep } from "node:timers/promises";
import { MemoryStore, type SessionData } from "express-session";
import { afterEach, describe, expect, it } from "vitest";
import { boundedStore, ProConnectError } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { errorOf, sessionIdOf, storedSessions, type TestApp, useTestApp } from "./helpers/app.js";
import {
  expectNobodySignedIn,
  expectStoreUnavailable,
  signIn,
  timed,
  upToCallback,
  withApp,
} from "./helpers/refusals.js";

// The session store misbehaves: fails once or always, hangs, throws, or answers after the deadline.
// Whatever it does, a login is all or nothing and a logout never half-done; every answer comes within
// sessionTimeout (plus a margin for a shared machine), with a session_store_unavailable error whose
// message holds nothing of the store's own.

let emulator: ProConnectEmulator;

useTestApp((started) => ({ emulator } = started));

/** Short, so that a hang costs the suite little; the default is 3 s. */
const SESSION_TIMEOUT = 300;

type Method = "get" | "set" | "destroy";
/**
 * How a store call goes wrong: an error (once or every time), a synchronous throw, a rejected promise (a
 * store written with async methods, which never calls back), no answer at all, an
 * answer after the deadline (the write applied late), or the write applied and its answer lost.
 */
type Fault = "fail" | "fail-once" | "throw" | "reject" | "hang" | "late" | "applied-then-fail";

const SECRET_IN_ERROR = "redis://default:password=hunter2@10.0.0.1:6379";

/** A real MemoryStore whose calls are recorded and can be made to fail. */
class FaultyStore extends MemoryStore {
  readonly calls: Method[] = [];
  readonly faults: Partial<Record<Method, Fault | undefined>> = {};

  /** Every call works again. */
  heal(): void {
    for (const method of ["get", "set", "destroy"] as const) this.faults[method] = undefined;
  }

  override get(sid: string, callback: (error: unknown, session?: SessionData | null) => void) {
    return this.#run("get", callback, () => super.get(sid, callback));
  }
  override set(sid: string, data: SessionData, callback?: (error?: unknown) => void) {
    return this.#run("set", callback, (done = callback) => super.set(sid, data, done));
  }
  override destroy(sid: string, callback?: (error?: unknown) => void) {
    return this.#run("destroy", callback, (done = callback) => super.destroy(sid, done));
  }

  #run(
    method: Method,
    callback: ((error?: unknown) => void) | undefined,
    real: (done?: (error?: unknown) => void) => void,
  ) {
    this.calls.push(method);
    const fault = this.faults[method];
    if (fault === "fail-once") this.faults[method] = undefined;
    const failure = new Error(`store down: ${SECRET_IN_ERROR}`);
    switch (fault) {
      case undefined:
        return real();
      case "fail":
      case "fail-once":
        return callback?.(failure);
      case "throw":
        throw failure;
      case "reject":
        return Promise.reject(failure);
      case "hang":
        return;
      case "late":
        // The store does the work, but answers long after the deadline.
        setTimeout(() => real(), SESSION_TIMEOUT * 3);
        return;
      case "applied-then-fail":
        return real(() => callback?.(new Error("Socket closed unexpectedly")));
    }
  }
}

const stores: FaultyStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.heal();
});

async function withStore(
  run: (app: TestApp, store: FaultyStore) => Promise<void>,
  options: { bounded?: boolean; keepLocale?: boolean } = {},
) {
  const store = new FaultyStore();
  stores.push(store);
  await withApp(
    emulator,
    {
      store: options.bounded ? boundedStore(store, { timeout: SESSION_TIMEOUT }) : store,
      options: {
        sessionTimeout: SESSION_TIMEOUT,
        ...(options.keepLocale ? { keepSessionKeys: ["locale"] } : {}),
      },
      // The app's own key, which keepLocale carries across a login and a logout.
      routes: (app) =>
        app.get("/locale", (req, res) => {
          Object.assign(req.session, { locale: "fr" });
          res.end();
        }),
    },
    (app) => run(app, store),
  );
}

/** Once the store works again, no request with the browser's cookies is signed in. */
async function expectSignedOutAfterwards(app: TestApp, store: FaultyStore, browser: TestBrowser) {
  store.heal();
  const me = await browser.navigate(`${app.url}/api/me`);
  expect([me.status, JSON.parse(me.body)]).toMatchObject([401, { error: "unauthenticated" }]);
  await expectNobodySignedIn(app, browser);
}

/**
 * With the store failing as `faults` says, following `url` answers 503 session_store_unavailable within
 * sessionTimeout, and once the store works again nobody is signed in.
 */
async function expectOutage(
  { app, store, browser }: { app: TestApp; store: FaultyStore; browser: TestBrowser },
  faults: FaultyStore["faults"],
  url: URL | string,
  method?: "POST",
) {
  Object.assign(store.faults, faults);
  expectStoreUnavailable(await timed(browser, url, method), SESSION_TIMEOUT);
  await expectSignedOutAfterwards(app, store, browser);
}

describe("GET /callback when the session store fails", () => {
  for (const fault of ["fail-once", "fail", "throw", "hang", "applied-then-fail"] as const) {
    it(`store set ${fault}: 503 session_store_unavailable within sessionTimeout, nobody signed in`, async () => {
      await withStore(async (app, store) => {
        const browser = new TestBrowser();
        const callback = await upToCallback(app, browser);
        await expectOutage({ app, store, browser }, { set: fault }, callback);
        // The store is back: the next login goes through.
        expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
      });
    });
  }

  it("store set applied but its answer lost, the store then refusing a moment (reconnecting): the signed-in session is removed once it is back", async () => {
    await withStore(async (app, store) => {
      const browser = new TestBrowser();
      const callback = await upToCallback(app, browser);
      Object.assign(store.faults, { set: "applied-then-fail", destroy: "fail" });
      expectStoreUnavailable(await timed(browser, callback), SESSION_TIMEOUT);
      const signedIn = async () =>
        Object.values(await storedSessions(app.store)).filter(
          (data) => (data.proconnect as { user?: unknown } | undefined)?.user,
        );
      expect(await signedIn()).toHaveLength(1); // the write the store applied, its removal refused
      store.heal(); // the store is back…
      await sleep(1_500); // …and the removal, tried again after a second, goes through
      expect(await signedIn()).toEqual([]);
      await expectSignedOutAfterwards(app, store, browser);
    });
  });

  it("store set answering after the deadline: the late write signs nobody in", async () => {
    await withStore(async (app, store) => {
      const browser = new TestBrowser();
      const callback = await upToCallback(app, browser);
      store.faults.set = "late";
      expectStoreUnavailable(await timed(browser, callback), SESSION_TIMEOUT);
      await sleep(SESSION_TIMEOUT * 4); // the late write has landed by now
      // …and was removed as soon as the store said so: no signed-in session is left in the store.
      const left = Object.values(await storedSessions(app.store));
      expect(left.filter((data) => (data.proconnect as { user?: unknown })?.user)).toEqual([]);
      await expectSignedOutAfterwards(app, store, browser);
    });
  });

  for (const fault of ["fail", "hang", "throw"] as const) {
    it(`store destroy ${fault} when replacing a signed-in session: 503, and the browser is signed out`, async () => {
      await withStore(async (app, store) => {
        const browser = new TestBrowser();
        expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
        const before = sessionIdOf(browser, app);
        const callback = await upToCallback(app, browser); // a second login, e.g. for a higher acr
        store.faults.destroy = fault;
        expectStoreUnavailable(await timed(browser, callback), SESSION_TIMEOUT);
        // The old session may still be in the store: the browser no longer names it.
        expect(sessionIdOf(browser, app)).not.toBe(before);
        await expectSignedOutAfterwards(app, store, browser);
      });
    });
  }

  it("onLogin refusing a second login signs the browser out of the first one", async () => {
    let refuse = false;
    await withApp(
      emulator,
      {
        options: {
          onLogin: (user) => {
            if (refuse) throw new Error("no");
            return user;
          },
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
        const before = sessionIdOf(browser, app)!;
        refuse = true;
        const { page } = await signIn(app, "test@fia1.fr", browser);
        expect([page.status, errorOf(page).code]).toEqual([403, "login_rejected"]);
        await expectNobodySignedIn(app, browser);
        expect((await storedSessions(app.store))[before]).toBeUndefined();
      },
    );
  });

  it("writes the store once per login from a browser without a session: one set, no destroy, second write or touch", async () => {
    await withStore(async (app, store) => {
      const browser = new TestBrowser();
      const callback = await upToCallback(app, browser);
      store.calls.length = 0;
      const { page } = await timed(browser, callback);
      expect([page.status, page.location?.pathname]).toEqual([303, "/me"]);
      // express-session made this session for the callback: no browser knows its id, nothing to remove.
      expect(store.calls).toEqual(["set"]);
      const me = await browser.navigate(`${app.url}/me`);
      expect(JSON.parse(me.body)).toMatchObject({ email: "test@fia1.fr" });
    });
  });

  it("replaces a session the browser already holds: its removal, then the new session written", async () => {
    await withStore(async (app, store) => {
      const browser = new TestBrowser();
      expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
      const before = sessionIdOf(browser, app)!;
      const callback = await upToCallback(app, browser);
      store.calls.length = 0;
      const { page } = await timed(browser, callback);
      expect([page.status, page.location?.pathname]).toEqual([303, "/me"]);
      // express-session's regenerate() removes the old one; the login writes the new one, and
      // express-session writes a regenerated session once more at the end of the response.
      expect(store.calls.filter((call) => call !== "get")).toEqual(["destroy", "set", "set"]);
      expect(sessionIdOf(browser, app)).not.toBe(before);
      expect((await storedSessions(app.store))[before]).toBeUndefined();
    });
  });
});

describe("POST /logout when the session store fails", () => {
  /** Signed in, then POST /logout with the store failing as `faults` says: 503, and never ProConnect. */
  async function expectLogoutRefused(
    app: TestApp,
    store: FaultyStore,
    faults: FaultyStore["faults"],
  ) {
    const browser = new TestBrowser();
    expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
    await browser.navigate(`${app.url}/locale`);
    const endSessions = emulator.requestCounts()["/api/v2/session/end"] ?? 0;
    Object.assign(store.faults, faults);
    const answer = await timed(browser, `${app.url}/logout`, "POST");
    expectStoreUnavailable(answer, SESSION_TIMEOUT);
    expect(answer.page.location).toBeUndefined();
    expect(answer.page.headers.getSetCookie()).not.toContainEqual(
      expect.stringMatching(/^proconnect-logout=/),
    );
    expect(emulator.requestCounts()["/api/v2/session/end"] ?? 0).toBe(endSessions);
    await expectSignedOutAfterwards(app, store, browser);
  }

  for (const fault of ["fail", "throw", "hang", "applied-then-fail"] as const) {
    it(`store destroy ${fault}: 503 before any redirect to ProConnect, and the browser is signed out`, async () => {
      await withStore((app, store) => expectLogoutRefused(app, store, { destroy: fault }));
    });

    it(`store set ${fault}, the app keeping a key: 503 before any redirect to ProConnect, and the browser is signed out`, async () => {
      await withStore((app, store) => expectLogoutRefused(app, store, { set: fault }), {
        keepLocale: true,
      });
    });
  }

  it("store destroy hanging when nobody is signed in: 503 within sessionTimeout", async () => {
    await withStore(async (app, store) => {
      const browser = new TestBrowser();
      await expectOutage({ app, store, browser }, { destroy: "hang" }, `${app.url}/logout`, "POST");
    });
  });

  it("store destroy failing: the browser's cookie is cleared with the app's own cookie path and domain", async () => {
    const store = new FaultyStore();
    stores.push(store);
    await withApp(
      emulator,
      {
        store,
        options: { sessionTimeout: SESSION_TIMEOUT },
        sessionCookie: { domain: "127.0.0.1", path: "/" },
      },
      async (app) => {
        const browser = new TestBrowser();
        expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
        store.faults.destroy = "fail";
        const answer = await timed(browser, `${app.url}/logout`, "POST");
        expectStoreUnavailable(answer, SESSION_TIMEOUT);
        const cleared = answer.page.headers
          .getSetCookie()
          .find((line) => line.startsWith("connect.sid="));
        expect(cleared).toMatch(/Domain=127\.0\.0\.1/);
        expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
      },
    );
  });

  it("store get hanging (express-session's read, through boundedStore): 503 within the bound", async () => {
    await withStore(
      async (app, store) => {
        const browser = new TestBrowser();
        expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
        store.faults.get = "hang";
        expectStoreUnavailable(await timed(browser, `${app.url}/logout`, "POST"), SESSION_TIMEOUT);
        // Nothing was changed: once the store answers, the logout goes through.
        delete store.faults.get;
        const done = await browser.navigate(`${app.url}/logout`, { method: "POST" });
        expect(done.url.href).toBe(`${app.url}/`);
        await expectSignedOutAfterwards(app, store, browser);
      },
      { bounded: true },
    );
  });
});

describe("GET /logout/callback", () => {
  it("makes no store call: the session ended at POST /logout, so a store down changes nothing", async () => {
    await withStore(async (app, store) => {
      const browser = new TestBrowser();
      expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
      const back = await browser.navigate(`${app.url}/logout`, {
        method: "POST",
        stopAt: (url) => url.pathname === "/logout/callback",
      });
      expect(back.location?.pathname).toBe("/logout/callback");
      Object.assign(store.faults, { get: "hang", set: "hang", destroy: "hang" });
      const calls = store.calls.length;
      const done = await browser.navigate(back.location!);
      expect(done.url.href).toBe(`${app.url}/`);
      expect(store.calls.slice(calls)).toEqual([]);
    });
  });
});

describe("boundedStore()", () => {
  it("bounds every call express-session makes, on any route of the app", async () => {
    await withStore(
      async (app, store) => {
        const browser = new TestBrowser();
        expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
        for (const fault of ["hang", "fail", "throw"] as const) {
          store.faults.get = fault;
          expectStoreUnavailable(await timed(browser, `${app.url}/me`), SESSION_TIMEOUT);
        }
        delete store.faults.get;
        expect(JSON.parse((await browser.navigate(`${app.url}/me`)).body)).toMatchObject({
          email: "test@fia1.fr",
        });
      },
      { bounded: true },
    );
  });

  it("turns the rejected promise of a store with async methods into session_store_unavailable, process alive", async () => {
    await withStore(
      async (app, store) => {
        const browser = new TestBrowser();
        expect((await signIn(app, "test@fia1.fr", browser)).user?.email).toBe("test@fia1.fr");
        store.faults.get = "reject";
        expectStoreUnavailable(await timed(browser, `${app.url}/me`), SESSION_TIMEOUT);
        delete store.faults.get;
        store.faults.destroy = "reject";
        expectStoreUnavailable(await timed(browser, `${app.url}/logout`, "POST"), SESSION_TIMEOUT);
        await expectSignedOutAfterwards(app, store, browser);
      },
      { bounded: true },
    );
  });

  it("refuses what is not a store, and a wrong timeout, naming the option", () => {
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error instanceof ProConnectError ? [error.code, error.message] : error;
      }
      return undefined;
    };
    expect(codeOf(() => boundedStore({} as MemoryStore))).toEqual([
      "invalid_options",
      expect.stringMatching(/express-session store/),
    ]);
    expect(codeOf(() => boundedStore(new MemoryStore(), { timeout: 0 }))).toEqual([
      "invalid_options",
      expect.stringMatching(/timeout/),
    ]);
    expect(
      codeOf(() =>
        boundedStore(new MemoryStore(), { timeOut: 5 } as unknown as { timeout: number }),
      ),
    ).toEqual(["invalid_options", expect.stringMatching(/timeOut/)]);
  });

  it("answers 'no such session' for ENOENT, as express-session expects of file stores", async () => {
    const store = new MemoryStore();
    store.get = (_sid, callback) => callback(Object.assign(new Error("gone"), { code: "ENOENT" }));
    const bounded = boundedStore(store, { timeout: SESSION_TIMEOUT });
    const answer = await new Promise((resolve) =>
      bounded.get("x", (error, data) => resolve([error, data])),
    );
    expect(answer).toEqual([null, null]);
  });
});
