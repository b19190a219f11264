import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from "express";
import type Provider from "oidc-provider";
import { checkAuthorizeParams } from "./authorize-params.js";
import { errorPage, SECURITY_HEADERS } from "./pages.js";
import { PREFIX } from "./paths.js";
import type { ProConnectSessions } from "./pc-session.js";

/** The emulator's form parser: the authorize endpoint (as POST) and the login page read forms. */
export const form: RequestHandler = express.urlencoded({ extended: false, limit: "64kb" });

// oidc-provider's session cookies (and their signatures): ProConnect clears them on every /authorize.
const OIDC_SESSION_COOKIE = /^_session(\.|$)/;

/**
 * What ProConnect does itself before oidc-provider sees the request
 * (back/apps/core-fca-low/src/services/core-fca-middleware.service.ts): its authorize-parameter rules
 * (in `strict` mode, the documented ones); oidc-provider's own session dropped, so that ProConnect's
 * session alone decides SSO; `prompt` forced to `login` when absent, and when `none` with a ProConnect
 * session (without one, oidc-provider answers login_required). On logout, ProConnect's session ends too.
 */
export function frontChannelChecks(strict: boolean, sessions: ProConnectSessions): Router {
  const router = express.Router();
  router.all(`${PREFIX}/authorize`, form, async (req, res, next) => {
    try {
      const checked = checkAuthorizeParams(requestParams(req), strict);
      if (!checked.ok) {
        sendError(res, 400, errorPage("invalid_request", checked.description, "Y000400"));
        return;
      }
      const { params } = checked;
      const prompt = params.get("prompt");
      if (prompt === null || (prompt === "none" && (await sessions.get(req)))) {
        params.set("prompt", "login");
      }
      dropOidcSession(req, res);
      // POST is turned into the equivalent GET so oidc-provider reads the filtered parameters only.
      req.method = "GET";
      req.url = req.originalUrl = `${PREFIX}/authorize?${params}`;
      next();
    } catch (error) {
      next(error);
    }
  });

  router.post(`${PREFIX}/session/end/confirm`, async (req, _res, next) => {
    try {
      await sessions.end(req, _res);
      next();
    } catch (error) {
      next(error);
    }
  });
  return router;
}

/** Hides oidc-provider's session cookies from it, and clears them in the browser. */
function dropOidcSession(req: Request, res: Response): void {
  const kept: string[] = [];
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const name = pair.slice(0, pair.indexOf("=")).trim();
    if (!OIDC_SESSION_COOKIE.test(name)) kept.push(pair.trim());
    else
      res.append("Set-Cookie", `${name}=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly`);
  }
  req.headers.cookie = kept.filter((pair) => pair !== "").join("; ");
}

/** The emulator's security headers (pages.ts), on every answer but the tamper hooks' own. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set(SECURITY_HEADERS);
  next();
};

/** ProConnect shows its own page, code Y000404, for unknown routes under /api/v2. */
export function installNotFoundPage(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.type = "html";
      ctx.body = errorPage("not_found", `no route ${ctx.method} ${ctx.path}`, "Y000404");
    }
  });
}

/** The same page outside /api/v2. */
export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, errorPage("not_found", `no route ${req.method} ${req.path}`, "Y000404"));
};

/** A missing or expired interaction cookie is ProConnect's Y030110; anything else is a bug here. */
export function errorHandler(
  error: Error,
  _req: Request,
  res: Response,
  _next: NextFunction,
): void {
  const missingSession = error.name === "SessionNotFound";
  const description = missingSession
    ? "interaction session cookie missing or expired"
    : error.message;
  sendError(
    res,
    missingSession ? 400 : 500,
    errorPage(missingSession ? "session_not_found" : "server_error", description),
  );
}

function sendError(res: Response, status: number, page: string): void {
  res.status(status).type("html").send(page);
}

/** The parameters of a GET (its query) or of a POST (its form). */
function requestParams(req: Request): URLSearchParams {
  if (req.method === "POST" && req.body && typeof req.body === "object") {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(req.body as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
    }
    return params;
  }
  return new URL(req.originalUrl, "http://emulator.invalid").searchParams;
}
