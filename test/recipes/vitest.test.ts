import express from "express";
import session from "express-session";
import request from "supertest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { proconnect, requireAuth } from "proconnect-express";
import {
  serveTestApp,
  signIn,
  startProConnectEmulator,
  type ProConnectEmulator,
  type TestAppServer,
} from "proconnect-express/testing";

let emulator: ProConnectEmulator;
let app: TestAppServer;

beforeAll(async () => {
  emulator = await startProConnectEmulator();
  // A random port; the client is registered at the emulator once the port is known.
  app = await serveTestApp(emulator, (connection) => {
    const app = express(); // or your own createApp(connection)
    app.use(session({ secret: "test", resave: false, saveUninitialized: false }));
    app.use(proconnect(connection)); // clientId, clientSecret, baseUrl and issuer
    app.get("/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser));
    return app;
  });
});
afterAll(async () => {
  await app.close();
  await emulator.close();
});

it("answers /me for a signed-in user", async () => {
  // The real flow: /login, the emulator's login page, the callback and all its checks.
  const browser = await signIn(app.url, "test@fia1.fr");
  const me = await request(app.url).get("/me").set("Cookie", browser.cookieHeader(app.url));
  expect([me.status, me.body.email]).toEqual([200, "test@fia1.fr"]);
});

it("refuses /me to anyone else", async () => {
  const me = await request(app.url).get("/me");
  expect([me.status, me.body.error]).toEqual([401, "unauthenticated"]);
});
