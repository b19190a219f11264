// requireAuth()'s work, for the plain one and each instance's. Apart from require-auth.ts so that the
// public declarations never reach the internal Context (and through it openid-client's and jose's types).
import type { RequestHandler } from "express";
import { ACR_VALUES, isProConnectAcr, MFA_ACR_VALUES, removedAcr } from "./acr.js";
import { dataOf, findContext, type Context } from "./context.js";
import { ProConnectError } from "./errors.js";
import { safeReturnTo } from "./return-to.js";
import type { RequireAuthOptions } from "./types.js";
import type { AppSession } from "./session.js";

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
    // Read from the session, never from req.proconnectUser, which any code of the app may assign.
    const user = dataOf(req.session as AppSession | undefined, context.key)?.user;
    // Set on this request (whatever copy of Express made it): this instance's user, for the route.
    req.proconnectUser = user;
    // A signed-in page is the person's own: no shared cache may keep it. The app's own value wins.
    if (!res.hasHeader("cache-control")) res.setHeader("Cache-Control", "private, no-store");
    if (user && (!wanted || (user.acr !== undefined && wanted.includes(user.acr)))) {
      next();
      return;
    }
    const byAccept = options.api !== true && (req.method === "GET" || req.method === "HEAD");
    // The answer (a 401 or a redirect to the login) then depends on Accept: say so to caches.
    if (byAccept) res.vary("Accept");
    const api = !byAccept || req.accepts(["html", "json"]) === "json";
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
    // Only a returnTo the login route takes back: a longer one would make its URL too long to accept.
    const returnTo = safeReturnTo(req.originalUrl);
    const query = new URLSearchParams(returnTo === undefined ? {} : { returnTo });
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
