// Playwright: sign in through the emulator without a browser, then hand the session to the browser
// (its cookies with their HttpOnly, Secure and SameSite attributes): npx playwright test
import { expect, test } from "@playwright/test";
import express from "express";
import session from "express-session";
import { proconnect, requireAuth } from "proconnect-express";
import { serveTestApp, signIn, startProConnectEmulator } from "proconnect-express/testing";

let emulator;
let app;

test.beforeAll(async () => {
  emulator = await startProConnectEmulator();
  app = await serveTestApp(emulator, (connection) => {
    const app = express();
    app.use(
      session({
        secret: "test",
        resave: false,
        saveUninitialized: false,
        cookie: { httpOnly: true, sameSite: "lax" },
      }),
    );
    app.use(proconnect(connection));
    app.get("/profil", requireAuth(), (req, res) => {
      res.send(`<h1>Bonjour ${req.proconnectUser.given_name}</h1>`);
    });
    return app;
  });
});
test.afterAll(async () => {
  await app?.close();
  await emulator?.close();
});

test("shows a signed-in person their profile page", async ({ browser }) => {
  const signedIn = await signIn(app.url, "test@fia1.fr");
  const context = await browser.newContext({ storageState: signedIn.storageState(app.url) });
  const page = await context.newPage();
  await page.goto(`${app.url}/profil`);
  await expect(page.locator("h1")).toHaveText("Bonjour Angela Claire Louise");
  const cookie = (await context.cookies(app.url)).find(({ name }) => name === "connect.sid");
  expect([cookie?.httpOnly, cookie?.sameSite]).toEqual([true, "Lax"]);
  await context.close();
});

test("sends anyone else to ProConnect's login page", async ({ page }) => {
  await page.goto(`${app.url}/profil`);
  expect(page.url().startsWith(emulator.issuer)).toBe(true);
});
