// Jest 30, CommonJS tests (what ts-jest and babel-jest projects run). Run Jest with
// NODE_OPTIONS=--experimental-vm-modules: the emulator imports oidc-provider, an ES module.
const express = require("express");
const session = require("express-session");
const request = require("supertest");
const { proconnect, requireAuth } = require("proconnect-express");
const { serveTestApp, signIn, startProConnectEmulator } = require("proconnect-express/testing");

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
  // Undefined when beforeAll failed (no emulator without the flag): Jest shows that failure alone.
  await app?.close();
  await emulator?.close();
});

test("answers /me for a signed-in user", async () => {
  const browser = await signIn(app.url, "test@fia1.fr");
  const me = await request(app.url).get("/me").set("Cookie", browser.cookieHeader(app.url));
  expect([me.status, me.body.email]).toEqual([200, "test@fia1.fr"]);
});

test("refuses /me to anyone else", async () => {
  const me = await request(app.url).get("/me");
  expect([me.status, me.body.error]).toEqual([401, "unauthenticated"]);
});
