import { createServer, type Server } from "node:http";
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import session, { MemoryStore, type Store } from "express-session";
import {
  proconnect,
  ProConnectError,
  requireAuth,
  type ProConnectOptions,
} from "../../lib/index.js";
import type {
  EmulatorClientInput,
  ProConnectEmulator,
  TestBrowser,
} from "../../lib/testing/index.js";
import { afterAll, afterEach, beforeAll } from "vitest";
import { CLIENT_SECRET, registerApp, startTestEmulator } from "./emulator.js";
import { listen } from "./net.js";

export interface TestApp {
  url: string;
  clientId: string;
  store: Store;
  server: Server;
  /** Warnings the middleware logged. */
  warnings: { message: string; details?: Record<string, unknown> }[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  options?: Partial<ProConnectOptions>;
  client?: Partial<EmulatorClientInput>;
  store?: Store;
  /** Register no client with the emulator (for misconfiguration tests). */
  unregistered?: boolean;
  /** Which Express makes the app: Express 5 by default, `express4` (the alias) for Express 4. */
  express?: typeof express;
  /** express-session's cookie options, over the tests' usual ones. */
  sessionCookie?: session.CookieOptions;
  /** Routes of the test's own, added before the error handler. */
  routes?: (app: express.Express) => void;
}

/** An app {@link serveApp} started. */
export interface ServedApp {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Which Express makes the app: Express 5 by default. */
  express?: typeof express;
  /** express-session's store: a MemoryStore of its own by default. */
  store?: Store;
  /** express-session's cookie options, over httpOnly and sameSite lax. */
  cookie?: session.CookieOptions;
}

/**
 * The tests' one way to serve an app: an Express app on a random loopback port with express-session,
 * what `setup` adds once the app's URL is known (proconnect() needs it for its baseUrl), then a JSON
 * error handler: a ProConnectError as its status and `{ code, message }` (see {@link errorOf}), anything
 * else as 500 `unexpected`.
 */
export async function serveApp(
  setup: (app: express.Express, url: string) => void,
  options: ServeOptions = {},
): Promise<ServedApp> {
  const server = createServer();
  const { url, close } = await listen(server);
  const app = (options.express ?? express)();
  app.use(
    session({
      secret: "test-session-secret",
      resave: false,
      saveUninitialized: false,
      store: options.store ?? new MemoryStore(),
      cookie: { httpOnly: true, sameSite: "lax", ...options.cookie },
    }),
  );
  setup(app, url);
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof ProConnectError) {
      res.status(error.status).json({ code: error.code, message: error.message });
    } else {
      res.status(500).json({ code: "unexpected", message: String(error) });
    }
  });
  server.on("request", app);
  return { url, server, close };
}

/**
 * A real Express app on a random port: express-session, `proconnect()` pointed at the emulator, a JSON
 * error handler, `/me` (API), `/page` (HTML) and `/dirigeant` (certification-dirigeant acr) behind
 * `requireAuth()`. Its client is registered with the emulator under a client id of its own.
 */
export async function startTestApp(
  emulator: ProConnectEmulator | undefined,
  setup: TestAppOptions = {},
): Promise<TestApp> {
  const warnings: TestApp["warnings"] = [];
  const store = setup.store ?? new MemoryStore();
  let clientId = "";
  const served = await serveApp(
    (app, url) => {
      clientId = `app-${new URL(url).port}`;
      const idTokenAlg = setup.options?.idTokenSignedResponseAlg ?? "ES256";
      const userinfoAlg = setup.options?.userinfoSignedResponseAlg ?? "ES256";
      if (emulator && !setup.unregistered) {
        registerApp(emulator, clientId, url, {
          idTokenSignedResponseAlg: idTokenAlg,
          userinfoSignedResponseAlg: userinfoAlg,
          ...setup.client,
        });
      }
      app.use(
        proconnect({
          clientId,
          clientSecret: CLIENT_SECRET,
          baseUrl: url,
          ...(emulator ? { issuer: emulator.issuer } : {}),
          logger: { warn: (details, message) => warnings.push({ message, details }) },
          ...setup.options,
        }),
      );
      testRoutes(app, setup.express ?? express);
      setup.routes?.(app);
    },
    { express: setup.express, store, cookie: setup.sessionCookie },
  );
  return { ...served, clientId, store, warnings };
}

/** The test app's own routes, behind the middleware. */
function testRoutes(app: express.Express, makeApp: typeof express): void {
  app.get("/", (req, res) => {
    res.json({ page: "home", user: req.proconnectUser ?? null });
  });
  app.get("/me", requireAuth(), (req, res) => {
    res.json(req.proconnectUser);
  });
  app.get("/page", requireAuth(), (req, res) => {
    res.type("html").send(`<p>Bonjour ${req.proconnectUser?.given_name}</p>`);
  });
  app.get("/api/me", requireAuth({ api: true }), (req, res) => {
    res.json(req.proconnectUser);
  });
  app.post("/api/action", requireAuth(), (_req, res) => {
    res.json({ done: true });
  });
  app.get(
    "/dirigeant",
    requireAuth({ acr: "https://proconnect.gouv.fr/assurance/certification-dirigeant" }),
    (req, res) => {
      res.json({ acr: req.proconnectUser?.acr });
    },
  );
  // What the middleware leaves on a request: req.proconnectUser, set on this request, and nothing else.
  app.get("/probe", (req, res) => {
    const before = {
      own: Object.hasOwn(req, "proconnectUser"),
      symbols: Object.getOwnPropertySymbols(req).filter((key) =>
        key.description?.startsWith("proconnect"),
      ).length,
    };
    const email = req.proconnectUser?.email ?? null;
    req.proconnectUser = undefined; // an app may still assign it, for this request
    res.json({ ...before, email, afterAssigning: req.proconnectUser ?? null });
  });
  // A sub-app (its own request prototype) behind the middleware mounted on the main app.
  const sub = makeApp();
  sub.get("/me", requireAuth({ api: true }), (req, res) => {
    res.json(req.proconnectUser);
  });
  app.use("/sub", sub);
}

/**
 * The session ids held by a store, and their data. MemoryStore answers a map by id; connect-redis an
 * array whose entries carry their `id`: both come out as the map.
 */
export function storedSessions(store: Store): Promise<Record<string, Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    if (!store.all) {
      reject(new Error("this store cannot list its sessions"));
      return;
    }
    store.all((error, sessions) => {
      if (error) return reject(error);
      if (!Array.isArray(sessions)) {
        return resolve((sessions ?? {}) as unknown as Record<string, Record<string, unknown>>);
      }
      const entries = (sessions as unknown as Record<string, unknown>[]).map(
        ({ id, ...data }) => [String(id), data] as const,
      );
      resolve(Object.fromEntries(entries));
    });
  });
}

/** The JSON body an error ended on ({ code, message } from the test app's error handler). */
export function errorOf(page: { body: string }): { code?: string; message?: string } {
  try {
    return JSON.parse(page.body) as { code?: string; message?: string };
  } catch {
    return {};
  }
}

/** The one session in the store (the tests' apps serve one browser at a time). */
export async function onlySession(store: Store): Promise<[string, Record<string, unknown>]> {
  const sessions = Object.entries(await storedSessions(store));
  if (sessions.length !== 1) throw new Error(`expected one session, found ${sessions.length}`);
  return sessions[0]!;
}

/** The id of the express-session session a browser holds for an app (from its signed cookie). */
export function sessionIdOf(browser: TestBrowser, app: TestApp): string | undefined {
  const cookie = /(?:^|; )connect\.sid=([^;]+)/.exec(browser.cookieHeader(app.url))?.[1];
  return cookie ? /^s:([^.]+)\./.exec(decodeURIComponent(cookie))?.[1] : undefined;
}

/** The logins under way a browser holds for `url`: its proconnect-login cookies, value by state. */
export function loginCookiesOf(browser: TestBrowser, url: string): Map<string, string> {
  const prefix = "proconnect-login.";
  const held = new Map<string, string>();
  for (const pair of browser.cookieHeader(url).split("; ")) {
    if (pair.startsWith(prefix)) {
      held.set(pair.slice(prefix.length, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
    }
  }
  return held;
}

/** proconnect()'s `routes` under `prefix`: its login, callback, logout and logout callback there. */
export function routesUnder(prefix: string): NonNullable<ProConnectOptions["routes"]> {
  return {
    login: `${prefix}/login`,
    callback: `${prefix}/callback`,
    logout: `${prefix}/logout`,
    logoutCallback: `${prefix}/logout/callback`,
  };
}

/** What {@link useTestApp} started for a test file. */
export interface TestSetup {
  emulator: ProConnectEmulator;
  app: TestApp;
}

/**
 * The usual setup of a test file: a strict emulator and one app registered with it, started before the
 * file's tests and closed after them, the emulator's tamper hooks removed after each test. `ready`
 * receives both, for the file to bind in one line: `useTestApp((started) => ({ emulator, app } = started))`.
 */
export function useTestApp(ready: (started: TestSetup) => void): void {
  let emulator: ProConnectEmulator | undefined;
  let app: TestApp | undefined;
  beforeAll(async () => {
    emulator = await startTestEmulator(); // strict: ProConnect's documented rules
    app = await startTestApp(emulator);
    ready({ emulator, app });
  });
  // A test that makes the emulator misbehave never leaks it into the next one.
  afterEach(() => emulator?.setTamper(undefined));
  afterAll(async () => {
    await app?.close();
    await emulator?.close();
  });
}

/** An app's own response timeout, as connect-timeout gives: 503 `{ error: "timeout" }` after `ms` when nothing was sent. */
export function responseTimeout(ms: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (!res.headersSent) res.status(503).json({ error: "timeout" });
    }, ms);
    res.on("finish", () => clearTimeout(timer));
    next();
  };
}
