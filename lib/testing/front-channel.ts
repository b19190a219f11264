import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from "express";
import type Provider from "oidc-provider";
import { checkAuthorizeParams } from "./authorize-params.js";
import { errorPage } from "./pages.js";
import { PREFIX } from "./paths.js";

/** The emulator's form parser: the authorize endpoint (as POST) and the login page read forms. */
export const form: RequestHandler = express.urlencoded({ extended: false, limit: "64kb" });

/**
 * What ProConnect checks itself before oidc-provider sees the request: its authorize-parameter rules
 * (in `strict` mode, the documented ones) and the id_token_hint that its logout requires.
 */
export function frontChannelChecks(strict: boolean): Router {
  const router = express.Router();
  router.all(`${PREFIX}/authorize`, form, (req, res, next) => {
    const checked = checkAuthorizeParams(requestParams(req), strict);
    if (!checked.ok) {
      sendError(res, 400, errorPage("invalid_request", checked.description, "Y000400"));
      return;
    }
    // POST is turned into the equivalent GET so oidc-provider reads the filtered parameters only.
    req.method = "GET";
    req.url = req.originalUrl = `${PREFIX}/authorize?${checked.params}`;
    next();
  });

  // oidc-provider makes id_token_hint optional on logout.
  router.get(`${PREFIX}/session/end`, (req, res, next) => {
    if (!requestParams(req).get("id_token_hint")) {
      sendError(res, 400, errorPage("invalid_request", "id_token_hint is required", "Y000400"));
      return;
    }
    next();
  });
  return router;
}

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
