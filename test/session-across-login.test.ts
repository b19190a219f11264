// The app's own session data across a login and a logout, and the hooks that shape them, on real
// Express 4 and 5 apps against the emulator.
import express from "express";
import sessionPackage from "express-session/package.json" with { type: "json" };
import express4 from "express4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProConnectError, type ProConnectOptions, type ProConnectUser } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { errorOf, sessionIdOf, storedSessions, type TestApp } from "./helpers/app.js";
import { startTestEmulator, toEmulator } from "./helpers/emulator.js";
import { expectNobodySignedIn, withApp } from "./helpers/refusals.js";

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

type Data = Record<string, unknown>;

// .ci/run runs this file again with EXPRESS_SESSION=oldest (vitest.config.ts): the peer range's lowest.
it(`runs on express-session ${sessionPackage.version}, the ${process.env.EXPRESS_SESSION === "oldest" ? "oldest" : "newest"} of the peer range`, async () => {
  const { peerDependencies } = (await import("../package.json", { with: { type: "json" } }))
    .default;
  const lowest = /\^(\d+\.\d+\.\d+)/.exec(peerDependencies["express-session"])?.[1];
  if (process.env.EXPRESS_SESSION === "oldest") expect(sessionPackage.version).toBe(lowest);
  else expect(sessionPackage.version).not.toBe(lowest);
});

/** Routes to write the app's own keys (`/app/put?key=value`) and read the session back (`/app/session`). */
function sessionRoutes(app: express.Express) {
  app.get("/app/put", (req, res) => {
    Object.assign(req.session, req.query);
    res.json({ put: Object.keys(req.query) });
  });
  app.get("/app/session", (req, res) => {
    const { cookie: _cookie, ...data } = (req.session ?? {}) as unknown as Data;
    res.json({ id: req.sessionID, data, user: req.proconnectUser ?? null });
  });
  app.get("/inscription", (req, res) => {
    const { cookie: _cookie, ...data } = req.session as unknown as Data;
    res.json({ page: "inscription", data, user: req.proconnectUser ?? null });
  });
}

describe.each([
  ["Express 5", express],
  ["Express 4", express4],
])("%s", (_name, factory) => {
  const on = <T>(options: Partial<ProConnectOptions>, run: (app: TestApp) => Promise<T>) =>
    withApp(emulator, { express: factory, options, routes: sessionRoutes }, run);
  const read = async (browser: TestBrowser, app: TestApp) =>
    JSON.parse((await browser.navigate(`${app.url}/app/session`)).body) as {
      id: string;
      data: Data;
      user: ProConnectUser | null;
    };
  const login = (browser: TestBrowser, app: TestApp, email = "test@fia1.fr") =>
    browser.navigate(`${app.url}/login?returnTo=/app/session`, { email });

  it("carries the keys the app names into the new session, and no other", async () => {
    await on({ keepSessionKeys: ["locale", "cart"] }, async (app) => {
      const browser = new TestBrowser();
      await browser.navigate(`${app.url}/app/put?locale=fr&cart=3&isAdmin=true`);
      const before = await read(browser, app);
      await login(browser, app);
      const after = await read(browser, app);
      expect(after.id).not.toBe(before.id);
      expect(after.user?.email).toBe("test@fia1.fr");
      expect(after.data).toMatchObject({ locale: "fr", cart: "3" });
      expect(after.data).not.toHaveProperty("isAdmin");
      expect((await storedSessions(app.store))[before.id]).toBeUndefined();
    });
  });

  it("carries nothing of the app's by default", async () => {
    await on({}, async (app) => {
      const browser = new TestBrowser();
      await browser.navigate(`${app.url}/app/put?locale=fr`);
      await login(browser, app);
      const after = await read(browser, app);
      expect(after.user?.email).toBe("test@fia1.fr");
      expect(Object.keys(after.data)).toEqual(["proconnect"]);
    });
  });

  it("keeps what onLogin writes in the new session, and gives it req, res and the instance", async () => {
    const seen: unknown[] = [];
    await on(
      {
        onLogin: (user, { req, res, session, instance }) => {
          seen.push([typeof req.get, typeof res.redirect, instance, req.sessionID === session.id]);
          (session as unknown as Data).accountId = `account-of-${user.uid}`;
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        await login(browser, app);
        const after = await read(browser, app);
        expect(after.data.accountId).toBe("account-of-1");
        expect(after.user?.email).toBe("test@fia1.fr");
        expect(seen).toEqual([["function", "function", undefined, true]]);
      },
    );
  });

  it("lets onLogin answer itself (account creation): nobody signed in, what it wrote kept", async () => {
    await on(
      {
        onLogin: (user, { res, session }) => {
          (session as unknown as Data).pending = user.sub;
          res.redirect(303, "/inscription");
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        const page = await login(browser, app);
        expect([page.status, page.url.pathname]).toEqual([200, "/inscription"]);
        const body = JSON.parse(page.body) as { data: Data; user: unknown };
        expect(body.user).toBeNull();
        expect(typeof body.data.pending).toBe("string");
        expect(body.data).not.toHaveProperty("proconnect");
        await expectNobodySignedIn(app, browser);
      },
    );
  });

  it("lets onLogin refuse with a code: the error handler gets it, nobody signed in", async () => {
    await on(
      {
        onLogin: () => {
          throw new ProConnectError("login_rejected", "ce compte est suspendu");
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        const page = await login(browser, app);
        expect([page.status, errorOf(page).code, errorOf(page).message]).toEqual([
          403,
          "login_rejected",
          "ce compte est suspendu",
        ]);
        await expectNobodySignedIn(app, browser);
      },
    );
  });

  it("keeps the keys the app names when onLogin refuses, and nothing onLogin wrote", async () => {
    await on(
      {
        keepSessionKeys: ["cart"],
        onLogin: (_user, { session }) => {
          (session as unknown as Data).accountId = "written-before-refusing";
          throw new ProConnectError("login_rejected", "ce compte est suspendu");
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        await browser.navigate(`${app.url}/app/put?cart=3&isAdmin=true`);
        const page = await login(browser, app);
        expect([page.status, errorOf(page).code]).toEqual([403, "login_rejected"]);
        const after = await read(browser, app);
        expect([after.user, after.data]).toEqual([null, { cart: "3" }]);
      },
    );
  });

  it("signs a person out of their first sign-in when a second login is refused, keeping the app's keys", async () => {
    await on({ keepSessionKeys: ["cart"] }, async (app) => {
      const browser = new TestBrowser();
      await login(browser, app);
      await browser.navigate(`${app.url}/app/put?cart=3&isAdmin=true`);
      // A second login whose claims ProConnect sends wrong: refused, and the first sign-in ends.
      emulator.setTamper({ claims: (claims) => ({ ...claims, siret: "not-a-siret" }) });
      try {
        const page = await login(browser, app);
        expect([page.status, errorOf(page).code]).toEqual([502, "invalid_user_claims"]);
      } finally {
        emulator.setTamper(undefined);
      }
      const after = await read(browser, app);
      expect([after.user, after.data]).toEqual([null, { cart: "3" }]);
    });
  });

  it("calls onLogout with the user, the instance and the session as it was, before ProConnect", async () => {
    const calls: unknown[] = [];
    await on(
      {
        onLogout: (user, { session, instance }) => {
          calls.push([user.email, instance, (session as unknown as Data).locale]);
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        await login(browser, app);
        await browser.navigate(`${app.url}/app/put?locale=fr`);
        const page = await browser.navigate(`${app.url}/logout`, {
          method: "POST",
          stopAt: toEmulator(emulator),
        });
        expect(page.location?.origin).toBe(emulator.url);
        expect(calls).toEqual([["test@fia1.fr", undefined, "fr"]]);
      },
    );
  });

  it("keeps what onLogout writes under a kept key (a message for the next page), and nothing else", async () => {
    await on(
      {
        keepSessionKeys: ["flash"],
        onLogout: (_user, { session }) => {
          Object.assign(session, { flash: "Au revoir", isAdmin: true });
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        await login(browser, app);
        const page = await browser.navigate(`${app.url}/logout`, { method: "POST" });
        expect(page.url.href).toBe(`${app.url}/`);
        const after = await read(browser, app);
        expect(after.user).toBeNull();
        expect(after.data).toEqual({ flash: "Au revoir" });
      },
    );
  });

  it("still ends the session when onLogout answers the request itself (which it should not)", async () => {
    await on(
      {
        onLogout: (_user, { res }) => {
          res.redirect(303, "/bye");
        },
      },
      async (app) => {
        const browser = new TestBrowser();
        await login(browser, app);
        const before = sessionIdOf(browser, app)!;
        const page = await browser.navigate(`${app.url}/logout`, {
          method: "POST",
          stopAt: () => true,
        });
        expect([page.status, page.location?.pathname]).toEqual([303, "/bye"]);
        expect((await read(browser, app)).user).toBeNull();
        expect((await storedSessions(app.store))[before]).toBeUndefined();
      },
    );
  });

  it("ends the app's whole session at POST /logout, even when ProConnect never redirects back", async () => {
    await on({}, async (app) => {
      const browser = new TestBrowser();
      await login(browser, app);
      await browser.navigate(`${app.url}/app/put?isAdmin=true`);
      const before = sessionIdOf(browser, app)!;
      const page = await browser.navigate(`${app.url}/logout`, {
        method: "POST",
        stopAt: toEmulator(emulator),
      });
      expect(page.location?.origin).toBe(emulator.url); // the person closes the tab at ProConnect
      const after = await read(browser, app);
      expect(after.user).toBeNull();
      expect(after.data).not.toHaveProperty("isAdmin");
      expect(after.id).not.toBe(before);
      expect((await storedSessions(app.store))[before]).toBeUndefined();
    });
  });

  it("keeps the keys the app names across a logout", async () => {
    await on({ keepSessionKeys: ["locale"] }, async (app) => {
      const browser = new TestBrowser();
      await login(browser, app);
      await browser.navigate(`${app.url}/app/put?locale=fr&isAdmin=true`);
      const page = await browser.navigate(`${app.url}/logout`, { method: "POST" });
      expect(page.url.href).toBe(`${app.url}/`);
      const after = await read(browser, app);
      expect(after.user).toBeNull();
      expect(after.data).toEqual({ locale: "fr" });
    });
  });
});
