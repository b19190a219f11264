import type { RequestHandler } from "express";
import { ProviderClient } from "./client.js";
import { installUserGetter, setContext, type Context } from "./context.js";
import { loginCookies } from "./login-cookie.js";
import { resolveOptions } from "./options.js";
import { callbackRoute } from "./routes/callback.js";
import { loginRoute } from "./routes/login.js";
import { logoutByLinkRoute, logoutCallbackRoute, logoutRoute } from "./routes/logout.js";
import type { ProConnectOptions, ProConnectUser } from "./types.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The signed-in professional, validated by proconnect-express; undefined when nobody is. */
      proconnectUser?: ProConnectUser;
    }
  }
}

/**
 * Mounts ProConnect sign-in: `GET /login`, `GET /callback`, `POST /logout` and `GET /logout/callback`
 * (paths configurable), and sets `req.proconnectUser` on every request. The options are validated now:
 * a wrong one throws a `ProConnectError` (`invalid_options`) listing every problem. Mount express-session
 * before it.
 *
 * @example
 * import express from "express";
 * import session from "express-session";
 * import { proconnect, requireAuth } from "proconnect-express";
 *
 * const app = express();
 * app.use(session({ secret: process.env.SESSION_SECRET!, resave: false, saveUninitialized: false }));
 * app.use(
 *   proconnect({
 *     clientId: process.env.PROCONNECT_CLIENT_ID!,
 *     clientSecret: process.env.PROCONNECT_CLIENT_SECRET!,
 *     baseUrl: "https://my-service.gouv.fr",
 *     environment: "production",
 *   }),
 * );
 * app.get("/me", requireAuth(), (req, res) => res.json(req.proconnectUser));
 */
export function proconnect(options: ProConnectOptions): RequestHandler {
  const resolved = resolveOptions(options);
  const context: Context = {
    options: resolved,
    provider: new ProviderClient(resolved),
    scopes: new Set(resolved.scope.split(" ")),
    loginCookies: loginCookies({
      secure: resolved.baseUrl.startsWith("https:"),
      maxPendingLogins: resolved.maxPendingLogins,
    }),
  };
  const { routes } = resolved;
  // One middleware and exact lookups rather than a Router: it runs on every request of the app, and a
  // router's layers cost a measurable share of a small route's time (see README, Performance).
  const get = new Map<string, RequestHandler>([
    [routes.login, loginRoute(context)],
    [routes.callback, callbackRoute(context)],
    [routes.logoutCallback, logoutCallbackRoute(context)],
    [routes.logout, logoutByLinkRoute(context)],
  ]);
  const logout = logoutRoute(context);
  // req.proconnectUser reads the session (see installUserGetter): set up once per request prototype.
  let seenPrototype: unknown;
  return function proconnectMiddleware(req, res, next) {
    const proto: unknown = Object.getPrototypeOf(req);
    if (proto !== seenPrototype) {
      installUserGetter(req);
      seenPrototype = proto;
    }
    setContext(res, context);
    const route =
      req.method === "GET"
        ? get.get(req.path)
        : req.method === "POST" && req.path === routes.logout
          ? logout
          : undefined;
    if (route) void route(req, res, next);
    else next();
  };
}
