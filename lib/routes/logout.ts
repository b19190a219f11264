import type { Request, RequestHandler } from "express";
import { dataOf, otherInstances, setData, type Context, type SessionKey } from "../context.js";
import { ProConnectError } from "../errors.js";
import {
  abandonSession,
  expireLogoutOnly,
  persistSession,
  replaceSession,
  sessionOf,
} from "../session.js";

/**
 * `POST /logout`: signs out of the app at once, then sends the browser to ProConnect's end_session
 * with the id_token (recommended; `client_id` is always sent), a fresh state and the registered
 * post-logout URI. The
 * browser goes to ProConnect only once the store has the session signed out; if the store fails, the
 * browser is given a new session id that names nothing, and the error is `session_store_unavailable`.
 */
export function logoutRoute({ options, provider, key, loginCookies }: Context): RequestHandler {
  return async (req, res, next) => {
    try {
      const session = sessionOf(req);
      const data = dataOf(session, key);
      const idToken = data?.idToken;
      loginCookies.clearSignedIn(res);
      if (!data?.user) {
        await endSession(req, key, options.sessionTimeout);
        res.redirect(303, options.postLogoutRedirect);
        return;
      }
      const state = provider.randomState();
      // Signed out of the app before ProConnect answers: a user who never comes back is still out.
      setData(session, key, { logoutState: state });
      expireLogoutOnly(session, key, options.loginTimeout * 1000);
      try {
        await persistSession(req, options.sessionTimeout);
      } catch (error) {
        abandonSession(req, options.sessionTimeout);
        throw error;
      }
      // ProConnect recommends id_token_hint; without it (a session written without one), client_id
      // (always added by openid-client) tells ProConnect whose post-logout URI this is.
      const url = await provider.endSessionUrl({
        ...(idToken ? { id_token_hint: idToken } : {}),
        state,
        post_logout_redirect_uri: options.postLogoutRedirectUri,
      });
      res.redirect(303, url.href);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * `GET /logout`, what a plain link sends: refused (405, `Allow: POST`) with the form to write instead. A
 * logout by GET could be triggered by any other site (SameSite=Lax cookies go with a top-level GET), an
 * image or a browser prefetching links; a form's POST cannot be sent cross-site with the cookies.
 */
export function logoutByLinkRoute({ options }: Context): RequestHandler {
  return (_req, res, next) => {
    res.setHeader("Allow", "POST");
    next(
      new ProConnectError(
        "method_not_allowed",
        `sign out with a form, not a link: <form method="post" action="${options.paths.logout}"><button>Se déconnecter</button></form>`,
      ),
    );
  };
}

/** `GET /logout/callback`: ProConnect's redirect back; the state must be the one `/logout` sent. */
export function logoutCallbackRoute({ options, key }: Context): RequestHandler {
  return async (req, res, next) => {
    try {
      const session = sessionOf(req);
      const states = new URL(req.originalUrl, "http://logout.invalid").searchParams.getAll("state");
      const expected = dataOf(session, key)?.logoutState;
      if (!expected || states.length !== 1 || states[0] !== expected) {
        throw new ProConnectError(
          "invalid_logout_state",
          "the logout callback's state is not the one this session sent",
        );
      }
      // Removed, and the browser given an id that names nothing: no empty session saved per logout.
      await endSession(req, key, options.sessionTimeout);
      res.redirect(303, options.postLogoutRedirect);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Replaces the session with a new id, signed out of this instance. Another instance's sign-in (the other
 * network's client) goes on, in a session written again; otherwise the new id names nothing.
 */
async function endSession(req: Request, key: SessionKey, timeoutMs: number): Promise<void> {
  const others = otherInstances(sessionOf(req), key);
  const fresh = await replaceSession(req, timeoutMs);
  if (Object.keys(others).length === 0) return;
  Object.assign(fresh, others);
  await persistSession(req, timeoutMs);
}
