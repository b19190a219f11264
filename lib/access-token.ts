// `getAccessToken()`: the signed-in person's access token for calling APIs, refreshed when needed.
// Its declarations name no internal type (Context, the provider client): see token-refresh.ts.
import type { Request } from "express";
import { findContext } from "./context.js";
import { ProConnectError } from "./errors.js";
import { accessTokenFor } from "./token-refresh.js";
import type { GetAccessTokenOptions } from "./types.js";

export type { GetAccessTokenOptions };

/**
 * A valid access token of the person signed in on `req`, to call an API on their behalf as a Bearer
 * token: the session's own while it is valid for `minValidity` more seconds, else a new one from
 * ProConnect's token endpoint (`grant_type=refresh_token`), stored in the session with the refresh
 * token to use next time before it is returned (within `sessionTimeout`, the pair or nothing).
 * Concurrent requests of one session share one refresh. Needs `storeTokens: true`.
 *
 * Rejects with a `ProConnectError`: `unauthenticated` (nobody is signed in), `reauthentication_required`
 * (no refresh token, or ProConnect refused it: send the person to the login), `timeout`,
 * `provider_unavailable` or `provider_error` (ProConnect's token endpoint), `session_store_unavailable`
 * (the new tokens could not be stored: the session is unchanged, and this process stores them at the
 * session's next refresh instead of spending the old refresh token again), `not_configured` (no
 * `storeTokens`).
 *
 * @example
 * app.get("/documents", requireAuth(), async (req, res, next) => {
 *   try {
 *     const token = await auth.getAccessToken(req);
 *     const answer = await fetch("https://api.example.gouv.fr/documents", {
 *       headers: { authorization: `Bearer ${token}` },
 *     });
 *     res.json(await answer.json());
 *   } catch (error) {
 *     next(error); // reauthentication_required: send to auth's login
 *   }
 * });
 */
export async function getAccessToken(
  req: Request,
  options: GetAccessTokenOptions = {},
): Promise<string> {
  const context = req.res ? findContext(req.res) : undefined;
  if (context === undefined || context instanceof ProConnectError) {
    throw (
      context ??
      new ProConnectError(
        "not_configured",
        "getAccessToken() needs a request that went through proconnect(): use the instance's own, auth.getAccessToken(req)",
      )
    );
  }
  return accessTokenFor(context, req, options);
}
