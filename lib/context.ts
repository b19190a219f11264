import { IncomingMessage } from "node:http";
import type { Request, Response } from "express";
import type { ProviderClient } from "./client.js";
import type { LoginCookies } from "./login-cookie.js";
import type { ResolvedOptions } from "./options.js";
import type { SessionData } from "express-session";
import type { AppSession } from "./session.js";
import type { ProConnectUser } from "./types.js";

/** What the routes of one `proconnect()` share. */
export interface Context {
  options: ResolvedOptions;
  provider: ProviderClient;
  scopes: ReadonlySet<string>;
  loginCookies: LoginCookies;
}

const CONTEXT = Symbol("proconnect-express");

// Nothing is written on `req` per request: a property added to every request changes its hidden class,
// and every later read of `req` in Express and express-session got slower (about 7 % of a small route's
// time, measured; README, Performance). `res.locals` is a dictionary Express makes for each request.

/** `proconnect()` marks each request it sees, so that `requireAuth()` finds its routes. */
export function setContext(res: Response, context: Context): void {
  (res.locals as { [CONTEXT]?: Context })[CONTEXT] = context;
}

export function getContext(res: Response): Context | undefined {
  return (res.locals as { [CONTEXT]?: Context } | undefined)?.[CONTEXT];
}

/**
 * The signed-in user of any request object: the value assigned to `req.proconnectUser` for this request
 * if any, else the user proconnect-express wrote in the session after every check. Works on a request
 * that did not come through Express (a unit test's plain object with a `session`), where
 * `req.proconnectUser` is not defined.
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
  return (req.session as Partial<SessionData> | undefined)?.proconnect?.user;
}

/**
 * Makes `req.proconnectUser` a getter on Express's request prototype, once per Express copy, answering
 * only for a request that went through a `proconnect()` middleware (marked in `res.locals`): another app
 * of the same process that does not mount it sees no user, even with a session of its own. A getter on
 * the prototype rather than a property written on each request: adding a property to every request
 * object changes its shape, which slowed every later read of `req` (see docs/performance.md).
 * Assigning `req.proconnectUser` still works: it sets an own property of that request.
 */
export function installUserGetter(req: Request): void {
  let proto: object | null = Object.getPrototypeOf(req) as object | null;
  while (proto && Object.getPrototypeOf(proto) !== IncomingMessage.prototype) {
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  if (!proto || Object.hasOwn(proto, "proconnectUser")) return;
  Object.defineProperty(proto, "proconnectUser", {
    configurable: true,
    enumerable: false,
    get(this: { session?: AppSession; res?: Response }) {
      return this.res && getContext(this.res) ? this.session?.proconnect?.user : undefined;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, "proconnectUser", {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    },
  });
}
