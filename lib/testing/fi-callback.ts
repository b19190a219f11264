import express, { type Request, type Response, type Router } from "express";
import { fiErrorMessage } from "./fi-failures.js";
import { form } from "./front-channel.js";
import { errorPage } from "./pages.js";
import { searchParamsOf } from "../routes/query.js";
import { PREFIX } from "./paths.js";
import type { ProConnectSessions } from "./pc-session.js";

// ProConnect's callback from the FIs (back/apps/core-fca-low/src/controllers/oidc-client.controller.ts
// getOidcCallback, back/libs/oidc-client/src/services/oidc-client.service.ts getToken), where openid-client
// checks the FI's answer. The emulator's FIs answer on its login page, never here: this route gives what
// ProConnect gives an answer that is not one (no FI request in the session, a wrong state, an error, no
// code), and refuses every code, since no FI of the emulator issued one.

const TOKEN_FAILED = "Y020026";
const AUTHORIZATION_RESPONSE_ERROR = "Y020032";

/**
 * GET /api/v2/oidc-callback: always an error page, as ProConnect shows for a wrong FI answer. POST
 * /api/v2/redirect-to-idp: see {@link refuseCsrf}.
 */
export function fiCallbackRoutes(sessions: ProConnectSessions): Router {
  const router = express.Router();
  router.get(`${PREFIX}/oidc-callback`, (req, res, next) => {
    answer(sessions, req, res).catch(next);
  });
  router.post(`${PREFIX}/redirect-to-idp`, form, refuseCsrf);
  return router;
}

/**
 * ProConnect's e-mail form posts to /redirect-to-idp with a CSRF token its page put in the session
 * (back/libs/csrf/src/guards/csrf-token.guard.ts). The emulator's login page posts to its own route
 * and issues no such token, so any post here is refused as the server refuses a token it did not
 * issue: Y470002 without one, Y470001 with another (BaseException: 500, no message).
 */
function refuseCsrf(req: Request, res: Response): void {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const code = typeof body.csrfToken === "string" && body.csrfToken ? "Y470001" : "Y470002";
  fail(res, 500, "server_error", "", code);
}

async function answer(sessions: ProConnectSessions, req: Request, res: Response): Promise<void> {
  res.set("cache-control", "no-store");
  const request = await sessions.takeFiRequest(req);
  if (!request) {
    // InvalidSessionExceptionFilter: no login waiting for an FI, nothing to resume.
    fail(res, 400, "session_not_found", "no login is waiting for an identity provider's answer");
    return;
  }
  const params = searchParamsOf(req);
  // openid-client's checks, in its order: the state (missing, empty or another: one message), the
  // FI's error, then the code.
  if (params.get("state") !== request.state) {
    fail(res, 400, "invalid_request", "invalid response encountered", TOKEN_FAILED);
    return;
  }
  const error = params.get("error");
  if (error) {
    const message = fiErrorMessage(error, params.get("error_description"));
    fail(res, 502, "invalid_request", message, AUTHORIZATION_RESPONSE_ERROR);
    return;
  }
  if (!params.get("code")) {
    fail(res, 400, "invalid_request", "invalid response encountered", TOKEN_FAILED);
    return;
  }
  // The FI's token endpoint refuses a code it never issued (invalid_grant): openid-client's
  // ResponseBodyError.
  const message = "server responded with an error in the response body";
  fail(res, 400, "invalid_request", message, TOKEN_FAILED);
}

function fail(res: Response, status: number, error: string, message: string, code?: string): void {
  res
    .status(status)
    .type("html")
    .send(errorPage(error, message, code));
}
