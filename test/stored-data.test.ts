// Session data of another shape than the library writes (an older version's, a hand edit, a store's
// corruption): nobody is signed in by it, and no route trips over it (never a 500).
import type { Store } from "express-session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { startTestEmulator } from "./helpers/emulator.js";
import { startTokenApp, tokenOf, type TokenApp } from "./helpers/token-app.js";
import { sessionIdIn } from "./helpers/redis.js";

let emulator: ProConnectEmulator;
let app: TokenApp;
beforeAll(async () => {
  emulator = await startTestEmulator();
  app = await startTokenApp(emulator);
});
afterAll(async () => {
  await app?.close();
  await emulator?.close();
});

const read = (store: Store, id: string) =>
  new Promise<Record<string, unknown>>((resolve, reject) =>
    store.get(id, (error, data) => (error ? reject(error) : resolve(data as never))),
  );
const write = (store: Store, id: string, data: Record<string, unknown>) =>
  new Promise<void>((resolve, reject) =>
    store.set(id, data as never, (error) => (error ? reject(error) : resolve())),
  );

/** A browser signed in whose stored `proconnect` is then replaced by what `corrupt` makes of it. */
async function signedInThenCorrupted(corrupt: (data: Record<string, unknown>) => unknown) {
  const browser = new TestBrowser();
  const page = await browser.navigate(`${app.url}/login?returnTo=/token`, {
    email: "test@fia1.fr",
  });
  expect(page.status).toBe(200);
  const id = sessionIdIn(browser.cookieHeader(app.url), "connect.sid")!;
  const session = await read(app.store, id);
  session.proconnect = corrupt(session.proconnect as Record<string, unknown>);
  await write(app.store, id, session);
  return browser;
}

describe("session data of another shape", () => {
  const cases: [string, (data: Record<string, unknown>) => unknown][] = [
    ["a string for the whole data", () => "someone"],
    ["a string for the user", (data) => ({ ...data, user: "someone" })],
    ["a user without sub", (data) => ({ ...data, user: { idp_id: "x", siret: "1" } })],
    [
      "a user under __proto__",
      (data) => JSON.parse(`{"user":{"__proto__":${JSON.stringify(data.user)}}}`),
    ],
    ["null tokens", (data) => ({ ...data, tokens: null })],
    ["tokens as a string", (data) => ({ ...data, tokens: "garbage" })],
    [
      "an expired token whose refresh token is an object",
      (data) => ({ ...data, tokens: { accessToken: "a", refreshToken: {}, expiresAt: 1 } }),
    ],
    ["an id_token that is a number", (data) => ({ ...data, idToken: 42 })],
  ];

  for (const [name, corrupt] of cases) {
    it(`signs nobody in with ${name}: 401 unauthenticated, never a 500`, async () => {
      const browser = await signedInThenCorrupted(corrupt);
      const answer = await tokenOf(browser, `${app.url}/token`);
      expect([answer.status, answer.code]).toEqual([401, "unauthenticated"]);
    });
  }

  it("still signs out such a browser, at ProConnect too", async () => {
    const browser = await signedInThenCorrupted(() => "someone");
    const page = await browser.navigate(`${app.url}/logout`, { method: "POST" });
    expect(page.url.href).toBe(`${app.url}/`);
  });
});
