import type { Request, RequestHandler } from "express";
import { carriedKeys, dataOf, type Context } from "../context.js";
import { ProConnectError } from "../errors.js";
import { publish } from "../events.js";
import { endSession, heldCookie, sessionOf } from "../session.js";
import { searchParamsOf } from "./query.js";

/**
 * `POST /logout`: signs the whole app out at once, then sends the browser to ProConnect's end_session
 * with the id_token when the session has one (recommended; `client_id` is always sent), a fresh state and
 * the registered post-logout URI. The app's session ends now (removed, or a new id holding only the keys
 * the app keeps, with what `onLogout` wrote in them): a person who never comes back from ProConnect is
 * signed out all the same. The browser goes to ProConnect even when the app's session no longer holds a
 * sign-in (it expired while the page stayed open): ProConnect's own session may still be alive, and the
 * next login would silently sign that person in again. The logout's state is in a cookie of its own.
 * If the store fails, the browser's session cookie is cleared and the error is
 * `session_store_unavailable`. A cross-site request is refused before anything changes.
 */
export function logoutRoute(context: Context): RequestHandler {
  const { options, provider, key, loginCookies } = context;
  const origin = new URL(options.baseUrl).origin;
  return async (req, res, next) => {
    try {
      refuseCrossSite(req, origin);
      const session = sessionOf(req);
      const held = heldCookie(req);
      const data = dataOf(session, key);
      const user = data?.user;
      let hookFailed: unknown;
      if (user && options.onLogout) {
        try {
          await options.onLogout(user, { req, res, session, instance: context.name });
        } catch (error) {
          hookFailed = error ?? new Error("onLogout threw");
        }
      }
      // After the hook: what it wrote under a kept key goes on (a message for the next page).
      const kept = carriedKeys(session, key, options.keepSessionKeys);
      // Signed out from here on, whatever the hook or the store do: the session ends in every path.
      if (user) {
        publish("logout", () => ({ instance: context.name, sub: user.sub, idp_id: user.idp_id }));
      }
      if (res.headersSent) {
        // The hook answered (it should not): no cookie can change now, but the session still ends.
        await endSession(req, res, undefined, {}, options.sessionTimeout);
        return;
      }
      loginCookies.clearSignedIn(res);
      await endSession(req, res, held, kept, options.sessionTimeout);
      if (hookFailed !== undefined) throw hookFailed;
      const state = provider.randomState();
      // ProConnect recommends id_token_hint; without it (no sign-in left in the session), client_id
      // (always added by openid-client) tells ProConnect whose post-logout URI this is.
      const url = await provider.endSessionUrl({
        ...(data?.idToken ? { id_token_hint: data.idToken } : {}),
        state,
        post_logout_redirect_uri: options.postLogoutRedirectUri,
      });
      loginCookies.writeLogout(res, state, options.loginTimeout);
      res.redirect(303, url.href);
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Another site's form or script may not sign people out (logout CSRF). Every current browser says where
 * a request comes from with `Sec-Fetch-Site`, which then decides alone: a same-origin form sends
 * `Origin: null` under helmet's `Referrer-Policy: no-referrer` (the Fetch standard's rule for a POST).
 * Without it (an older browser), an `Origin` of another site is refused; `null` is let through there,
 * since refusing it would keep that browser's person signed in. Clients that send neither header (curl,
 * scripts) go on.
 */
function refuseCrossSite(req: Request, origin: string): void {
  const site = req.headers["sec-fetch-site"];
  const from = req.headers.origin;
  const foreign =
    site !== undefined
      ? site === "cross-site" || site === "same-site"
      : from !== undefined && from !== "null" && from !== origin;
  if (foreign) {
    throw new ProConnectError(
      "cross_site_request",
      `sign-out refused: this POST came from another site (${site ?? from}); sign out with a form of this app (${origin})`,
    );
  }
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

/**
 * `GET /logout/callback`: ProConnect's redirect back; the state must be the one `POST /logout` put in
 * this browser's logout cookie. The app's session was already ended by `POST /logout`: nothing of it
 * changes here. A wrong state changes nothing either (the logout's cookie stays for the right one).
 */
export function logoutCallbackRoute({ options, loginCookies }: Context): RequestHandler {
  return (req, res, next) => {
    const states = searchParamsOf(req).getAll("state");
    const expected = loginCookies.readLogout(req);
    if (!expected || states.length !== 1 || states[0] !== expected) {
      next(
        new ProConnectError(
          "invalid_logout_state",
          "the logout callback's state is not the one this browser's logout sent",
        ),
      );
      return;
    }
    loginCookies.clearLogout(res);
    res.redirect(303, options.postLogoutRedirect);
  };
}
