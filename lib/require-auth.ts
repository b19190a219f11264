import type { RequestHandler } from "express";
import { guard } from "./guard.js";
import type { RequireAuthOptions } from "./types.js";

export type { RequireAuthOptions };

/**
 * Lets signed-in users through. Anyone else: a browser GET is sent to the login route with a `returnTo`
 * of the page asked for (none when its URL is past `returnTo`'s 2048 characters: the login then ends on
 * `postLoginRedirect`); an API call (a JSON `Accept`, or not a GET) gets a 401 JSON answer. With
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
