// Jest 30, ES module tests: Jest runs them with NODE_OPTIONS=--experimental-vm-modules.
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import express from "express";
import session from "express-session";
import request from "supertest";
import { proconnect, requireAuth } from "proconnect-express";
import { serveTestApp, signIn, startProConnectEmulator } from "proconnect-express/testing";

let emulator;
let app;

beforeAll(async () => {
  emulator = await startProConnectEmulator();
  app = await serveTestApp(emulator, (connection) => {
    const app = express();
    app.use(session({ secret: "test", resave: false, saveUninitialized: false }));
    app.use(proconnect(connection));
    app.get("/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser));
    return app;
  });
});
afterAll(async () => {
  await app.close();
  await emulator.close();
});

test("answers /me for a signed-in user", async () => {
  const browser = await signIn(app.url, "test@fia1.fr");
  const me = await request(app.url).get("/me").set("Cookie", browser.cookieHeader(app.url));
  expect([me.status, me.body.email]).toEqual([200, "test@fia1.fr"]);
});
