import type { Response } from "express";
import type { ProviderClient } from "./client.js";
import { ProConnectError } from "./errors.js";
import { shared } from "./shared-state.js";
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
  /**
   * Seconds before its end from which a session's access token may be refreshed: the largest
   * `minValidity` asked for so far (60 by default). proconnect() remembers those sessions as loaded.
   */
  refreshWindow: number;
  /** Set once this instance is found sharing a name or a route with another on the same path. */
  conflict?: ProConnectError;
}

/** How an error message names an instance. */
export function describe(context: Context): string {
  return context.name === undefined ? "proconnect()" : `proconnect({ name: "${context.name}" })`;
}

/**
 * The data `context` keeps in `session`, if any, and only in the shape this library writes: data of
 * another shape (an older version's, a hand edit, a store's corruption) counts as none, so that nobody is
 * signed in by it and no route trips over it.
 */
export function dataOf(
  session: Partial<AppSession> | undefined,
  key: SessionKey,
): ProConnectSessionData | undefined {
  const data = (session as Record<string, unknown> | undefined)?.[key];
  return wellFormed(data) ? data : undefined;
}

function wellFormed(data: unknown): data is ProConnectSessionData {
  if (typeof data !== "object" || data === null) return false;
  const { user, idToken, tokens } = data as Record<string, unknown>;
  return (
    (user === undefined || isUser(user)) &&
    (idToken === undefined || typeof idToken === "string") &&
    (tokens === undefined || isTokens(tokens))
  );
}

function isUser(value: unknown): boolean {
  const user = value as Partial<Record<keyof ProConnectUser, unknown>> | null;
  return (
    typeof user === "object" &&
    user !== null &&
    typeof user.sub === "string" &&
    typeof user.idp_id === "string" &&
    typeof user.siret === "string"
  );
}

function isTokens(value: unknown): boolean {
  const tokens = value as Record<string, unknown> | null;
  return (
    typeof tokens === "object" &&
    tokens !== null &&
    typeof tokens.accessToken === "string" &&
    (tokens.refreshToken === undefined || typeof tokens.refreshToken === "string") &&
    (tokens.expiresAt === undefined || Number.isFinite(tokens.expiresAt))
  );
}

export function setData(session: AppSession, key: SessionKey, data: ProConnectSessionData): void {
  (session as unknown as Record<string, ProConnectSessionData>)[key] = data;
}

/** Whether a session key is one of proconnect-express's (any instance's). */
export function isOurKey(key: string): key is SessionKey {
  return key === "proconnect" || key.startsWith("proconnect:");
}

/**
 * What a new session takes from `session` when this instance signs in or out: the keys the app asked
 * to keep (`keepSessionKeys`), and other instances' sign-ins (another network's client, say).
 */
export function carriedKeys(
  session: AppSession,
  key: SessionKey,
  keep: readonly string[] | undefined,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  const data = session as unknown as Record<string, unknown>;
  for (const name of keep ?? []) {
    if (Object.hasOwn(data, name)) kept[name] = data[name];
  }
  for (const other of Object.keys(session)) {
    if (other === key || !isOurKey(other)) continue;
    const theirs = dataOf(session, other);
    if (theirs?.user !== undefined) kept[other] = theirs;
  }
  return kept;
}

// Registered (Symbol.for): both builds of the package, loaded in one process, read the same mark.
const SEEN = Symbol.for("proconnect-express: instances that saw this request");

// On `res.locals`, the dictionary Express makes for each request, rather than on `req`: the app's code
// never sees it there, and `req` keeps the one property the library adds to it (`proconnectUser`).
type Locals = { [SEEN]?: Context | Context[] };

/**
 * `proconnect()` marks each request it sees, so that a plain `requireAuth()` finds its routes. Usually
 * one instance; several mark the same request when several are mounted on its path.
 */
export function markSeen(res: Response, context: Context): Context[] | undefined {
  // The only instance of the process: a plain requireAuth() finds it without a mark, and no other can
  // share its path. Nothing to write on the (hot) path of an app with one instance.
  if (context === instances.only) return undefined;
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

function seenBy(res: Response): readonly Context[] {
  const seen = (res.locals as Locals | undefined)?.[SEEN];
  return seen === undefined ? [] : Array.isArray(seen) ? seen : [seen];
}

// The first instance created, while it is the only one: a plain requireAuth() outside the path where
// proconnect() is mounted (which that middleware never sees) then knows whose login to send people to.
// A count rather than a list of instances: nothing created by an app is kept alive beyond the first.
// Shared by both builds of the package in a process (shared-state.ts).
const instances = shared("instances", () => ({
  created: 0,
  only: undefined as Context | undefined,
}));

export function register(context: Context): void {
  instances.created += 1;
  instances.only = instances.created === 1 ? context : undefined;
}

/**
 * The instance a plain `requireAuth()` stands for on this request: the one that saw the request, or
 * else the only one of the process. Several (two mounted on the same path, or two in the process and
 * none on this path) is ambiguous; none is a missing `proconnect()`.
 */
export function findContext(res: Response): Context | ProConnectError {
  // The usual case, with nothing to read: the process has one instance (which marks no request).
  if (instances.only) return instances.only;
  const marked = (res.locals as Locals | undefined)?.[SEEN];
  if (marked !== undefined && !Array.isArray(marked)) return marked;
  const seen = seenBy(res);
  if (seen.length === 1) return seen[0] as Context;
  if (seen.length > 1) {
    return new ProConnectError(
      "not_configured",
      `requireAuth() cannot tell which ProConnect to sign in with: ${seen.map(describe).join(" and ")} are both mounted on this path; use the instance's own, e.g. const rie = proconnect({ name: "rie", ... }); app.get("/page", rie.requireAuth(), ...)`,
    );
  }
  return new ProConnectError(
    "not_configured",
    instances.created === 0
      ? "requireAuth() needs app.use(proconnect({...})) in the app"
      : `requireAuth() cannot tell which ProConnect to sign in with: this process has ${instances.created} proconnect() instances and none is mounted on this path; use the instance's own, e.g. const auth = proconnect({...}); app.get("/page", auth.requireAuth(), ...)`,
  );
}

/** The user in `session`: the unnamed instance's, or else the first named one signed in. */
export function userOf(session: Partial<AppSession> | undefined): ProConnectUser | undefined {
  if (!session) return undefined;
  const user = dataOf(session, "proconnect")?.user;
  if (user !== undefined) return user;
  for (const key in session) {
    if (key.startsWith("proconnect:")) {
      const named = dataOf(session, key as SessionKey)?.user;
      if (named !== undefined) return named;
    }
  }
  return undefined;
}
