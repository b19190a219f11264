import type { Request, RequestHandler } from "express";
import { ProviderClient } from "./client.js";
import { accessTokenFor } from "./token-refresh.js";
import { dataOf, describe, markSeen, register, type Context } from "./context.js";
import { ProConnectError } from "./errors.js";
import { guard } from "./guard.js";
import type { AppSession } from "./session.js";
import { loginCookies } from "./login-cookie.js";
import { refreshDue, rememberLoaded } from "./session-merge.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import { afterAppAnswered } from "./routes/app-answered.js";
import { callbackRoute } from "./routes/callback.js";
import { loginRoute } from "./routes/login.js";
import { logoutByLinkRoute, logoutCallbackRoute, logoutRoute } from "./routes/logout.js";
import type { ProConnectScope } from "./scopes.js";
import type {
  DefaultScopes,
  GetAccessTokenOptions,
  ProConnectOptions,
  ProConnectUser,
  ProConnectUserFor,
  RequireAuthOptions,
} from "./types.js";

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
 * What `proconnect()` returns: the middleware to mount, with what belongs to this instance.
 *
 * @example
 * const auth = proconnect({ clientId, clientSecret, baseUrl: "https://mon-service.gouv.fr" });
 * app.use(auth);
 * app.use(helmet({ contentSecurityPolicy: { directives: { "form-action": auth.formAction } } }));
 * app.get("/profil", auth.requireAuth(), (req, res) => res.render("profil", { user: auth.user(req) }));
 */
export interface ProConnect<
  User extends ProConnectUser = ProConnectUserFor,
> extends RequestHandler {
  /**
   * `requireAuth()` for this instance: sends people to this instance's login. The plain
   * `requireAuth()` does the same when the app has one instance; with several, use each one's own.
   */
  requireAuth(options?: RequireAuthOptions): RequestHandler;
  /**
   * The user this instance signed in, in the request's session: typed with the fields the configured
   * `scopes` guarantee (see {@link ProConnectUserFor}).
   */
  user(req: { session?: unknown }): User | undefined;
  /**
   * A valid access token of the person this instance signed in, for calling an API on their behalf
   * (`Authorization: Bearer`): refreshed with the refresh token when it expires within `minValidity`
   * seconds (default 60), the new pair stored in the session, one refresh per session at a time. Needs
   * `storeTokens: true`; rejects with `reauthentication_required` when the person must sign in again.
   * See `getAccessToken()`.
   */
  getAccessToken(req: Request, options?: GetAccessTokenOptions): Promise<string>;
  /**
   * The CSP `form-action` sources a sign-out form needs so that the browser may follow the redirects
   * to ProConnect and the person's identity provider: `["'self'", "https:"]` (plus the issuer's origin
   * when it is a local http:// emulator). Give it to helmet as `"form-action"`.
   */
  readonly formAction: readonly string[];
}

/**
 * Mounts ProConnect sign-in: `GET /login`, `GET /callback`, `POST /logout` and `GET /logout/callback`
 * (paths configurable), and sets `req.proconnectUser` on every request it sees (every request of the app
 * when mounted at the root; elsewhere, `requireAuth()` sets it, and `getProConnectUser(req)` reads it). The options are validated now:
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
export function proconnect<const S extends readonly ProConnectScope[] = readonly DefaultScopes[]>(
  // scopes from S alone: intersected with ProConnectOptions' array, `[...DEFAULT_SCOPES, "roles"]`
  // (inferred as a tuple) did not compile.
  options: Omit<ProConnectOptions, "scopes"> & {
    /** {@inheritDoc ProConnectOptions.scopes} */
    scopes?: S;
  },
): ProConnect<ProConnectUserFor<S[number]>> {
  const resolved = resolveOptions(options);
  const context = contextOf(resolved);
  register(context);
  const middleware = requestHandler(context) as ProConnect<ProConnectUserFor<S[number]>>;
  Object.defineProperties(middleware, {
    formAction: {
      value: Object.freeze(formActionSources(resolved.issuer)),
      enumerable: true,
    },
    requireAuth: {
      value: (requireOptions: RequireAuthOptions = {}) => guard(requireOptions, context),
    },
    user: {
      value: (req: { session?: unknown; proconnectUser?: ProConnectUser }) =>
        dataOf(req.session as AppSession | undefined, context.key)?.user,
    },
    getAccessToken: {
      value: (req: Request, tokenOptions: GetAccessTokenOptions = {}) =>
        accessTokenFor(context, req, tokenOptions),
    },
  });
  return middleware;
}

/** What the routes of one instance share. */
function contextOf(resolved: ResolvedOptions): Context {
  return {
    options: resolved,
    provider: new ProviderClient(resolved),
    scopes: new Set(resolved.scope.split(" ")),
    loginCookies: loginCookies({
      secure: resolved.baseUrl.startsWith("https:"),
      maxPendingLogins: resolved.maxPendingLogins,
      name: resolved.name,
    }),
    name: resolved.name,
    key: resolved.name === undefined ? "proconnect" : `proconnect:${resolved.name}`,
    refreshWindow: 60,
  };
}

/** The middleware itself: the user on the request, then this instance's routes. */
function requestHandler(context: Context): RequestHandler {
  const resolved = context.options;
  const { routes, paths } = resolved;
  const route = routeTable(context);
  // The path baseUrl gives the routes, to compare with the path proconnect() is mounted at.
  const prefix = new URL(resolved.baseUrl).pathname.replace(/\/+$/, "").toLowerCase();
  let warned = false;
  // Once one of its routes was reached, its mount is proven: no more looking for a route-only mount.
  let reachable = false;
  // Each other instance met on a request, checked once.
  const neighbours = new WeakMap<Context, ProConnectError | undefined>();
  const unnamed = context.key === "proconnect";

  const fullRoute = routeTable(context, paths);
  const prefixed = paths.login !== routes.login;
  // The route of the request's full path, for mounts that leave it whole or split it: at the root, a
  // path that carries baseUrl's prefix (no proxy removed it); under NestJS's forRoutes("*"), which
  // mounts each path on its own (baseUrl "/login", path "/").
  const fullPathRoute = (req: Parameters<RequestHandler>[0]) =>
    req.baseUrl === ""
      ? prefixed
        ? fullRoute(req.method, req.path)
        : undefined
      : fullRoute(req.method, req.path === "/" ? req.baseUrl : `${req.baseUrl}${req.path}`);

  return function proconnectMiddleware(req, res, next) {
    // The signed-in user, on this request only: the unnamed instance's first, else the first named
    // instance's that has one. Always assigned, so that every request has the same shape.
    const data = dataOf(req.session as AppSession | undefined, context.key);
    const user = data?.user;
    req.proconnectUser = unnamed ? (user ?? req.proconnectUser) : (req.proconnectUser ?? user);
    // A refresh may come in this request: what it loaded is kept, to merge with the store's (session-merge).
    if (
      data?.tokens?.expiresAt !== undefined &&
      refreshDue(data.tokens.expiresAt, context.refreshWindow)
    ) {
      rememberLoaded(req);
    }
    const others = markSeen(res, context);
    if (others) {
      const found = conflictWith(context, others, neighbours);
      // Kept by both: from now on their own routes are refused too, not only the requests both see.
      if (found) for (const each of others) each.conflict ??= found;
    }
    if (context.conflict) {
      next(context.conflict);
      return;
    }
    const handler = route(req.method, req.path);
    if (!handler) {
      const full = fullPathRoute(req);
      if (full) {
        reachable = true;
        void full(req, res, next);
        return;
      }
      const only = reachable ? undefined : onlyRoute(req, next);
      if (only !== undefined) {
        const problem = routeOnlyProblem(context, only);
        if (!warned) resolved.logger.warn({ code: problem.code }, problem.message);
        warned = true;
        next(problem);
        return;
      }
      next();
      return;
    }
    reachable = true;
    // Mounted under a path (app.use("/auth", …)): fine when baseUrl's path ends with it (a proxy may
    // remove what comes before). Express matches mount paths without case, hence the lower case.
    if (req.baseUrl !== "" && !prefix.endsWith(req.baseUrl.toLowerCase())) {
      const problem = mountProblem(context, req.baseUrl);
      if (!warned) resolved.logger.warn({ code: problem.code }, problem.message);
      warned = true;
      next(problem);
      return;
    }
    void handler(req, res, next);
  };
}

/** The handler of a method and path, for the routes' paths as given (`routes`) or full (`paths`). */
function routeTable(context: Context, table: ResolvedOptions["routes"] = context.options.routes) {
  // One middleware and exact lookups rather than a Router: it runs on every request of the app, and a
  // router's layers cost a measurable share of a small route's time (docs/performance.md).
  const get = new Map<string, RequestHandler>([
    [table.login, afterAppAnswered(context, loginRoute(context))],
    [table.callback, afterAppAnswered(context, callbackRoute(context))],
    [table.logoutCallback, afterAppAnswered(context, logoutCallbackRoute(context))],
    [table.logout, logoutByLinkRoute(context)],
  ]);
  const logout = afterAppAnswered(context, logoutRoute(context));
  return (method: string, path: string): RequestHandler | undefined =>
    method === "GET"
      ? get.get(path)
      : method === "POST" && path === table.logout
        ? logout
        : undefined;
}

/**
 * Mounted under `mountPath` (`app.use("/auth", proconnect(...))`), the routes are reachable at
 * `mountPath + route`, while ProConnect would send people to a callback under `baseUrl`'s path, which
 * this app does not serve.
 */
function mountProblem(context: Context, mountPath: string): ProConnectError {
  const fixed = `${new URL(context.options.baseUrl).origin}${mountPath}`;
  return new ProConnectError(
    "not_configured",
    `${describe(context)} is mounted at "${mountPath}" but its baseUrl "${context.options.baseUrl}" does not end with that path, so ProConnect would send people to ${context.options.redirectUri}, which this app does not serve: set baseUrl to "${fixed}" (and register ${fixed}${context.options.routes.callback}), or mount proconnect() at the root`,
  );
}

/**
 * The literal path of the route that runs proconnect() as one of its handlers, if it does: NestJS's
 * `forRoutes(SomeController)` mounts middleware that way, as `app.get("/page", proconnect(), …)` would.
 * Such a mount only ever sees that path, never the login's. Inside a route, `next` is the route's own,
 * not the router's (`req.next`): a `req.route` left by an earlier route of the request does not count.
 * A route path with parameters or wildcards (`app.all("*", …)`) may reach the login: not answered here.
 */
function onlyRoute(req: Parameters<RequestHandler>[0], next: unknown): string | undefined {
  const path = (req as { route?: { path?: unknown } }).route?.path;
  if (typeof path !== "string" || next === req.next) return undefined;
  return /[:*?+(){}[\]]/.test(path) ? undefined : path;
}

function routeOnlyProblem(context: Context, route: string): ProConnectError {
  const { login } = context.options.paths;
  return new ProConnectError(
    "not_configured",
    `${describe(context)} runs as a handler of the route "${route}" only (NestJS's forRoutes(SomeController), or app.get("${route}", proconnect(…))), so it never sees its own routes: GET ${login} would not reach it. Mount it for every path: app.use(proconnect(…)), or in NestJS consumer.apply(session(…), proconnect(…)).forRoutes("*")`,
  );
}

/** Two instances on the same path must keep to their own data and routes. */
function conflictWith(
  context: Context,
  others: readonly Context[],
  checked: WeakMap<Context, ProConnectError | undefined>,
): ProConnectError | undefined {
  for (const other of others) {
    if (other === context) continue;
    if (!checked.has(other)) {
      const mine = Object.values(context.options.paths);
      const shared = Object.values(other.options.paths).filter((path) => mine.includes(path));
      checked.set(
        other,
        other.key === context.key
          ? new ProConnectError(
              "not_configured",
              `two proconnect() instances are mounted on this path with the same ${context.name === undefined ? "(missing) name" : `name "${context.name}"`}: give each its own name option, e.g. proconnect({ name: "rie", ... }), so that they keep to their own session data`,
            )
          : shared.length > 0
            ? new ProConnectError(
                "not_configured",
                `${describe(other)} and ${describe(context)} are mounted on this path with the same route ${shared.join(", ")}: give one of them other routes (routes option), e.g. routes: { login: "/rie/login", callback: "/rie/callback", logout: "/rie/logout", logoutCallback: "/rie/logout/callback" }`,
              )
            : undefined,
      );
    }
    const conflict = checked.get(other);
    if (conflict) return conflict;
  }
  return undefined;
}

/**
 * The CSP `form-action` sources a logout form needs. Chromium checks `form-action` on every redirect
 * that follows a form: `POST /logout` redirects to ProConnect's end_session, which redirects to the
 * identity provider the person used (an origin per ministry or company, not known in advance), which
 * may redirect straight back. Hence `https:`, and the issuer's origin for an http emulator.
 */
function formActionSources(issuer: string): string[] {
  const origin = new URL(issuer).origin;
  return origin.startsWith("https:") ? ["'self'", "https:"] : ["'self'", origin, "https:"];
}
