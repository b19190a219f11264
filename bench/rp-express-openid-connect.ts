/*
 * Relying party (c): Auth0's generic middleware, express-openid-connect 3 (openid-client 6 inside),
 * configured for ProConnect as closely as its options allow:
 *
 * - code flow (`response_type: "code"`, with PKCE S256, which it adds itself), `client_secret_post`,
 *   ES256 id_token, ProConnect's default scopes;
 * - the signed userinfo fetched in `afterCallback` with `req.oidc.fetchUserInfo()` and kept in the
 *   session, as its documentation suggests for extra profile data: ProConnect puts the identity
 *   (e-mail, names, SIRET…) in the userinfo, the id_token has only `sub`, `acr`, `amr`…;
 * - its default session: the whole session encrypted (JWE, dir + A256GCM) in the `appSession` cookie,
 *   split in 4 KB chunks when larger, sent by the browser with every request.
 *
 * What it cannot do against ProConnect, seen from its options and code:
 * - no option for `userinfo_signed_response_alg`, nor for openid-client's `enableNonRepudiationChecks`:
 *   the signed userinfo is accepted in any `alg` the discovery lists (ES256, RS256 or HS256 here) and
 *   its signature is never verified; nor is the id_token's (openid-client 6's default, relying on TLS);
 * - the `state` is not random: the base64url of `{"returnTo": …}` (the nonce and PKCE, kept in a
 *   cookie, do the CSRF protection). Its length follows the return URL's: here `/login` returns to
 *   the base URL, long enough for ProConnect's documented 32-character minimum, but `requiresAuth()` on
 *   `/me` sends `eyJyZXR1cm5UbyI6Ii9tZSJ9` (24 characters), which the strict emulator refuses (Y000400);
 * - nothing checks ProConnect's claims (SIRET, required e-mail and names): the app must;
 * - http issuers work (it enables openid-client's `allowInsecureRequests` for any http issuer, not
 *   only the loopback); the callback's `iss` is checked by openid-client.
 */
import express from "express";
import { auth } from "express-openid-connect";

export interface EocAppOptions {
  baseUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
}

export const SESSION_COOKIE = "appSession";

export function eocApp(options: EocAppOptions): express.Express {
  const app = express();
  app.use(
    auth({
      issuerBaseURL: options.issuer,
      baseURL: options.baseUrl,
      clientID: options.clientId,
      clientSecret: options.clientSecret,
      clientAuthMethod: "client_secret_post",
      idTokenSigningAlg: "ES256",
      secret: options.sessionSecret,
      authRequired: false,
      idpLogout: true, // ProConnect's end_session with id_token_hint
      enableTelemetry: false,
      authorizationParams: {
        response_type: "code",
        scope: "openid email given_name usual_name uid siret idp_id",
      },
      afterCallback: async (req, _res, session) => {
        const userinfo = await req.oidc.fetchUserInfo();
        return { ...session, userinfo };
      },
    }),
  );
  // Where /login lands (its baseURL): the user as the app sees it.
  app.get("/", (req, res) => {
    const stored = (req as unknown as { appSession?: { userinfo?: unknown } }).appSession;
    res.json({ user: req.oidc.user ?? null, userinfo: stored?.userinfo ?? null });
  });
  return app;
}
