import type { Request, RequestHandler, Response } from "express";
import type { VerifiedLogin } from "../client.js";
import { dataOf, otherInstances, setData, type Context } from "../context.js";
import type { PendingLogin } from "../login-cookie.js";
import { ProConnectError, providerError } from "../errors.js";
import {
  abandonSession,
  forgetSession,
  persistSession,
  replaceSession,
  requireSettableCookie,
  sessionOf,
} from "../session.js";
import { normalizeUser } from "../user.js";

const SINGLE = ["state", "code", "iss", "error", "error_description"];

/**
 * `GET /callback`: checks the state, exchanges the code, verifies the id_token and the signed userinfo,
 * validates the claims, then writes the session under a new id. Any failure leaves no user behind.
 */
export function callbackRoute(context: Context): RequestHandler {
  return async (req, res, next) => {
    try {
      requireSettableCookie(req); // the login ends in a new session: say first if it cannot be set
      const answer = readCallback(req, res, context);
      if ("silent" in answer) {
        // Silent login: nobody signed in at ProConnect; back where the user was, anonymous.
        res.redirect(303, answer.silent);
        return;
      }
      const { attempt, callbackUrl, state } = answer;
      const login = await context.provider.verifyCallback(callbackUrl, {
        state,
        nonce: attempt.nonce,
        codeVerifier: attempt.codeVerifier,
      });
      await signIn(req, context, login);
      context.loginCookies.markSignedIn(res, sessionOf(req).id);
      res.redirect(303, attempt.returnTo);
    } catch (error) {
      next(error);
    }
  };
}

type Checked = { silent: string } | { attempt: PendingLogin; state: string; callbackUrl: URL };

/**
 * The front-channel checks, before any request to ProConnect: one of each parameter, the attempt's
 * cookie (consumed whatever follows), the issuer, ProConnect's own `error`, a code and its `iss`.
 */
function readCallback(req: Request, res: Response, { options, loginCookies }: Context): Checked {
  const query = new URL(req.originalUrl, "http://callback.invalid").searchParams;
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
 * ProConnect has vouched for someone: the claims, `allowedIdps` and `onLogin` decide, then the session
 * is replaced and written once. Whatever fails here, the browser ends signed out.
 */
async function signIn(req: Request, { options, scopes, key }: Context, login: VerifiedLogin) {
  const before = sessionOf(req);
  const signedIn = dataOf(before, key)?.user === undefined ? undefined : before.id;
  // Other instances' sign-ins (another network's client, say) go on in the new session.
  const others = otherInstances(before, key);
  let replacing = false;
  let written: string | undefined;
  try {
    let user = normalizeUser(login.idTokenClaims, login.userinfo, scopes, options);
    if (options.allowedIdps && !options.allowedIdps.includes(user.idp_id)) {
      throw new ProConnectError(
        "idp_not_allowed",
        `the identity provider ${user.idp_id} is not allowed here`,
      );
    }
    if (options.onLogin) {
      try {
        user = await options.onLogin(user, req);
      } catch (cause) {
        if (cause instanceof ProConnectError) throw cause;
        throw new ProConnectError("login_rejected", "the app's onLogin refused this login", {
          cause,
        });
      }
    }
    // A new session id (no fixation), written once. Other tabs' logins under way are in their own cookies.
    replacing = true;
    const fresh = await replaceSession(req, options.sessionTimeout);
    Object.assign(fresh, others);
    setData(fresh, key, {
      user,
      idToken: login.idToken,
      ...(options.storeTokens
        ? {
            tokens: {
              accessToken: login.accessToken,
              ...(login.refreshToken ? { refreshToken: login.refreshToken } : {}),
              ...(login.expiresAt ? { expiresAt: login.expiresAt } : {}),
            },
          }
        : {}),
    });
    written = fresh.id;
    await persistSession(req, options.sessionTimeout);
  } catch (error) {
    await signOut(req, options.sessionTimeout, { signedIn, replacing, written });
    throw error;
  }
}

/**
 * A login that fails after the code exchange leaves the browser signed out, whatever the store did: a
 * session signed in before is removed (best effort, within the deadline), and the browser is given a new
 * id that names nothing. A session this login tried to write is removed in the background, in case the
 * store applied the write but its answer was lost or late. An anonymous session the login never reached
 * (the app's own data) is left as it was.
 */
async function signOut(
  req: Request,
  timeoutMs: number,
  attempt: { signedIn: string | undefined; replacing: boolean; written: string | undefined },
): Promise<void> {
  const { signedIn, replacing, written } = attempt;
  if (signedIn === undefined && !replacing) return;
  // In the background: the answer has waited for the store long enough.
  if (written !== undefined) void forgetSession(req, written, timeoutMs);
  // replaceSession has already tried to remove the session signed in before.
  if (signedIn !== undefined && !replacing) await forgetSession(req, signedIn, timeoutMs);
  abandonSession(req, timeoutMs);
}
