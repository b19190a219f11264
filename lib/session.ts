import type { Request } from "express";
import type { Session, SessionData } from "express-session";
import { ProConnectError } from "./errors.js";
import type { ProConnectUser } from "./user.js";

/** A login under way: what the callback needs to check ProConnect's answer. */
export interface PendingLogin {
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /** Epoch milliseconds after which the attempt is refused. */
  expiresAt: number;
  /** Silent login: `login_required` then just means "not signed in at ProConnect". */
  silent?: boolean;
}

/** What proconnect-express keeps in the app's session, under `proconnect`. */
export interface ProConnectSessionData {
  user?: ProConnectUser;
  /** Kept for logout: ProConnect requires it as `id_token_hint`. */
  idToken?: string;
  /** Only with `storeTokens: true`. */
  tokens?: { accessToken: string; refreshToken?: string; expiresAt?: number };
  /** Logins under way, by `state` (several tabs may log in at once). */
  pending?: Record<string, PendingLogin>;
  /** The `state` of the logout under way. */
  logoutState?: string;
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

/** Keeps at most `max` unexpired attempts, the newest ones: a flood of /login cannot grow the session. */
export function prunePending(
  pending: Record<string, PendingLogin> | undefined,
  max: number,
  now = Date.now(),
): Record<string, PendingLogin> {
  const live = Object.entries(pending ?? {})
    .filter(([, attempt]) => attempt.expiresAt > now)
    .sort(([, a], [, b]) => a.expiresAt - b.expiresAt)
    .slice(-max);
  return Object.fromEntries(live);
}

export function saveSession(session: AppSession): Promise<void> {
  return new Promise((resolve, reject) =>
    session.save((error?: unknown) => (error ? reject(error) : resolve())),
  );
}

/**
 * Gives a session that holds nothing but login or logout attempts the lifetime of an attempt, so that any
 * store reclaims it (a flood of cookie-less /login calls, a logout never finished). A session with a
 * user or with the app's own data keeps the app's cookie settings.
 */
export function expireWithAttempts(session: AppSession, lifetimeMs: number): void {
  const appKeys = Object.keys(session).filter((key) => key !== "cookie" && key !== "proconnect");
  const ourKeys = Object.keys(session.proconnect ?? {});
  const onlyAttempts =
    appKeys.length === 0 && ourKeys.every((key) => key === "pending" || key === "logoutState");
  if (onlyAttempts && (session.cookie.maxAge ?? Infinity) > lifetimeMs) {
    session.cookie.maxAge = lifetimeMs;
  }
}

/** Ends the session: removed from the store, nothing saved in its place (the cookie then matches nothing). */
export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    sessionOf(req).destroy((error?: unknown) => (error ? reject(error) : resolve())),
  );
}

/** A new, empty session under a new id (no fixation); the old one is destroyed in the store. */
export function regenerateSession(req: Request): Promise<AppSession> {
  return new Promise((resolve, reject) =>
    sessionOf(req).regenerate((error?: unknown) =>
      error ? reject(error) : resolve(sessionOf(req)),
    ),
  );
}
