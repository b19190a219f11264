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

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startProConnectEmulator();
});
afterAll(() => emulator.close());

const withRoutes = {
  login: "/auth/login",
  callback: "/auth/callback",
  logout: "/auth/logout",
  logoutCallback: "/auth/logout/callback",
};

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
  it("rejects with the app's answer when the login fails its checks", async () => {
    const app = await serveTestApp(emulator, (connection) =>
      express()
        .use(session({ secret: "t", resave: false, saveUninitialized: false }))
        .use(proconnect({ ...connection, logger: { warn: () => undefined } })),
    );
    try {
      // Sent raw by its identity provider: a SIRET that fails the Luhn check.
      await expect(signIn(app.url, "siret.invalide@fia1.fr")).rejects.toThrow(
        /did not end back at .*last answer: 502 at .*\/callback/,
      );
    } finally {
      await app.close();
    }
  });
});
