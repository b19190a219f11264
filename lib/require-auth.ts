import type { RequestHandler } from "express";
import {
  ACR_VALUES,
  isProConnectAcr,
  MFA_ACR_VALUES,
  removedAcr,
  type ProConnectAcr,
} from "./acr.js";
import { dataOf, findContext, installUserGetter, setCurrent, type Context } from "./context.js";
import { ProConnectError } from "./errors.js";
import type { AppSession } from "./session.js";

export interface RequireAuthOptions {
  /** The acr the session must have (any of them, for a list), e.g. `CERTIFICATION_DIRIGEANT`. */
  acr?: ProConnectAcr | readonly ProConnectAcr[];
  /**
   * Multi-factor authentication, which the State requires on its information systems (sensitive ones
   * by 28 February 2027, all by 28 February 2028): the session's acr must be one of `MFA_ACR_VALUES`,
   * asked for as ProConnect documents it. A person whose identity provider cannot do MFA gets a one-time
   * code by e-mail from ProConnect (acr `eidas1-mfa`). Not with `acr`.
   */
  mfa?: boolean;
  /**
   * Always answer 401/403 JSON, never redirect: for routes only scripts call. A plain `fetch()` accepts
   * any type, so without this it would get the login redirect meant for pages.
   */
  api?: boolean;
}

/**
 * Lets signed-in users through. Anyone else: a browser GET is sent to the login route with a `returnTo`
 * of the page asked for; an API call (a JSON `Accept`, or not a GET) gets a 401 JSON answer. With
 * `acr`, a session whose acr does not match goes back through login asking ProConnect for it (403 JSON
 * for an API call).
 *
 * The one exception to "every request-time error goes to `next(err)`": refusing an anonymous visitor is
 * the normal path of a protected route, not a failure, and an app's error handler usually renders HTML
 * pages for people, where a script needs a stable `{ error, message }` JSON answer and its status. Only
 * a misconfiguration goes to `next(err)`: `not_configured` (no `proconnect()` in the app, or several and
 * no telling which: use the instance's own `auth.requireAuth()`) and `login_loop` (a browser that has
 * just signed in comes back without its session, and a redirect would loop).
 *
 * Works on every route, wherever `proconnect()` is mounted: it sends people to the login of the
 * instance that saw the request, or else of the only instance in the process.
 *
 * @example
 * app.get("/profil", requireAuth(), (req, res) => res.render("profil", { user: req.proconnectUser }));
 * app.get("/entreprise", requireAuth({ acr: CERTIFICATION_DIRIGEANT }), showCompany);
 * app.get("/api/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser));
 */
export function requireAuth(options: RequireAuthOptions = {}): RequestHandler {
  return guard(options, undefined);
}

/** `requireAuth()` for one instance (`instance` given) or for whichever the request finds. */
export function guard(options: RequireAuthOptions, instance: Context | undefined): RequestHandler {
  if (options.mfa && options.acr !== undefined) {
    throw new ProConnectError(
      "invalid_options",
      "requireAuth(): give acr or mfa, not both (mfa: true asks for MFA_ACR_VALUES)",
    );
  }
  const wanted: readonly string[] | undefined = options.mfa
    ? MFA_ACR_VALUES
    : options.acr === undefined
      ? undefined
      : typeof options.acr === "string"
        ? [options.acr]
        : options.acr;
  const unknown = wanted?.filter((value) => !isProConnectAcr(value)) ?? [];
  const removed = unknown.map((value) => removedAcr(value)).find((note) => note !== undefined);
  if ((wanted && wanted.length === 0) || unknown.length > 0) {
    throw new ProConnectError(
      "invalid_options",
      removed
        ? `requireAuth(): acr ${unknown.join(", ")} was ${removed}`
        : `requireAuth(): acr must be one or more of ${ACR_VALUES.join(", ")}${unknown.length ? ` (got ${unknown.join(", ")})` : ""}`,
    );
  }

  return (req, res, next) => {
    const context = instance ?? findContext(res);
    if (context instanceof ProConnectError) {
      next(context);
      return;
    }
    setCurrent(res, context);
    // For an app whose `express` is not the copy this package resolves (see installUserGetter).
    if (!("proconnectUser" in req)) installUserGetter(req);
    const user = Object.hasOwn(req, "proconnectUser")
      ? req.proconnectUser
      : dataOf(req.session as AppSession | undefined, context.key)?.user;
    if (user && (!wanted || (user.acr !== undefined && wanted.includes(user.acr)))) {
      next();
      return;
    }
    const api =
      options.api === true ||
      (req.method !== "GET" && req.method !== "HEAD") ||
      req.accepts(["html", "json"]) === "json";
    if (api) {
      const error = user
        ? new ProConnectError(
            "insufficient_acr",
            `this route requires the acr ${wanted?.join(" or ")}`,
          )
        : new ProConnectError("unauthenticated", "sign in with ProConnect first");
      res.status(error.status).json({ error: error.code, message: error.message });
      return;
    }
    if (!user) {
      const since = context.loginCookies.lostSessionSince(req, req.sessionID ?? "");
      if (since !== undefined) {
        next(loginLoop(context, since));
        return;
      }
    }
    const query = new URLSearchParams({ returnTo: req.originalUrl });
    if (wanted) query.set("acr", wanted.join(" "));
    res.redirect(303, `${context.options.paths.login}?${query}`);
  };
}

function loginLoop(context: Context, since: number): ProConnectError {
  return new ProConnectError(
    "login_loop",
    `this browser completed a login ${since} s ago, but this request does not carry the session that login created: sending it to the login again would loop. The session cookie did not come back, or the session is gone. Check the session cookie's sameSite ("lax", not "strict": ProConnect's redirect back is cross-site), domain and path; that the browser uses baseUrl's host (${new URL(context.options.baseUrl).host}); and that every instance of the app shares one session store (express-session's MemoryStore is per process)`,
  );
}
