// node:test, Node.js's own runner: node --test
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import express from "express";
import session from "express-session";
import { proconnect, requireAuth } from "proconnect-express";
import { serveTestApp, signIn, startProConnectEmulator } from "proconnect-express/testing";

let emulator;
let app;

before(async () => {
  emulator = await startProConnectEmulator();
  app = await serveTestApp(emulator, (connection) => {
    const app = express();
    app.use(session({ secret: "test", resave: false, saveUninitialized: false }));
    app.use(proconnect(connection));
    app.get("/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser));
    return app;
  });
});
after(async () => {
  await app.close();
  await emulator.close();
});

test("answers /me for a signed-in user", async () => {
  const browser = await signIn(app.url, "test@fia1.fr");
  const me = await browser.fetch(`${app.url}/me`);
  assert.equal(me.status, 200);
  assert.equal((await me.json()).email, "test@fia1.fr");
});
