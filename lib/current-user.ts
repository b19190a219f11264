// Its own file, apart from context.ts: the public declarations then never reach the internal Context
// (and through it openid-client's and jose's types).
import { userOf } from "./context.js";
import type { AppSession } from "./session.js";
import type { ProConnectUser } from "./types.js";

/**
 * The signed-in user of any request, on any route: `req.proconnectUser` when `proconnect()` or
 * `requireAuth()` set it on this request, else the user proconnect-express wrote in the session after
 * every check (the unnamed instance's, else the first named one signed in). For a route that neither
 * reaches (`proconnect()` mounted under a path, the route outside it), and for a request that did not come
 * through Express (a unit test's plain object with a `session`).
 *
 * @example
 * import { getProConnectUser } from "proconnect-express";
 * app.get("/", (req, res) => res.render("home", { user: getProConnectUser(req) }));
 * getProConnectUser({ session: { proconnect: { user: alice } } }); // alice
 */
export function getProConnectUser(req: {
  session?: unknown;
  proconnectUser?: ProConnectUser;
}): ProConnectUser | undefined {
  if (req.proconnectUser !== undefined) return req.proconnectUser;
  return userOf(req.session as Partial<AppSession> | undefined);
}
