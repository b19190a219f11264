// The app, emulator and helpers of the getAccessToken() tests: an app with storeTokens whose /token
// route answers the session's access token, gates to hold a request once its session is loaded, counts
// of the emulator's token requests.
import { setTimeout as sleep } from "node:timers/promises";
import type express from "express";
import type { Request } from "express";
import { MemoryStore, type SessionData, type Store } from "express-session";
import { getAccessToken, proconnect, type ProConnectOptions } from "../../lib/index.js";
import type { ProConnectSessionData } from "../../lib/session.js";
import type { EmulatorOptions, ProConnectEmulator, TestBrowser } from "../../lib/testing/index.js";
import { routesUnder, serveApp } from "./app.js";
import {
  CLIENT_SECRET,
  registerApp,
  registerResourceServer,
  startTestEmulator,
} from "./emulator.js";
import { sessionIdIn } from "./redis.js";

export const EMAIL = "test@fia1.fr";
export const TOKEN_PATH = "/api/v2/token";

export interface Gate {
  /** Resolves when a request has loaded its session and waits at the gate. */
  reached: Promise<void>;
  opened: Promise<void>;
  reach(): void;
  open(): void;
}

export function gate(): Gate {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { reached, opened, reach, open };
}

export interface TokenApp {
  url: string;
  store: Store;
  warnings: string[];
  /** The next request to /token waits here, its session loaded. */
  hold(): Gate;
  close(): Promise<void>;
}

/** A store whose writes fail while `failing` is set. */
export class FlakyStore extends MemoryStore {
  failing = false;
  override set(sid: string, data: SessionData, callback?: (error?: unknown) => void): void {
    if (this.failing) callback?.(new Error("the store is down"));
    else super.set(sid, data, callback);
  }
}

export async function startTokenApp(
  emulator: ProConnectEmulator,
  setup: {
    store?: Store;
    clientId?: string;
    options?: Partial<ProConnectOptions>;
    /** A second instance, named "b", with its own client and routes under /b. */
    second?: boolean;
    /** Leave the client's registration to the test. */
    unregistered?: boolean;
  } = {},
): Promise<TokenApp> {
  const warnings: string[] = [];
  const store = setup.store ?? new MemoryStore();
  const holds: Gate[] = [];
  const served = await serveApp(
    (app, url) => {
      const clientId = setup.clientId ?? `tokens-${new URL(url).port}`;
      if (!setup.unregistered) registerApp(emulator, clientId, url);
      const auth = proconnect({
        clientId,
        clientSecret: CLIENT_SECRET,
        baseUrl: url,
        issuer: emulator.issuer,
        storeTokens: true,
        logger: { warn: (_details, message) => warnings.push(message) },
        ...setup.options,
      });
      app.use(auth);
      const second = setup.second ? secondInstance(app, emulator, `${clientId}-b`, url) : undefined;
      app.use("/token", async (_req, _res, next) => {
        const held = holds.shift();
        if (held) {
          held.reach();
          await held.opened;
        }
        next();
      });
      const minValidity = (req: Request) =>
        req.query.min === undefined ? {} : { minValidity: Number(req.query.min) };
      // The app's own writes: a key set by a request of its own, or by /token before it asks for the token.
      app.post("/note", (req, res) => {
        const session = req.session as unknown as Record<string, unknown>;
        session[String(req.query.key)] = String(req.query.value);
        res.status(204).end();
      });
      app.get("/token", async (req, res, next) => {
        try {
          if (typeof req.query.write === "string") {
            (req.session as unknown as Record<string, unknown>).written = req.query.write;
          }
          res.json({ token: await auth.getAccessToken(req, minValidity(req)) });
        } catch (error) {
          next(error);
        }
      });
      app.get("/plain-token", async (req, res, next) => {
        try {
          res.json({ token: await getAccessToken(req, minValidity(req)) });
        } catch (error) {
          next(error);
        }
      });
      app.get("/b/token", async (req, res, next) => {
        try {
          res.json({ token: await second!.getAccessToken(req, minValidity(req)) });
        } catch (error) {
          next(error);
        }
      });
    },
    { store },
  );
  return {
    url: served.url,
    store,
    warnings,
    hold() {
      const held = gate();
      holds.push(held);
      return held;
    },
    close: served.close,
  };
}

/** A second instance, named "b", registered as `clientId` with its routes under /b. */
function secondInstance(
  app: express.Express,
  emulator: ProConnectEmulator,
  clientId: string,
  url: string,
) {
  registerApp(emulator, clientId, `${url}/b`);
  const second = proconnect({
    name: "b",
    clientId,
    clientSecret: CLIENT_SECRET,
    baseUrl: url,
    issuer: emulator.issuer,
    storeTokens: true,
    routes: routesUnder("/b"),
  });
  app.use(second);
  return second;
}

/** Waits for `condition`, 5 s at most. */
export async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !condition(); await sleep(10)) {
    if (Date.now() > deadline) throw new Error("the condition did not come true within 5 s");
  }
}

export const refreshes = (emulator: ProConnectEmulator) =>
  emulator.requestCounts()[TOKEN_PATH] ?? 0;

export async function tokenOf(browser: TestBrowser, url: string) {
  const answer = await browser.fetch(url, { headers: { accept: "application/json" } });
  const body = (await answer.json()) as { token?: string; code?: string; message?: string };
  return { status: answer.status, ...body, setCookie: answer.headers.getSetCookie().join("\n") };
}

/** The instance's data in the session `store` holds for `browser`. */
export async function storedData(
  store: Store,
  browser: TestBrowser,
  url: string,
  key = "proconnect",
): Promise<ProConnectSessionData> {
  const id = sessionIdIn(browser.cookieHeader(url), "connect.sid");
  const stored = await new Promise<Record<string, ProConnectSessionData> | undefined>(
    (resolve, reject) =>
      store.get(id!, (error, data) => (error ? reject(error) : resolve(data as never))),
  );
  return stored![key]!;
}

export function emulatorWith(ttl: EmulatorOptions["ttl"]): Promise<ProConnectEmulator> {
  return startTestEmulator({ ttl });
}

/** Introspects a token at the emulator as a client of its own: whether ProConnect still accepts it. */
export async function isActive(emulator: ProConnectEmulator, token: string): Promise<boolean> {
  registerResourceServer(emulator, "introspector");
  const answer = await fetch(`${emulator.issuer}/token/introspection`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, client_id: "introspector", client_secret: CLIENT_SECRET }),
  });
  return ((await answer.json()) as { active: boolean }).active;
}
