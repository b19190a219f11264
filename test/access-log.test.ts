// Access logs without secrets (docs/production.md's recipe, test/recipes/access-log.ts): a real login,
// a protected page and a logout, logged by pino-http twice, with its defaults and with the recipe. The
// defaults' lines hold ProConnect's code and state and the cookies (so the test can find them); the
// recipe's hold none of them.
import type express from "express";
import { pinoHttp } from "pino-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proconnect, requireAuth } from "../lib/index.js";
import { signIn, type ProConnectEmulator } from "../lib/testing/index.js";
import { serveApp, type ServedApp } from "./helpers/app.js";
import { CLIENT_SECRET, registerApp, startTestEmulator } from "./helpers/emulator.js";
import { pinoInMemory } from "./helpers/logs.js";
import { accessLog } from "./recipes/access-log.js";

describe("the access log of docs/production.md", () => {
  let emulator: ProConnectEmulator;
  let served: ServedApp;
  const plain = pinoInMemory();
  const redacted = pinoInMemory();

  beforeAll(async () => {
    emulator = await startTestEmulator();
    served = await serveApp((app: express.Express, url) => {
      // Both loggers see every request and every answer.
      app.use(pinoHttp({ logger: plain.logger }), accessLog(redacted.logger));
      registerApp(emulator, "access-log", url);
      app.use(
        proconnect({
          clientId: "access-log",
          clientSecret: CLIENT_SECRET,
          baseUrl: url,
          issuer: emulator.issuer,
        }),
      );
      app.get("/me", requireAuth(), (req, res) => res.json({ email: req.proconnectUser?.email }));
    });
  });
  afterAll(async () => {
    await served?.close();
    await emulator?.close();
  });

  it("logs a login, a page and a logout without a code, a state or a cookie value", async () => {
    const browser = await signIn(served.url, "test@fia1.fr");
    expect((await browser.fetch(`${served.url}/me`)).status).toBe(200);
    await browser.navigate(`${served.url}/logout`, { method: "POST" });

    // What the defaults wrote: the callback's code and state, the cookies sent and set.
    const all = plain.raw.join("\n");
    const queryOf = (path: string) => {
      const url = plain.raw
        .map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url ?? "")
        .find((each) => each.startsWith(`${path}?`));
      return new URLSearchParams(url!.split("?")[1]);
    };
    const query = queryOf("/callback");
    const secrets = [
      query.get("code")!,
      query.get("state")!,
      queryOf("/logout/callback").get("state")!,
      // As they travel in the Cookie and Set-Cookie headers (URL-encoded).
      ...[...all.matchAll(/(?:connect\.sid|proconnect-login[^=]*)=([^;"\\]+)/g)].map(
        ([, value]) => value!,
      ),
    ].filter((value) => value.length >= 16);
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const secret of secrets) expect(all).toContain(secret.slice(0, 16));

    const kept = redacted.raw.join("\n");
    expect(redacted.raw.length).toBe(plain.raw.length);
    for (const secret of secrets) expect(kept).not.toContain(secret.slice(0, 16));
    expect(kept).not.toMatch(/connect\.sid|cookie|authorization|location/i);
    // What it keeps: each request's method, path and status.
    const entries = redacted.raw.map(
      (line) =>
        JSON.parse(line) as { req: { method: string; path: string }; res: { statusCode: number } },
    );
    expect(
      entries.map((entry) => `${entry.req.method} ${entry.req.path} ${entry.res.statusCode}`),
    ).toEqual(
      expect.arrayContaining([
        "GET /login 303",
        "GET /callback 303",
        "GET /me 200",
        "POST /logout 303",
      ]),
    );
  });
});
