import express from "express";
import session from "express-session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proconnect, requireAuth } from "../lib/index.js";
import {
  serveTestApp,
  signIn,
  startProConnectEmulator,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import { routesUnder } from "./helpers/app.js";

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startProConnectEmulator();
});
afterAll(() => emulator.close());

const withRoutes = routesUnder("/auth");

describe("serveTestApp()", () => {
  it("registers the redirect URIs of the app's own routes, for the port it got", async () => {
    const app = await serveTestApp(
      emulator,
      (connection) =>
        express()
          .use(session({ secret: "t", resave: false, saveUninitialized: false }))
          .use(proconnect({ ...connection, routes: withRoutes }))
          .get("/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser)),
      { routes: withRoutes },
    );
    try {
      expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const browser = await signIn(app.url, "test@fia1.fr", { loginPath: "/auth/login" });
      const me = await browser.fetch(`${app.url}/me`);
      expect([me.status, ((await me.json()) as { email: string }).email]).toEqual([
        200,
        "test@fia1.fr",
      ]);
    } finally {
      await app.close();
    }
  });
});

describe("signIn()", () => {
  const failing = () =>
    serveTestApp(emulator, (connection) =>
      express()
        .use(session({ secret: "t", resave: false, saveUninitialized: false }))
        .use(proconnect({ ...connection, logger: { warn: () => undefined } })),
    );
  /** signIn()'s rejection message. */
  const failure = async (url: string, email: string, loginPath?: string) => {
    const error = await signIn(url, email, loginPath ? { loginPath } : {}).then(
      () => undefined,
      (rejected: unknown) => rejected as Error,
    );
    expect(error).toBeInstanceOf(Error);
    return error!.message;
  };

  it("says the app's callback refused the login, with its answer and no code or state", async () => {
    const app = await failing();
    try {
      // Sent raw by its identity provider: a SIRET that fails the Luhn check.
      const message = await failure(app.url, "siret.invalide@fia1.fr");
      expect(message).toMatch(
        /came back to the app, whose callback answered 502 at http:\/\/127\.0\.0\.1:\d+\/callback\?code=…&state=…/,
      );
      expect(message).toContain("siret");
      expect(message).not.toMatch(/(code|state|iss)=[^…]/);
    } finally {
      await app.close();
    }
  });

  it("says the login stopped at ProConnect for an identity the emulator does not have", async () => {
    const app = await failing();
    try {
      const message = await failure(app.url, "nobody@nowhere.example");
      expect(message).toMatch(
        /^signIn\(nobody@nowhere\.example\): the login stopped at ProConnect/,
      );
      expect(message).toContain("one of its identities");
    } finally {
      await app.close();
    }
  });

  it("says the login never left the app when its login route does not redirect", async () => {
    const app = await failing();
    try {
      const message = await failure(app.url, "test@fia1.fr", "/nowhere");
      expect(message).toMatch(
        /never left the app: its login route answered 404 at .*\/nowhere\?returnTo=…/,
      );
    } finally {
      await app.close();
    }
  });
});
