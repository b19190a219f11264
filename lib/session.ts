import type { CookieOptions, Request, Response } from "express";
import type { Session, SessionData, Store } from "express-session";
import { ProConnectError } from "./errors.js";
import { publish, type SessionStoreOperation } from "./events.js";
import type { ProConnectUser } from "./types.js";

/** What proconnect-express keeps in the app's session, under `proconnect`. */
export interface ProConnectSessionData {
  user?: ProConnectUser;
  /** Kept for logout: ProConnect requires it as `id_token_hint`. */
  idToken?: string;
  /** Only with `storeTokens: true`. */
  tokens?: { accessToken: string; refreshToken?: string; expiresAt?: number };
}

declare module "express-session" {
  interface SessionData {
    proconnect?: ProConnectSessionData;
  }
}

export type AppSession = Session & Partial<SessionData>;

/** The app's session, or a clear error when express-session is not mounted before `proconnect()`. */
export function sessionOf(req: Request): AppSession {
  const session = (req as Request & { session?: AppSession }).session;
  if (!session) {
    throw new ProConnectError(
      "session_missing",
      "req.session is missing: mount express-session (app.use(session({...}))) before proconnect()",
    );
  }
  return session;
}

/**
 * Refuses, before any login goes to ProConnect, a request on which express-session will not send its
 * cookie: a Secure cookie on a request it does not see as secure (plain http, or a proxy's https that
 * Express does not trust). express-session drops the cookie without a word, the login cookie still goes
 * through, and every login would "succeed" into an endless loop back to the login.
 */
export function requireSettableCookie(req: Request): void {
  const { secure, sameSite } = sessionOf(req).cookie;
  if (sameSite === "strict" || sameSite === true) {
    throw new ProConnectError(
      "insecure_session_cookie",
      'the session cookie is SameSite=Strict, so browsers do not send it on the pages that follow ProConnect\'s redirect back (a cross-site navigation) and every login would loop: set cookie.sameSite to "lax"',
    );
  }
  if (secure !== true) return; // false, or "auto": express-session follows the request
  // req.secure covers a TLS socket too, and a proxy's https when Express trusts it.
  if (req.secure) return;
  const forwarded = req.headers["x-forwarded-proto"];
  const behindHttps = typeof forwarded === "string" && forwarded.split(",")[0]?.trim() === "https";
  throw new ProConnectError(
    "insecure_session_cookie",
    behindHttps
      ? 'the session cookie is Secure, and this request came through an https proxy Express does not trust, so express-session would not send the cookie and the login would loop: add app.set("trust proxy", 1) (or the proxy\'s address) before the session'
      : 'the session cookie is Secure but this request is plain http, so express-session would not send the cookie and the login would loop: over http in development, set cookie.secure to false (or "auto"); behind a reverse proxy that terminates https, add app.set("trust proxy", 1)',
  );
}

/** What each store call does, in the words of its error's message. */
const DOING: Record<SessionStoreOperation, string> = {
  get: "read the session",
  set: "save the session",
  destroy: "remove the session",
  regenerate: "replace the session",
  touch: "renew the session",
  all: "list the sessions",
  length: "count the sessions",
  clear: "clear the sessions",
  lock: "take the refresh lock",
};

/**
 * Runs one store call with a deadline. Whatever the store does — answers an error, throws, never
 * answers, or answers after the deadline — the promise settles once, with a `session_store_unavailable`
 * error whose message names the operation and never the store's own words (they may hold a password or
 * a URL): those stay in `cause`. Each failure is published (`session-store:failure`).
 */
export function withinDeadline<T = void>(
  operation: SessionStoreOperation,
  timeoutMs: number,
  call: (done: (error?: unknown, value?: T) => void) => unknown,
  late?: (error: unknown) => void,
): Promise<T> {
  const what = DOING[operation];
  const failed = (timedOut: boolean) =>
    publish("sessionStoreFailure", () => ({
      operation,
      code: "session_store_unavailable",
      timedOut,
    }));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      settled = true;
      timedOut = true;
      failed(true);
      reject(
        new ProConnectError(
          "session_store_unavailable",
          `the session store did not ${what} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const done = (error?: unknown, value?: T) => {
      if (settled) {
        // Once only: the answer that comes after the deadline, for whoever must undo what it did.
        if (timedOut && late) {
          timedOut = false;
          late(error);
        }
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (error) {
        failed(false);
        reject(
          new ProConnectError("session_store_unavailable", `the session store could not ${what}`, {
            cause: error,
          }),
        );
      } else resolve(value as T);
    };
    try {
      // A store written with async methods rejects instead of calling back: the same failure.
      const returned: unknown = call(done);
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then === "function") {
        (returned as PromiseLike<unknown>).then(undefined, (error: unknown) =>
          done(error ?? new Error("the store rejected")),
        );
      }
    } catch (error) {
      done(error ?? new Error("the store threw"));
    }
  });
}

/** A cookie name as RFC 6265 has it (a token), the one kind Express's `res.clearCookie()` accepts. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The session cookie a browser sent for the request's session, as express-session signs it. */
export interface HeldCookie {
  name: string;
  /** What clearing it takes (express-session's path and domain), read before any store call. */
  attributes: CookieOptions;
}

/**
 * The cookie of this request that names its session, if any: `undefined` when express-session made the
 * session for this very request (no cookie, or one naming a session the store did not have), so that no
 * browser knows its id yet. Read from the signed value express-session writes (`s:<id>.<signature>`).
 */
export function heldCookie(req: Request): HeldCookie | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const signed = `s:${req.sessionID}.`;
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    let value = pair.slice(at + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    const name = pair.slice(0, at).trim();
    // A copy under a name no Set-Cookie may carry ("a/b") is not the app's session cookie.
    if (value.startsWith(signed) && COOKIE_NAME.test(name)) {
      const session = (req as Request & { session?: AppSession }).session;
      return { name, attributes: cookieAttributes(session) };
    }
  }
  return undefined;
}

/** The keys of a session besides express-session's `cookie`. */
function dataKeys(session: AppSession): string[] {
  return Object.keys(session).filter((key) => key !== "cookie");
}

/**
 * A session no browser knows yet, for a change of privilege (a login, a logout). When the browser holds
 * the request's session, `req.session.regenerate()`: the store removes it and express-session makes a
 * new one, sent to the browser with a new cookie. When express-session made the session for this request
 * (`held` undefined), it is emptied in place: its id was never sent, and express-session then writes it
 * once, with the save that follows, instead of twice. Either way the session comes back empty.
 */
export async function freshSession(
  req: Request,
  held: HeldCookie | undefined,
  timeoutMs: number,
): Promise<AppSession> {
  const session = sessionOf(req);
  if (held === undefined) {
    for (const key of dataKeys(session)) Reflect.deleteProperty(session, key);
    return session;
  }
  await withinDeadline("regenerate", timeoutMs, (done) => session.regenerate(done));
  return sessionOf(req);
}

/**
 * Writes the request's session now, within the deadline (`req.session.save()`). A write that the store
 * applies after the deadline is removed as soon as the store says so: the request has already failed.
 */
export async function saveSession(req: Request, timeoutMs: number): Promise<void> {
  const session = sessionOf(req);
  const id = session.id;
  await withinDeadline(
    "set",
    timeoutMs,
    (done) => session.save(done),
    (error) => {
      if (!error) removeEventually(req.sessionStore, id, timeoutMs);
    },
  );
}

/** Delays before each new attempt to remove a session no browser may keep, while the store refuses. */
const REMOVAL_RETRIES_MS = [1_000, 2_000, 4_000, 8_000];

/**
 * Removes the session `id` from the store (the store contract's `destroy`), bounded, in the background;
 * again over the next 15 s while the store refuses (a Redis reconnecting with `disableOfflineQueue`
 * fails at once), since a signed-in session whose write was applied, its answer lost, must not stay.
 */
function removeEventually(store: Store, id: string, timeoutMs: number, attempt = 0): void {
  withinDeadline("destroy", timeoutMs, (done) => store.destroy(id, done)).catch(() => {
    const delay = REMOVAL_RETRIES_MS[attempt];
    if (delay === undefined) return;
    setTimeout(() => removeEventually(store, id, timeoutMs, attempt + 1), delay).unref();
  });
}

/**
 * Signs the browser out of whatever the request's session holds, without waiting for the store: the
 * session cookie the browser sent is cleared, and `req.session.destroy()` removes the session (in the
 * background, bounded) and tells express-session to write and send nothing more for it. Whatever the
 * store did or will do late, no cookie of this browser names a session any more.
 */
export function dropSession(
  req: Request,
  res: Response,
  held: HeldCookie | undefined,
  timeoutMs: number,
): void {
  const session = (req as Request & { session?: AppSession }).session;
  if (held && !res.headersSent) res.clearCookie(held.name, held.attributes);
  if (session) {
    const { id } = session;
    // Through the session first: express-session then writes and sends nothing more for it.
    void withinDeadline("destroy", timeoutMs, (done) => session.destroy(done)).catch(() =>
      removeEventually(req.sessionStore, id, timeoutMs),
    );
  }
}

/**
 * Ends the request's session: removed (`req.session.destroy()`) when nothing is to be kept, the browser's
 * cookie cleared; otherwise a new session holding only `kept` (its cookie's lifetime cut to `maxAgeMs`
 * when given), written now. Rejects with `session_store_unavailable` when the store fails, after the
 * browser has been signed out all the same.
 */
export async function endSession(
  req: Request,
  res: Response,
  held: HeldCookie | undefined,
  kept: Record<string, unknown>,
  timeoutMs: number,
  maxAgeMs?: number,
): Promise<void> {
  try {
    if (Object.keys(kept).length === 0) {
      const session = sessionOf(req);
      await withinDeadline("destroy", timeoutMs, (done) => session.destroy(done));
      if (held) res.clearCookie(held.name, held.attributes);
      return;
    }
    const session = Object.assign(await freshSession(req, held, timeoutMs), kept);
    if (maxAgeMs !== undefined && (session.cookie.maxAge ?? Infinity) > maxAgeMs) {
      session.cookie.maxAge = maxAgeMs;
    }
    await saveSession(req, timeoutMs);
  } catch (error) {
    dropSession(req, res, held, timeoutMs);
    throw error;
  }
}

/** The attributes a cookie must be cleared with to replace express-session's (same path and domain). */
function cookieAttributes(session: AppSession | undefined): CookieOptions {
  const cookie = session?.cookie;
  if (!cookie) return { path: "/" };
  return {
    path: cookie.path ?? "/",
    ...(cookie.domain ? { domain: cookie.domain } : {}),
    ...(cookie.secure === true ? { secure: true } : {}),
    ...(cookie.sameSite !== undefined && typeof cookie.sameSite !== "boolean"
      ? { sameSite: cookie.sameSite }
      : {}),
    httpOnly: cookie.httpOnly !== false,
  };
}

/**
 * The session `req` carries as the store holds it now, within the deadline: another request (of this
 * process or another instance) may have written it since this one loaded it. `undefined` when the
 * store holds nothing under this id any more.
 */
export async function storedSession(
  req: Request,
  timeoutMs: number,
): Promise<Partial<SessionData> | undefined> {
  const id = sessionOf(req).id;
  const stored = await withinDeadline<Partial<SessionData> | null | undefined>(
    "get",
    timeoutMs,
    (done) => req.sessionStore.get(id, (error, session) => done(error, session)),
  );
  return stored ?? undefined;
}

/**
 * Writes the request's session now, within the deadline, after `change` has been applied to it. When the
 * write fails (or does not answer in time) the promise rejects with `session_store_unavailable`; the
 * change stays in memory, where express-session, whose own save has just been done, does not write it
 * again unless something else changes the session. A write that lands after the deadline is left alone:
 * what it stores is as valid as what it replaced (fresh tokens, for `getAccessToken()`).
 */
export async function saveSessionChange(
  req: Request,
  timeoutMs: number,
  change: () => void,
): Promise<void> {
  const session = sessionOf(req);
  change();
  await withinDeadline("set", timeoutMs, (done) => session.save(done));
}
