import { IncomingMessage } from "node:http";
import type { Request, Response } from "express";
import type { ProviderClient } from "./client.js";
import type { LoginCookies } from "./login-cookie.js";
import type { ResolvedOptions } from "./options.js";
import type { AppSession } from "./session.js";

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
 * Makes `req.proconnectUser` a getter of the session's user on Express's request prototype (the one
 * every app of this Express copy inherits from), once per copy: only proconnect-express writes
 * `session.proconnect.user`, after every check. Assigning `req.proconnectUser` still works: it sets an
 * own property of that request.
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
    get(this: { session?: AppSession }) {
      return this.session?.proconnect?.user;
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
