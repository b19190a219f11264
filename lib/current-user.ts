// Its own file, apart from context.ts: the public declarations then never reach the internal Context
// (and through it openid-client's and jose's types).
import { userOf } from "./context.js";
import type { AppSession } from "./session.js";
import type { ProConnectUser } from "./types.js";

/**
 * The signed-in user of any request object: the value assigned to `req.proconnectUser` for this request
 * if any, else the user proconnect-express wrote in the session after every check (with several named
 * instances: the one the request is about, else the first signed in). Works on a request that did not
 * come through Express (a unit test's plain object with a `session`).
 *
 * @example
 * import { getProConnectUser } from "proconnect-express";
 * const user = getProConnectUser({ session: { proconnect: { user: alice } } }); // alice
 */
export function getProConnectUser(req: {
  session?: unknown;
  proconnectUser?: ProConnectUser;
}): ProConnectUser | undefined {
  if (Object.hasOwn(req, "proconnectUser")) return req.proconnectUser;
  return userOf(req.session as Partial<AppSession> | undefined, undefined);
}
