import type { Request } from "express";
import type { ProviderClient } from "./client.js";
import type { LoginCookies } from "./login-cookie.js";
import type { ResolvedOptions } from "./options.js";

/** What the routes of one `proconnect()` share. */
export interface Context {
  options: ResolvedOptions;
  provider: ProviderClient;
  scopes: ReadonlySet<string>;
  loginCookies: LoginCookies;
}

const CONTEXT = Symbol("proconnect-express");

/** `proconnect()` marks each request it sees, so that `requireAuth()` finds its routes. */
export function setContext(req: Request, context: Context): void {
  (req as Request & { [CONTEXT]?: Context })[CONTEXT] = context;
}

export function getContext(req: Request): Context | undefined {
  return (req as Request & { [CONTEXT]?: Context })[CONTEXT];
}
