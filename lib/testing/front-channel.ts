import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from "express";
import type Provider from "oidc-provider";
import { searchParamsOf } from "../routes/query.js";
import { checkAuthorizeParams } from "./authorize-params.js";
import { serverDescription } from "./descriptions.js";
import { errorPage, SECURITY_HEADERS } from "./pages.js";
import { PREFIX } from "./paths.js";
import type { ProConnectSessions } from "./pc-session.js";

/**
 * The emulator's form parser: the authorize endpoint (as POST) and the login page read forms.
 * ProConnect's (back/apps/core-fca-low/src/main.ts): `urlencoded({ extended: false })`, 100 KB.
 */
export const form: RequestHandler = express.urlencoded({ extended: false });

// oidc-provider's session cookies (and their signatures): ProConnect clears them on every /authorize.
const OIDC_SESSION_COOKIE = /^_session(\.|$)/;

/**
 * What ProConnect does itself before oidc-provider sees the request
 * (back/apps/core-fca-low/src/services/core-fca-middleware.service.ts): its authorize-parameter rules
 * (in `strict` mode, the documented ones); oidc-provider's own session dropped, so that ProConnect's
 * session alone decides SSO; `prompt` forced to `login` when absent, and when `none` with a ProConnect
 * session (without one, oidc-provider answers login_required); the browser's ProConnect session opened
 * (its session middleware, config/session.ts), still empty. On logout, ProConnect's session ends too.
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
      await sessions.ensure(req, res);
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

/**
 * ProConnect's server runs oidc-provider 7, whose redirects to a client are built by Node.js's
 * querystring: a space is `%20`, `!'()*` are kept. oidc-provider 9 writes them as a form (`+`). The
 * query and fragment of every absolute redirect are written again the server's way (`"percent"`), or
 * oidc-provider 9's (`"form"`), the values the same but for the server's wording of some descriptions.
 */
export function installRedirectEncoding(provider: Provider, encoding: "percent" | "form"): void {
  const encode = encoding === "percent" ? encodeURIComponent : formEncode;
  provider.use(async (ctx, next) => {
    await next();
    const location = ctx.response.get("location");
    if (ctx.status >= 300 && ctx.status < 400 && /^https?:\/\//.test(location)) {
      ctx.set("location", reencoded(location, encode));
    }
  });
}

type Encode = (value: string) => string;

// application/x-www-form-urlencoded, as URLSearchParams writes it.
const formEncode: Encode = (value) =>
  encodeURIComponent(value)
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");

function reencoded(location: string, encode: Encode): string {
  const hashAt = location.indexOf("#");
  const beforeHash = hashAt === -1 ? location : location.slice(0, hashAt);
  const queryAt = beforeHash.indexOf("?");
  const base = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt === -1 ? "" : `?${reencode(beforeHash.slice(queryAt + 1), encode)}`;
  const hash = hashAt === -1 ? "" : `#${reencode(location.slice(hashAt + 1), encode)}`;
  return `${base}${query}${hash}`;
}

const formDecode = (part: string) => decodeURIComponent(part.replace(/\+/g, " "));

function reencode(params: string, encode: Encode): string {
  return params
    .split("&")
    .map((pair) => {
      try {
        const at = pair.indexOf("=");
        if (at === -1) return encode(formDecode(pair));
        const name = formDecode(pair.slice(0, at));
        let value = formDecode(pair.slice(at + 1));
        if (name === "error_description") value = serverDescription(value);
        return `${encode(name)}=${encode(value)}`;
      } catch {
        return pair; // a malformed escape in the client's own redirect_uri: left as it is
      }
    })
    .join("&");
}

// NestJS's NotFoundException for an unknown route, shown by ProConnect's HttpExceptionFilter with the
// title of http-error-display.ts.
const notFoundPage = (method: string, url: string) =>
  errorPage("not_found", `Cannot ${method} ${url}`, "Y000404", undefined, "Page non trouvée");

/** ProConnect shows its own page, code Y000404, for unknown routes under /api/v2. */
export function installNotFoundPage(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.type = "html";
      // Express's originalUrl: Koa's lacks the /api/v2 that Express's mount strips.
      const { originalUrl } = ctx.req as { originalUrl?: string };
      ctx.body = notFoundPage(ctx.method, originalUrl ?? ctx.originalUrl);
    }
  });
}

/** The same page outside /api/v2. */
export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, notFoundPage(req.method, req.originalUrl));
};

/**
 * oidc-provider's SessionNotFound (no interaction cookie, or an expired one) is shown by ProConnect's
 * OidcProviderSessionNotFoundExceptionFilter as `oidc-provider-error:session-not-found` with
 * oidc-provider's description; `strict`, the documented Y030110. A form the parser refuses (too
 * large, say) gets what ProConnect answers; anything else is a bug here.
 */
export function errorHandler(strict: boolean) {
  return (error: Error, _req: Request, res: Response, _next: NextFunction): void => {
    if (isBodyParserError(error)) {
      // Nest 10 hands the parser's 413 to ProConnect's catch-all UnknownExceptionFilter (libs/exceptions),
      // which wraps it in a 500: its error page, Y000500, the parser's message.
      sendError(res, 500, errorPage("server_error", error.message, "Y000500", undefined, TITLE));
      return;
    }
    if (error.name !== "SessionNotFound") {
      sendError(res, 500, errorPage("server_error", error.message));
      return;
    }
    const { error_description: description } = error as { error_description?: string };
    const code = strict ? "Y030110" : "oidc-provider-error:session-not-found";
    sendError(res, 400, errorPage("session_not_found", description ?? error.message, code));
  };
}

// views/error.ejs's title when the error has none of its own, as a 500.
const TITLE = "Accès impossible";

/** body-parser's errors (http-errors with a `type` such as `entity.too.large`). */
function isBodyParserError(error: Error): boolean {
  const { type, statusCode } = error as { type?: unknown; statusCode?: unknown };
  return typeof type === "string" && typeof statusCode === "number";
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
  return searchParamsOf(req);
}
