import type { RequestHandler } from "express";
import { ACR_VALUES, isProConnectAcr, type ProConnectAcr } from "./acr.js";
import { getContext, getProConnectUser } from "./context.js";
import { ProConnectError } from "./errors.js";

export interface RequireAuthOptions {
  /** The acr the session must have (any of them, for a list), e.g. `CERTIFICATION_DIRIGEANT`. */
  acr?: ProConnectAcr | readonly ProConnectAcr[];
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
 * a misconfiguration (`not_configured`: no `proconnect()` before it) goes to `next(err)`.
 *
 * @example
 * app.get("/profil", requireAuth(), (req, res) => res.render("profil", { user: req.proconnectUser }));
 * app.get("/entreprise", requireAuth({ acr: CERTIFICATION_DIRIGEANT }), showCompany);
 * app.get("/api/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser));
 */
export function requireAuth(options: RequireAuthOptions = {}): RequestHandler {
  const wanted: readonly string[] | undefined =
    options.acr === undefined
      ? undefined
      : typeof options.acr === "string"
        ? [options.acr]
        : options.acr;
  const unknown = wanted?.filter((value) => !isProConnectAcr(value)) ?? [];
  if ((wanted && wanted.length === 0) || unknown.length > 0) {
    throw new ProConnectError(
      "invalid_options",
      `requireAuth(): acr must be one or more of ${ACR_VALUES.join(", ")}${unknown.length ? ` (got ${unknown.join(", ")})` : ""}`,
    );
  }

  return (req, res, next) => {
    const context = getContext(res);
    if (!context) {
      next(
        new ProConnectError(
          "not_configured",
          "requireAuth() needs app.use(proconnect({...})) mounted before it",
        ),
      );
      return;
    }
    const user = getProConnectUser(req);
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
    const query = new URLSearchParams({ returnTo: req.originalUrl });
    if (wanted) query.set("acr", wanted.join(" "));
    res.redirect(303, `${context.options.paths.login}?${query}`);
  };
}
