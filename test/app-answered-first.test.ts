// An app that answers a request itself while a route of proconnect() still waits (its own response
// timeout, as connect-timeout gives): the route's later failure is logged, never passed to the app's
// error handler, which could only make Express close the connection under the app's answer.
import { createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import express, { type NextFunction, type Request, type Response } from "express";
import session, { MemoryStore, type SessionData } from "express-session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proconnect } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { responseTimeout } from "./helpers/app.js";
import { CLIENT_SECRET, registerApp, startTestEmulator } from "./helpers/emulator.js";
import { listen, type Listening } from "./helpers/net.js";

/** A store whose writes take `delayMs` while it is set. */
class SlowStore extends MemoryStore {
  delayMs = 0;
  override set(sid: string, data: SessionData, callback?: (error?: unknown) => void): void {
    setTimeout(() => super.set(sid, data, callback), this.delayMs);
  }
}

let emulator: ProConnectEmulator;
let app: Listening;
const store = new SlowStore();
const warnings: { code: unknown; message: string }[] = [];
const passedOn: unknown[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator();
  const server = createServer();
  app = await listen(server);
  registerApp(emulator, "answered-first", app.url);
  const served = express();
  // On the callback only: a loaded machine may take longer than that on /login's first discovery.
  served.use("/callback", responseTimeout(150));
  served.use(session({ secret: "answered-first", resave: false, saveUninitialized: false, store }));
  served.use(
    proconnect({
      clientId: "answered-first",
      clientSecret: CLIENT_SECRET,
      baseUrl: app.url,
      issuer: emulator.issuer,
      logger: { warn: (details, message) => warnings.push({ code: details.code, message }) },
    }),
  );
  served.get("/", (req, res) => res.json({ user: req.proconnectUser?.email ?? null }));
  served.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    passedOn.push(error);
    res.status(500).json({ error: "passed on" });
  });
  server.on("request", served);
});
afterAll(async () => {
  await app?.close();
  await emulator?.close();
});

describe("a route of proconnect() on a request the app has answered meanwhile", () => {
  it("logs the callback's failure and leaves the app's answer whole, its error handler uncalled", async () => {
    const browser = new TestBrowser();
    store.delayMs = 400; // the login's write outlasts the app's 150 ms
    const page = await browser.navigate(`${app.url}/login`, { email: "test@fia1.fr" });
    expect([page.url.pathname, page.status, JSON.parse(page.body)]).toEqual([
      "/callback",
      503,
      { error: "timeout" },
    ]);
    await sleep(600); // the route's write has ended, and its answer failed
    expect(passedOn).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/answered GET \/callback before this route ended/);
    store.delayMs = 0;
    // The app goes on serving.
    const home = await browser.navigate(`${app.url}/`);
    expect(home.status).toBe(200);
  });
});
