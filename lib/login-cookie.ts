import { createHash } from "node:crypto";
import type { CookieOptions, Request, Response } from "express";
import { safeReturnTo } from "./return-to.js";

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

/**
 * Each login under way lives in its own cookie, named after its `state`, rather than in the session:
 * two tabs starting (or finishing) a login at the same moment each write their own cookie, where two
 * writes of one session would lose one attempt (express-session does not lock). It also means an
 * anonymous `/login` writes nothing to the session store.
 *
 * The cookie is HttpOnly, SameSite=Lax (ProConnect's redirect back is a top-level GET) and, over
 * https, `__Host-` (Secure, Path=/, no Domain: a sibling subdomain cannot plant one). It holds that
 * browser's own nonce and PKCE verifier; tampering with it gains nothing, since the code it would
 * redeem is bound by ProConnect to the verifier sent at `/login`.
 */
export interface LoginCookies {
  /** The attempt whose `state` this is, if this browser holds a well-formed one (expired or not). */
  read(req: Request, state: string): PendingLogin | undefined;
  /** Sets the cookie of a new attempt, dropping the oldest ones beyond `maxPendingLogins` or the size budget. */
  write(req: Request, res: Response, state: string, attempt: PendingLogin): void;
  /** Deletes the cookie of `state` (single use: done before the callback checks anything else). */
  clear(res: Response, state: string): void;
  /** After a login: notes for a few seconds which session id the browser was given. */
  markSignedIn(res: Response, sessionId: string): void;
  /** Deletes that note (a logout). */
  clearSignedIn(res: Response): void;
  /**
   * Sets the cookie of a logout under way: its `state`, for `/logout/callback` to check, for
   * `maxAgeSeconds`. In a cookie rather than in the session, which `POST /logout` has already ended.
   */
  writeLogout(res: Response, state: string, maxAgeSeconds: number): void;
  /** The `state` of this browser's logout under way, if it holds a well-formed one. */
  readLogout(req: Request): string | undefined;
  /** Deletes the cookie of the logout under way (its callback came back). */
  clearLogout(res: Response): void;
  /**
   * Seconds since this browser completed a login, when that was moments ago and the request does not
   * carry the session id the login gave it: the session cookie did not come back, and sending the
   * browser to the login again would loop.
   */
  lostSessionSince(req: Request, sessionId: string): number | undefined;
}

/** How long after a login a request without its session is taken for a loop rather than a new visit. */
const SIGNED_IN_NOTE_SECONDS = 30;

/**
 * Bytes the pending-login cookies of one browser may take: half of the 8,190 bytes common proxies accept
 * for a whole `Cookie` header, so that the app's own cookies (its session, its preferences) fit beside
 * them. Short `returnTo` paths leave room for every tab's login; 2,048-character ones for one or two.
 */
const PENDING_COOKIES_BUDGET = 4 * 1024;

const STATE = /^[\w-]{1,128}$/;
const RANDOM = /^[\w-]{16,128}$/;

export function loginCookies(options: {
  secure: boolean;
  maxPendingLogins: number;
  /** The instance's name: each named instance has cookies of its own. */
  name?: string | undefined;
}): LoginCookies {
  const named = (cookie: string) =>
    `${options.secure ? "__Host-" : ""}${cookie}${options.name ? `-${options.name}` : ""}`;
  // "." ends the prefix: one instance's prefix is never the start of another's ("-rie." vs ".").
  const prefix = `${named("proconnect-login")}.`;
  const attributes = {
    httpOnly: true,
    sameSite: "lax",
    secure: options.secure,
    path: "/",
  } as const;

  /** Our cookies in the request, by state: the raw value, unparsed. */
  function ours(req: Request): Map<string, string> {
    const found = new Map<string, string>();
    for (const pair of (req.headers.cookie ?? "").split(";")) {
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const state = name.slice(prefix.length);
      // Only names this library sets: "…a b" (planted over http) is not ours, and clearing it would throw.
      if (at > 0 && name.startsWith(prefix) && STATE.test(state))
        found.set(state, pair.slice(at + 1).trim());
    }
    return found;
  }

  return {
    read(req, state) {
      if (!STATE.test(state)) return undefined;
      const raw = ours(req).get(state);
      return raw === undefined ? undefined : decode(raw);
    },

    write(req, res, state, attempt) {
      const value = encode(attempt);
      const now = Date.now();
      // Oldest first; an unreadable or expired cookie of ours counts as the oldest of all.
      const others = [...ours(req)]
        .filter(([name]) => name !== state)
        .map(([name, raw]) => ({
          name,
          bytes: prefix.length + name.length + raw.length,
          expiresAt: decode(raw)?.expiresAt ?? 0,
        }))
        .sort((a, b) => a.expiresAt - b.expiresAt);
      let bytes =
        others.reduce((sum, other) => sum + other.bytes, 0) +
        prefix.length +
        state.length +
        value.length;
      let kept = others.length;
      // At most maxPendingLogins deletions per answer: a browser sent hundreds of junk cookies of ours
      // must not get hundreds of Set-Cookie headers back (the rest go with the next logins).
      let cleared = 0;
      for (const other of others) {
        const tooMany = kept + 1 > options.maxPendingLogins;
        if (!tooMany && bytes <= PENDING_COOKIES_BUDGET && other.expiresAt > now) break;
        if (cleared === options.maxPendingLogins) break;
        res.clearCookie(prefix + other.name, attributes);
        bytes -= other.bytes;
        kept -= 1;
        cleared += 1;
      }
      res.cookie(prefix + state, value, {
        ...attributes,
        // Whole seconds, rounded up: Max-Age is in seconds and would otherwise lose one.
        maxAge: Math.max(0, Math.ceil((attempt.expiresAt - now) / 1000) * 1000),
      });
    },

    clear(res, state) {
      if (STATE.test(state)) res.clearCookie(prefix + state, attributes);
    },

    ...notes(named, attributes),
  };
}

/**
 * The cookies that are notes rather than attempts: the login that just ended (`proconnect-signed-in`)
 * and the logout under way (`proconnect-logout`).
 */
function notes(
  named: (cookie: string) => string,
  attributes: CookieOptions,
): Omit<LoginCookies, "read" | "write" | "clear"> {
  const signedInCookie = named("proconnect-signed-in");
  const logoutCookie = named("proconnect-logout");
  return {
    markSignedIn(res, sessionId) {
      res.cookie(signedInCookie, `${Date.now()}.${fingerprint(sessionId)}`, {
        ...attributes,
        maxAge: SIGNED_IN_NOTE_SECONDS * 1000,
      });
    },

    clearSignedIn(res) {
      res.clearCookie(signedInCookie, attributes);
    },

    writeLogout(res, state, maxAgeSeconds) {
      res.cookie(logoutCookie, state, { ...attributes, maxAge: maxAgeSeconds * 1000 });
    },

    readLogout(req) {
      const raw = cookieValue(req, logoutCookie);
      return raw !== undefined && RANDOM.test(raw) ? raw : undefined;
    },

    clearLogout(res) {
      res.clearCookie(logoutCookie, attributes);
    },

    lostSessionSince(req, sessionId) {
      const raw = cookieValue(req, signedInCookie);
      const match = raw === undefined ? null : /^(\d{1,15})\.([\w-]{22})$/.exec(raw);
      if (!match) return undefined;
      const seconds = (Date.now() - Number(match[1])) / 1000;
      if (seconds < 0 || seconds > SIGNED_IN_NOTE_SECONDS) return undefined;
      return match[2] === fingerprint(sessionId) ? undefined : Math.round(seconds);
    },
  };
}

/** Says whether two session ids are the same without putting one in a cookie in clear. */
function fingerprint(sessionId: string): string {
  return createHash("sha256").update(sessionId).digest("base64url").slice(0, 22);
}

function cookieValue(req: Request, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

function encode(attempt: PendingLogin): string {
  const fields = [attempt.nonce, attempt.codeVerifier, attempt.returnTo, attempt.expiresAt];
  return Buffer.from(JSON.stringify(attempt.silent ? [...fields, 1] : fields)).toString(
    "base64url",
  );
}

/** The attempt in a cookie value, or undefined for anything that is not exactly what `encode` writes. */
function decode(raw: string): PendingLogin | undefined {
  if (!/^[\w-]+$/.test(raw) || raw.length > 4096) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(fields) || fields.length < 4 || fields.length > 5) return undefined;
  const [nonce, codeVerifier, returnTo, expiresAt, silent] = fields as unknown[];
  if (typeof nonce !== "string" || !RANDOM.test(nonce)) return undefined;
  if (typeof codeVerifier !== "string" || !RANDOM.test(codeVerifier)) return undefined;
  if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) return undefined;
  if (silent !== undefined && silent !== 1) return undefined;
  // Checked again on the way out: the cookie is the browser's to change.
  const target = safeReturnTo(returnTo);
  if (target === undefined) return undefined;
  return {
    nonce,
    codeVerifier,
    returnTo: target,
    expiresAt,
    ...(silent === 1 ? { silent: true } : {}),
  };
}
