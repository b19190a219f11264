import type { Request, RequestHandler } from "express";
import type { ProConnectErrorCode } from "proconnect-express";

// « Réessayer la connexion » on the error page starts the login that failed again: the same page asked
// for (returnTo) and the same level of assurance (acr). An error at /callback no longer has the login's
// query, and proconnect-express's login cookie is its own: the example keeps both values in a small
// cookie of its own when /login starts. They only ever go back to /login, which checks them again
// (returnTo must stay on this site, acr must be values ProConnect knows).

/** What a login asked for: where to go afterwards, at which level. */
export interface RetryTarget {
  returnTo?: string;
  acr?: string;
}

const COOKIE = "login-retry";
/** As long as proconnect-express lets a login take (`loginTimeout`, 10 minutes by default). */
const MAX_AGE_S = 600;

const isPath = (value: unknown): value is string =>
  typeof value === "string" &&
  value.length <= 2048 &&
  value.startsWith("/") &&
  !value.startsWith("//") &&
  // eslint-disable-next-line no-control-regex
  !/[\\\u0000-\u001f\u007f]/.test(value);
// acr values are words (eidas1) or URLs (https://proconnect.gouv.fr/assurance/…), space-separated.
const isAcr = (value: unknown): value is string =>
  typeof value === "string" && /^[\x21-\x7e]{1,200}( [\x21-\x7e]{1,200}){0,9}$/.test(value);

function targetOf(raw: Record<string, unknown>): RetryTarget {
  return {
    ...(isPath(raw.returnTo) ? { returnTo: raw.returnTo } : {}),
    ...(isAcr(raw.acr) ? { acr: raw.acr } : {}),
  };
}

const cookieName = (https: boolean) => (https ? `__Host-${COOKIE}` : COOKIE);

/** On `GET /login`, before proconnect-express: remembers its returnTo and acr (or forgets the last). */
export function rememberRetry(https: boolean): RequestHandler {
  const name = cookieName(https);
  const options = { httpOnly: true, sameSite: "lax", secure: https, path: "/" } as const;
  return (req, res, next) => {
    const target = targetOf(req.query as Record<string, unknown>);
    if (target.returnTo !== undefined || target.acr !== undefined) {
      const value = Buffer.from(JSON.stringify(target)).toString("base64url");
      res.cookie(name, value, { ...options, maxAge: MAX_AGE_S * 1000 });
    } else if (readRetry(req, https) !== undefined) {
      res.clearCookie(name, options);
    }
    next();
  };
}

/** What the last `/login` of this browser asked for, if it said anything. */
export function readRetry(req: Request, https = req.secure): RetryTarget | undefined {
  const name = cookieName(https);
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const [key, value] = pair.trim().split("=", 2);
    if (key !== name || !value) continue;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
      if (typeof parsed === "object" && parsed !== null) return targetOf(parsed as never);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Where « Réessayer la connexion » goes after an error on `req`: the failed login again after
 * `/callback` or `/login`, a login back to the page itself after an error on a protected page.
 */
export function retryHref(
  req: Request,
  remembered: RetryTarget | undefined,
  code: ProConnectErrorCode,
): string {
  let target: RetryTarget = {};
  if (req.path === "/callback") target = remembered ?? {};
  else if (req.path === "/login") {
    // A login refused for its own query starts again without it.
    if (code !== "invalid_login_request") target = targetOf(req.query as Record<string, unknown>);
  } else if (req.method === "GET" && isPath(req.originalUrl))
    target = { returnTo: req.originalUrl };
  const query = new URLSearchParams(target as Record<string, string>).toString();
  return query ? `/login?${query}` : "/login";
}
