import type { Request } from "express";
import type { Session, SessionData, Store } from "express-session";
import { ProConnectError } from "./errors.js";
import type { ProConnectUser } from "./types.js";

/** What proconnect-express keeps in the app's session, under `proconnect`. */
export interface ProConnectSessionData {
  user?: ProConnectUser;
  /** Kept for logout: ProConnect requires it as `id_token_hint`. */
  idToken?: string;
  /** Only with `storeTokens: true`. */
  tokens?: { accessToken: string; refreshToken?: string; expiresAt?: number };
  /** The `state` of the logout under way. */
  logoutState?: string;
}

declare module "express-session" {
  interface SessionData {
    proconnect?: ProConnectSessionData;
  }
}

export type AppSession = Session & Partial<SessionData>;

/** What express-session puts on the store it is given (`generate` makes a new, unsaved session). */
type SessionStore = Store & { generate?: (req: Request) => void };

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

function storeOf(req: Request): SessionStore & { generate: (req: Request) => void } {
  const store = (req as Request & { sessionStore?: SessionStore }).sessionStore;
  if (typeof store?.generate !== "function") {
    throw new ProConnectError(
      "session_missing",
      "req.sessionStore is missing: mount express-session (app.use(session({...}))) before proconnect()",
    );
  }
  return store as SessionStore & { generate: (req: Request) => void };
}

/**
 * Runs one store call with a deadline. Whatever the store does — answers an error, throws, never
 * answers, or answers after the deadline — the promise settles once, with a `session_store_unavailable`
 * error whose message names the operation and never the store's own words (they may hold a password or
 * a URL): those stay in `cause`.
 */
export function withinDeadline<T = void>(
  what: string,
  timeoutMs: number,
  call: (done: (error?: unknown, value?: T) => void) => void,
  late?: (error: unknown) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      settled = true;
      timedOut = true;
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
        reject(
          new ProConnectError("session_store_unavailable", `the session store could not ${what}`, {
            cause: error,
          }),
        );
      } else resolve(value as T);
    };
    try {
      call(done);
    } catch (error) {
      done(error ?? new Error("the store threw"));
    }
  });
}

/** The session as the store keeps it, without its cookie (renewed on every request). */
function contentOf(session: AppSession): string {
  return JSON.stringify(session, function (this: unknown, key, value: unknown) {
    return this === session && key === "cookie" ? undefined : value;
  });
}

/**
 * From now on, express-session's own save at the end of the response writes `session` only if something
 * changed it after this point (the app's error handler adding a flash message, say), and then within the
 * deadline too. Without it, a session proconnect-express has just written would be written again (one
 * store round trip too many per login), and a store that hangs or throws there would hang the response.
 */
function settle(req: Request, session: AppSession, timeoutMs: number): void {
  const store = storeOf(req);
  const written = contentOf(session);
  Object.defineProperty(session, "save", {
    configurable: true,
    enumerable: false,
    writable: true,
    value(this: AppSession, callback?: (error?: unknown) => void) {
      const done = callback ?? (() => undefined);
      if (contentOf(this) === written) done();
      else {
        void withinDeadline("save the session", timeoutMs, (finish) =>
          store.set(this.id, this, finish),
        ).then(() => done(), done);
      }
      return this;
    },
  });
}

/**
 * Writes the request's session to the store now, within the deadline, and once only. A write that
 * succeeds after the deadline is removed as soon as the store says so: the request has already failed,
 * and the browser has been given another id.
 */
export async function persistSession(req: Request, timeoutMs: number): Promise<void> {
  const session = sessionOf(req);
  const store = storeOf(req);
  await withinDeadline(
    "save the session",
    timeoutMs,
    (done) => store.set(session.id, session, done),
    (error) => {
      if (!error) void forgetSession(req, session.id, timeoutMs);
    },
  );
  settle(req, session, timeoutMs);
}

/**
 * Ends the session the browser holds and gives it a new, empty session id (no fixation) that is not
 * written anywhere: the browser's cookie then names nothing until the app stores something. Rejects
 * (`session_store_unavailable`) when the store could not remove the old session in time, after the
 * browser has been given the new id all the same.
 */
export async function replaceSession(req: Request, timeoutMs: number): Promise<AppSession> {
  const store = storeOf(req);
  const id = sessionOf(req).id;
  try {
    await withinDeadline("remove the session", timeoutMs, (done) => store.destroy(id, done));
  } finally {
    abandonSession(req, timeoutMs);
  }
  return sessionOf(req);
}

/**
 * Gives the browser a new, empty, unsaved session id at once, with no store call: whatever the store
 * holds, or will hold after a late answer, under the previous id is named by no cookie of this browser.
 */
export function abandonSession(req: Request, timeoutMs: number): void {
  storeOf(req).generate(req);
  settle(req, sessionOf(req), timeoutMs);
}

/** Removes the session `id` from the store, best effort: never rejects, settles within the deadline. */
export function forgetSession(req: Request, id: string, timeoutMs: number): Promise<void> {
  const store = storeOf(req);
  return withinDeadline("remove the session", timeoutMs, (done) => store.destroy(id, done)).catch(
    () => undefined,
  );
}

/**
 * Gives a session that holds nothing but a logout under way the lifetime of an attempt, so that any store
 * reclaims it when the browser never comes back from ProConnect. A session with the app's own data keeps
 * the app's cookie settings.
 */
export function expireLogoutOnly(session: AppSession, key: string, lifetimeMs: number): void {
  const appKeys = Object.keys(session).filter((other) => other !== "cookie" && other !== key);
  const ourKeys = Object.keys(
    (session as unknown as Record<string, object | undefined>)[key] ?? {},
  );
  const logoutOnly = appKeys.length === 0 && ourKeys.every((key) => key === "logoutState");
  if (logoutOnly && (session.cookie.maxAge ?? Infinity) > lifetimeMs) {
    session.cookie.maxAge = lifetimeMs;
  }
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
  const store = storeOf(req);
  const id = sessionOf(req).id;
  const stored = await withinDeadline<Partial<SessionData> | null | undefined>(
    "read the session",
    timeoutMs,
    (done) => store.get(id, (error, session) => done(error, session)),
  );
  return stored ?? undefined;
}

/**
 * Writes the request's session now, within the deadline, after `change` has been applied to it: all or
 * nothing. When the write fails (or does not answer in time) `undo` puts the previous values back, so
 * that express-session's own save at the end of the response does not write them half-way either, and
 * the promise rejects with `session_store_unavailable`. A write that lands after the deadline is left
 * alone: what it stores is as valid as what it replaced (fresh tokens, for `getAccessToken()`).
 */
export async function saveSessionChange(
  req: Request,
  timeoutMs: number,
  change: () => void,
  undo: () => void,
): Promise<void> {
  const session = sessionOf(req);
  const store = storeOf(req);
  change();
  try {
    await withinDeadline("save the session", timeoutMs, (done) =>
      store.set(session.id, session, done),
    );
  } catch (error) {
    undo();
    throw error;
  }
  settle(req, session, timeoutMs);
}

/**
 * Applies `change` to the request's session without writing it: the store already holds it (another
 * request of the same session wrote it). express-session's own save then writes the session only if
 * something else changes it.
 */
export function adoptStoredChange(req: Request, timeoutMs: number, change: () => void): void {
  change();
  settle(req, sessionOf(req), timeoutMs);
}
