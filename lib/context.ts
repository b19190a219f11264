import { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { Request, Response } from "express";
import type { ProviderClient } from "./client.js";
import { ProConnectError } from "./errors.js";
import type { LoginCookies } from "./login-cookie.js";
import type { ResolvedOptions } from "./options.js";
import type { AppSession, ProConnectSessionData } from "./session.js";
import type { ProConnectUser } from "./types.js";

/** Where an instance keeps its data in the session: `proconnect`, or `proconnect:<name>` when named. */
export type SessionKey = "proconnect" | `proconnect:${string}`;

/** What the routes of one `proconnect()` share. */
export interface Context {
  options: ResolvedOptions;
  provider: ProviderClient;
  scopes: ReadonlySet<string>;
  loginCookies: LoginCookies;
  /** The instance's `name` option, if any. */
  name: string | undefined;
  key: SessionKey;
  /** Set once this instance is found sharing a name or a route with another on the same path. */
  conflict?: ProConnectError;
}

/** How an error message names an instance. */
export function describe(context: Context): string {
  return context.name === undefined ? "proconnect()" : `proconnect({ name: "${context.name}" })`;
}

/** The data `context` keeps in `session`, if any. */
export function dataOf(
  session: Partial<AppSession> | undefined,
  key: SessionKey,
): ProConnectSessionData | undefined {
  return (session as Record<string, ProConnectSessionData | undefined> | undefined)?.[key];
}

export function setData(session: AppSession, key: SessionKey, data: ProConnectSessionData): void {
  (session as unknown as Record<string, ProConnectSessionData>)[key] = data;
}

/** Whether a session key is one of proconnect-express's (any instance's). */
export function isOurKey(key: string): key is SessionKey {
  return key === "proconnect" || key.startsWith("proconnect:");
}

/** The data other instances keep in `session` for a signed-in user, to carry into a new session. */
export function otherInstances(
  session: AppSession,
  key: SessionKey,
): Record<string, ProConnectSessionData> {
  const kept: Record<string, ProConnectSessionData> = {};
  for (const other of Object.keys(session)) {
    if (other === key || !isOurKey(other)) continue;
    const data = dataOf(session, other);
    if (data?.user !== undefined) kept[other] = data;
  }
  return kept;
}

const SEEN = Symbol("proconnect-express: instances that saw this request");
const CURRENT = Symbol("proconnect-express: the instance this request is about");

// Nothing is written on `req` per request: a property added to every request changes its hidden class,
// and every later read of `req` in Express and express-session got slower (about 7 % of a small route's
// time, measured; docs/performance.md). `res.locals` is a dictionary Express makes for each request.
type Locals = { [SEEN]?: Context | Context[]; [CURRENT]?: Context };

/**
 * `proconnect()` marks each request it sees, so that a plain `requireAuth()` finds its routes. Usually
 * one instance; several mark the same request when several are mounted on its path.
 */
export function markSeen(res: Response, context: Context): Context[] | undefined {
  const locals = res.locals as Locals;
  const seen = locals[SEEN];
  if (seen === undefined || seen === context) {
    locals[SEEN] = context;
    return undefined;
  }
  const all = Array.isArray(seen) ? seen : [seen];
  if (!all.includes(context)) all.push(context);
  locals[SEEN] = all;
  return all;
}

/** Which instance a request is about, once an instance's `requireAuth()` or routes have said so. */
export function setCurrent(res: Response, context: Context): void {
  (res.locals as Locals)[CURRENT] = context;
}

function seenBy(res: Response): readonly Context[] {
  const seen = (res.locals as Locals | undefined)?.[SEEN];
  return seen === undefined ? [] : Array.isArray(seen) ? seen : [seen];
}

// The first instance created, while it is the only one: a plain requireAuth() outside the path where
// proconnect() is mounted (which that middleware never sees) then knows whose login to send people to.
// A count rather than a list of instances: nothing created by an app is kept alive beyond the first.
let created = 0;
let onlyInstance: Context | undefined;

export function register(context: Context): void {
  created += 1;
  onlyInstance = created === 1 ? context : undefined;
  installUserGetter();
}

/**
 * The instance a plain `requireAuth()` stands for on this request: the one that saw the request, or
 * else the only one of the process. Several (two mounted on the same path, or two in the process and
 * none on this path) is ambiguous; none is a missing `proconnect()`.
 */
export function findContext(res: Response): Context | ProConnectError {
  const marked = (res.locals as Locals | undefined)?.[SEEN];
  // The usual case, without building a list: one instance saw the request.
  if (marked !== undefined && !Array.isArray(marked)) return marked;
  const seen = seenBy(res);
  if (seen.length === 1) return seen[0] as Context;
  if (seen.length > 1) {
    return new ProConnectError(
      "not_configured",
      `requireAuth() cannot tell which ProConnect to sign in with: ${seen.map(describe).join(" and ")} are both mounted on this path; use the instance's own, e.g. const rie = proconnect({ name: "rie", ... }); app.get("/page", rie.requireAuth(), ...)`,
    );
  }
  if (onlyInstance) return onlyInstance;
  return new ProConnectError(
    "not_configured",
    created === 0
      ? "requireAuth() needs app.use(proconnect({...})) in the app"
      : `requireAuth() cannot tell which ProConnect to sign in with: this process has ${created} proconnect() instances and none is mounted on this path; use the instance's own, e.g. const auth = proconnect({...}); app.get("/page", auth.requireAuth(), ...)`,
  );
}

/** The user in `session`: `current`'s, or else the unnamed instance's, or else the first named one signed in. */
export function userOf(
  session: Partial<AppSession> | undefined,
  current: Context | undefined,
): ProConnectUser | undefined {
  if (!session) return undefined;
  if (current) return dataOf(session, current.key)?.user;
  const user = session.proconnect?.user;
  if (user !== undefined) return user;
  for (const key in session) {
    if (key.startsWith("proconnect:")) {
      const named = dataOf(session, key as SessionKey)?.user;
      if (named !== undefined) return named;
    }
  }
  return undefined;
}

/** The `express` the app resolves (a peer dependency), read lazily: the CLI loads this file without it. */
function expressRequest(): object | null {
  try {
    const express = createRequire(import.meta.url)("express") as { request?: object };
    return express.request ?? null;
  } catch {
    return null;
  }
}

/**
 * The prototype all requests of an Express copy share, the one just above node's IncomingMessage: that
 * of `req`'s copy, or else of the `express` the app resolves. Where the package's getters go.
 */
export function sharedRequestPrototype(req?: object): object | null {
  let proto: object | null = req ? (Object.getPrototypeOf(req) as object | null) : expressRequest();
  while (proto && Object.getPrototypeOf(proto) !== IncomingMessage.prototype) {
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return proto;
}

/**
 * Makes `req.proconnectUser` a getter on Express's request prototype as soon as an instance is created,
 * so that it answers on every route of the app, wherever `proconnect()` is mounted, from the first
 * request. It only reads what proconnect-express wrote in the session, after every check. A getter on
 * the prototype rather than a property written on each request: adding a property to every request
 * object changes its shape, which slowed every later read of `req` (see docs/performance.md).
 * Assigning `req.proconnectUser` still works: it sets an own property of that request. Also called
 * with a request, for an app whose `express` is another copy than the one this package resolves.
 */
export function installUserGetter(req?: Request): void {
  const proto = sharedRequestPrototype(req);
  if (!proto || Object.hasOwn(proto, "proconnectUser")) return;
  Object.defineProperty(proto, "proconnectUser", {
    configurable: true,
    enumerable: false,
    get(this: { session?: AppSession; res?: Response }) {
      const current = (this.res?.locals as Locals | undefined)?.[CURRENT];
      return userOf(this.session, current);
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
