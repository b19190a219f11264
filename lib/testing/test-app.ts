import { randomBytes } from "node:crypto";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProConnectRoutes } from "../types.js";
import { TestBrowser, unescapeHtml } from "./browser.js";
import type { ProConnectEmulator } from "./emulator.js";
import type { EmulatorClientInput } from "./options.js";

/** What `proconnect()` needs to sign in at the emulator: spread it into the options. */
export interface EmulatorConnection {
  clientId: string;
  clientSecret: string;
  /** `http://127.0.0.1:PORT`, the app's own URL once it listens. */
  baseUrl: string;
  issuer: string;
}

/** An app listening on a random port, with its client registered at the emulator. */
export interface TestAppServer extends EmulatorConnection {
  /** The same as `baseUrl`. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface ServeTestAppOptions {
  /** The app's `routes` option, if it changes them: the redirect URIs registered follow. */
  routes?: ProConnectRoutes;
  /** More of the client's registration (algorithms, scopes…). */
  client?: Partial<EmulatorClientInput>;
  /** `127.0.0.1` by default. */
  host?: string;
}

let served = 0;

/**
 * Starts an app on a random port and registers its client at the emulator, once the port is known:
 * `proconnect()` needs its `baseUrl` before the app listens, so the app is built by `build`, given the
 * connection to spread into the options.
 *
 * @example
 * const emulator = await startProConnectEmulator();
 * const app = await serveTestApp(emulator, (connection) => {
 *   const app = express();
 *   app.use(session({ secret: "test", resave: false, saveUninitialized: false }));
 *   app.use(proconnect(connection));
 *   app.get("/me", requireAuth(), (req, res) => res.json(req.proconnectUser));
 *   return app;
 * });
 * // app.url: http://127.0.0.1:PORT; await app.close() after the tests
 */
export async function serveTestApp(
  emulator: ProConnectEmulator,
  build: (connection: EmulatorConnection) => RequestListener | Promise<RequestListener>,
  options: ServeTestAppOptions = {},
): Promise<TestAppServer> {
  const server = createServer();
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  try {
    const { port } = server.address() as AddressInfo;
    const baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const connection: EmulatorConnection = {
      clientId: `test-app-${port}-${(served += 1)}`,
      clientSecret: randomBytes(32).toString("base64url"),
      baseUrl,
      issuer: emulator.issuer,
    };
    const callback = options.routes?.callback ?? "/callback";
    const logoutCallback = options.routes?.logoutCallback ?? "/logout/callback";
    emulator.registerClient({
      clientId: connection.clientId,
      clientSecret: connection.clientSecret,
      redirectUris: [`${baseUrl}${callback}`],
      postLogoutRedirectUris: [`${baseUrl}${logoutCallback}`],
      ...options.client,
    });
    server.on("request", await build(connection));
    return {
      ...connection,
      url: baseUrl,
      server,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        }),
    };
  } catch (error) {
    server.close();
    throw error;
  }
}

export interface SignInOptions {
  /** The app's login route: `/login` by default. */
  loginPath?: string;
  /** A browser to sign in (its cookies kept): a new one by default. */
  browser?: TestBrowser;
}

/**
 * Signs `email` (one of the emulator's identities) in to the app at `url` through the real flow: the
 * app's `/login`, the emulator's login page, the app's callback and all its checks. Resolves to the
 * browser holding the signed-in session: `browser.fetch(url)`, or `browser.cookieHeader(url)` for
 * supertest's `.set("Cookie", …)`. Rejects, with the app's answer, when the login did not end back at
 * the app with a success.
 *
 * @example
 * const browser = await signIn(app.url, "test@fia1.fr");
 * await request(app.url).get("/me").set("Cookie", browser.cookieHeader(app.url)).expect(200);
 */
export async function signIn(
  url: string,
  email: string,
  options: SignInOptions = {},
): Promise<TestBrowser> {
  const browser = options.browser ?? new TestBrowser();
  const app = new URL(url);
  const login = new URL(options.loginPath ?? "/login", app);
  login.searchParams.set("returnTo", "/");
  // Where the flow went: out of the app (to ProConnect), then back into it (the callback).
  let left = false;
  let calledBack = false;
  const page = await browser.navigate(login, {
    email,
    // Stop on the first redirect back into the app after its callback: the session is written then.
    stopAt: (next) => {
      if (next.origin !== app.origin) {
        left = true;
        return false;
      }
      if (calledBack) return true;
      calledBack = left;
      return false;
    },
  });
  if (calledBack && page.status === 303 && page.location?.origin === app.origin) return browser;
  const answer = `${page.status} at ${withoutValues(page.url)}${excerpt(page.body)}`;
  const where =
    page.url.origin !== app.origin
      ? `stopped at ProConnect (the emulator answered ${answer}): is ${email} one of its identities, and is the app's client registered there?`
      : !left
        ? `never left the app: its login route answered ${answer}, not a redirect to ProConnect`
        : `came back to the app, whose callback answered ${answer}, not a redirect to the signed-in page`;
  throw new Error(`signIn(${email}): the login ${where}`);
}

/** A URL for a message: its query's names only, never a value (a code, a state, a token). */
function withoutValues(url: URL): string {
  const names = [...new Set(url.searchParams.keys())];
  return `${url.origin}${url.pathname}${names.length ? `?${names.map((name) => `${name}=…`).join("&")}` : ""}`;
}

/** The start of a page's text, for a message: tags and anything that looks like a secret left out. */
function excerpt(body: string): string {
  const withoutTags = body.replace(/<(script|style)[^]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, " ");
  const text = unescapeHtml(withoutTags)
    .replace(/\b(code|state|[a-z_]*token|connect\.sid|proconnect[a-z.:-]*)=[^\s&;"']+/gi, "$1=…")
    .replace(/\s+/g, " ")
    .trim();
  return text ? `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}` : "";
}
