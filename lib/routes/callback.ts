import type { Request, RequestHandler, Response } from "express";
import type { VerifiedLogin } from "../client.js";
import { carriedKeys, dataOf, setData, type Context } from "../context.js";
import type { PendingLogin } from "../login-cookie.js";
import { ProConnectError, providerError } from "../errors.js";
import { errorCodeOf, publish, type LoginFailureEvent, type LoginProgress } from "../events.js";
import {
  dropSession,
  endSession,
  freshSession,
  heldCookie,
  requireSettableCookie,
  saveSession,
  sessionOf,
  type ProConnectSessionData,
} from "../session.js";
import type { OnLogin, ProConnectHookContext, ProConnectUser } from "../types.js";
import { normalizeUser } from "../user.js";
import { searchParamsOf } from "./query.js";

const SINGLE = ["state", "code", "iss", "error", "error_description"];

/**
 * `GET /callback`: checks the state, exchanges the code, verifies the id_token and the signed userinfo,
 * validates the claims, then writes the session under a new id. Any failure leaves no user behind.
 */
export function callbackRoute(context: Context): RequestHandler {
  return async (req, res, next) => {
    const progress: LoginProgress = { step: "callback" };
    try {
      requireSettableCookie(req); // the login ends in a new session: say first if it cannot be set
      const answer = readCallback(req, res, context);
      if ("silent" in answer) {
        // Silent login: nobody signed in at ProConnect; back where the user was, anonymous.
        res.redirect(303, answer.silent);
        return;
      }
      const { attempt, callbackUrl, state } = answer;
      const login = await context.provider.verifyCallback(
        callbackUrl,
        { state, nonce: attempt.nonce, codeVerifier: attempt.codeVerifier },
        progress,
      );
      const user = await signIn(req, res, context, login, progress);
      if (user === undefined) return;
      context.loginCookies.markSignedIn(res, sessionOf(req).id);
      publish("loginSuccess", () => ({
        instance: context.name,
        sub: user.sub,
        idp_id: user.idp_id,
        siret: user.siret,
        acr: user.acr,
        amr: Array.isArray(user.amr) ? [...user.amr] : undefined,
        // The attempt keeps no start time of its own: its expiry less loginTimeout is when /login ran.
        durationMs: Math.max(
          0,
          Date.now() - attempt.expiresAt + context.options.loginTimeout * 1000,
        ),
      }));
      res.redirect(303, attempt.returnTo);
    } catch (error) {
      publish("loginFailure", () => failureEvent(context, progress, error));
      next(error);
    }
  };
}

function failureEvent(
  context: Context,
  { step, sub, idp_id }: LoginProgress,
  error: unknown,
): LoginFailureEvent {
  return {
    instance: context.name,
    ...errorCodeOf(error),
    step,
    ...(sub === undefined ? {} : { sub }),
    ...(idp_id === undefined ? {} : { idp_id }),
  };
}

type Checked = { silent: string } | { attempt: PendingLogin; state: string; callbackUrl: URL };

/**
 * The front-channel checks, before any request to ProConnect: one of each parameter, the attempt's
 * cookie (consumed whatever follows), the issuer, ProConnect's own `error`, a code and its `iss`.
 */
function readCallback(req: Request, res: Response, { options, loginCookies }: Context): Checked {
  const query = searchParamsOf(req);
  for (const name of SINGLE) {
    if (query.getAll(name).length > 1) {
      throw new ProConnectError("invalid_callback", `the callback has ${name} more than once`);
    }
  }
  const state = query.get("state");
  if (!state) throw new ProConnectError("invalid_state", "the callback has no state");
  // Consumed before anything else, whatever the outcome: a replay of this callback finds nothing.
  // Nothing is written to the session until the login has passed every check.
  const attempt = loginCookies.read(req, state);
  loginCookies.clear(res, state);
  if (!attempt) {
    throw new ProConnectError(
      "invalid_state",
      "the callback's state matches no login under way in this browser (unknown, already used, or started in another browser)",
    );
  }
  if (attempt.expiresAt <= Date.now()) {
    throw new ProConnectError("invalid_state", "the login took too long: start again");
  }
  const iss = query.get("iss");
  if (iss !== null && iss !== options.issuer) {
    throw new ProConnectError("issuer_mismatch", "the callback's iss is not the configured issuer");
  }
  const error = query.get("error");
  if (error !== null) {
    if (error === "login_required" && attempt.silent) return { silent: attempt.returnTo };
    throw providerError(error, query.get("error_description"), undefined, {
      invalid_scope: `This client is not registered at ProConnect for one of the scopes asked (${options.scope}): ask ProConnect to enable it for this client_id, or take it out of the scopes option`,
      idp_hint_not_found:
        "ProConnect knows no identity provider with the idp_hint this login sent: check the idp_id, or start the login without idp_hint",
    });
  }
  const code = query.get("code");
  if (!code) throw new ProConnectError("invalid_callback", "the callback has no code");
  // ProConnect (oidc-provider) always sends iss with the code; without it openid-client would refuse
  // the callback as if the token endpoint had failed.
  if (iss === null) throw new ProConnectError("invalid_callback", "the callback has no iss");
  // Only the parameters of a code response go on: anything else (id_token, response…) is ignored.
  const callbackUrl = new URL(options.redirectUri);
  callbackUrl.search = new URLSearchParams({ code, state, iss }).toString();
  return { attempt, state, callbackUrl };
}

/**
 * ProConnect has vouched for someone: the claims and `allowedIdps` decide, then the session is replaced
 * (the keys the app keeps and other instances' sign-ins carried over), `onLogin` shapes the new one, and
 * it is written once. Whatever fails here, the browser ends signed out. The user signed in, or
 * `undefined` when `onLogin` answered the request itself; `progress` follows the steps.
 */
async function signIn(
  req: Request,
  res: Response,
  context: Context,
  login: VerifiedLogin,
  progress: LoginProgress,
): Promise<ProConnectUser | undefined> {
  const { options, scopes, key } = context;
  const before = sessionOf(req);
  const held = heldCookie(req);
  // What goes on into the next session, whichever it is: the keys the app keeps, other instances' sign-ins.
  const carried = carriedKeys(before, key, options.keepSessionKeys);
  let user: ProConnectUser;
  progress.step = "claims";
  try {
    user = normalizeUser(login.idTokenClaims, login.userinfo, scopes, options);
    if (options.allowedIdps && !options.allowedIdps.includes(user.idp_id)) {
      throw new ProConnectError(
        "idp_not_allowed",
        `the identity provider ${user.idp_id} is not allowed here`,
      );
    }
  } catch (error) {
    // Refused before the session was touched: an anonymous one (the app's own data) stays as it was;
    // a signed-in one ends, keeping what the app keeps.
    if (dataOf(before, key)?.user !== undefined) {
      await signOutKeeping(req, res, held, carried, options);
    }
    throw error;
  }
  try {
    // A new session id (no fixation). Other tabs' logins under way are in their own cookies.
    progress.step = "session";
    const session = await freshSession(req, held, options.sessionTimeout);
    Object.assign(session, carried);
    if (options.onLogin) {
      progress.step = "onLogin";
      const shaped = await runOnLogin(options.onLogin, user, {
        req,
        res,
        session,
        instance: context.name,
      });
      // The app answered (a redirect to its account creation, say): not signed in; what onLogin wrote
      // in the session is the app's, saved by express-session with that answer.
      if (res.headersSent) return undefined;
      if (shaped) user = shaped;
    }
    progress.step = "session";
    setData(session, key, {
      user,
      idToken: login.idToken,
      ...(options.storeTokens ? { tokens: tokensOf(login) } : {}),
    });
    await saveSession(req, options.sessionTimeout);
    return user;
  } catch (error) {
    if (res.headersSent) throw error;
    // The store failing: nothing more to ask of it. Refused (onLogin): what the app keeps goes on.
    if (error instanceof ProConnectError && error.code === "session_store_unavailable") {
      dropSession(req, res, held, options.sessionTimeout);
    } else await signOutKeeping(req, res, held, carried, options);
    throw error;
  }
}

/**
 * Ends the request's session after a refused login, with only the keys the app keeps (`carried`):
 * nothing of the person ProConnect vouched for, nor of a previous sign-in, stays. The refusal is what
 * the request answers: a store failing here only signs the browser out the harder way.
 */
async function signOutKeeping(
  req: Request,
  res: Response,
  held: ReturnType<typeof heldCookie>,
  carried: Record<string, unknown>,
  options: Context["options"],
): Promise<void> {
  try {
    await endSession(req, res, held, carried, options.sessionTimeout);
  } catch {
    // endSession has dropped the session and cleared the browser's cookie already.
  }
}

function tokensOf(login: VerifiedLogin): NonNullable<ProConnectSessionData["tokens"]> {
  return {
    accessToken: login.accessToken,
    ...(login.refreshToken ? { refreshToken: login.refreshToken } : {}),
    ...(login.expiresAt ? { expiresAt: login.expiresAt } : {}),
  };
}

/** The app's `onLogin`: what it throws is `login_rejected`, unless it is a `ProConnectError` already. */
async function runOnLogin(
  onLogin: OnLogin,
  user: ProConnectUser,
  context: ProConnectHookContext,
): Promise<ProConnectUser | undefined> {
  try {
    return (await onLogin(user, context)) ?? undefined;
  } catch (cause) {
    if (cause instanceof ProConnectError) throw cause;
    throw new ProConnectError("login_rejected", "the app's onLogin refused this login", { cause });
  }
}
