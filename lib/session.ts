import type { Request } from "express";
import type { Session, SessionData } from "express-session";
import { ProConnectError } from "./errors.js";
import type { ProConnectUser } from "./user.js";

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

export function saveSession(session: AppSession): Promise<void> {
  return new Promise((resolve, reject) =>
    session.save((error?: unknown) => (error ? reject(error) : resolve())),
  );
}

/**
 * Gives a session that holds nothing but a logout under way the lifetime of an attempt, so that any store
 * reclaims it when the browser never comes back from ProConnect. A session with the app's own data keeps
 * the app's cookie settings.
 */
export function expireWithAttempts(session: AppSession, lifetimeMs: number): void {
  const appKeys = Object.keys(session).filter((key) => key !== "cookie" && key !== "proconnect");
  const ourKeys = Object.keys(session.proconnect ?? {});
  const onlyAttempts = appKeys.length === 0 && ourKeys.every((key) => key === "logoutState");
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
