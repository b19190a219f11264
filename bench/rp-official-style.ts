/*
 * Relying party (b): a client written the way ProConnect's official Node test client is written
 * (github.com/proconnect-gouv/proconnect-test-client, its index.js with openid-client 6 and
 * express-session, configured by federation.env for ProConnect Fédération). Its structure was read and
 * is imitated here, not its code:
 *
 * - express-session named `pc_session`, `rolling: true`, and express-session's defaults for `resave` and
 *   `saveUninitialized` (both true: the session is written and its cookie sent on every request). They
 *   are spelled out here only to avoid express-session's deprecation warnings.
 * - `getProviderConfig()`: a new `openid-client` discovery on EVERY request that needs the provider (the
 *   login, the callback and the logout), with `allowInsecureRequests` unless http is forbidden,
 *   `client_secret_post`, and the registered `id_token_signed_response_alg` and
 *   `userinfo_signed_response_alg` (ES256 here, the emulator's default registration).
 * - The default authorization parameters: `redirect_uri`, the scopes of federation.env
 *   (`openid given_name usual_name email uid siret idp_id idp_acr`), `claims` asking for `amr` as
 *   essential (JSON-encoded), `login_hint` and `acr_values` left out when empty; `state` and `nonce` from
 *   `randomState()` and `randomNonce()` kept in the session; no PKCE.
 * - Its `POST /login-with-303` variant (its default `POST /login` answers a page whose script opens the
 *   authorization URL, which a client without JavaScript cannot follow).
 * - The callback: the current URL rebuilt from `req.protocol`, the `Host` header and `originalUrl`;
 *   `error=` turned into an error; discovery again; `authorizationCodeGrant()` with the session's nonce
 *   and state, and, as the original does, the discovery options object passed where openid-client
 *   expects extra token-endpoint parameters (so the token request carries an `execute` parameter holding
 *   the source text of `allowInsecureRequests`); then `fetchUserInfo()`; the session keeps the
 *   userinfo, the id_token's claims, the id_token (for logout) and the whole token response; redirect
 *   to `/`.
 * - `/` shows what the session holds (JSON here, where the original renders an EJS page).
 *
 * Left out: morgan's access log, the EJS views, dotenv, the other prompts' routes. Like the original,
 * it does not call `enableNonRepudiationChecks()`: openid-client 6 then checks the id_token's and the
 * signed userinfo's claims and `alg`, but not their signatures.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import session, { type Session } from "express-session";
import * as client from "openid-client";
import type { RelyingPartyOptions } from "./rp-proconnect.js";

/** What the test client keeps in its session (its names). */
interface TestClientSession {
  state?: string | null;
  nonce?: string | null;
  userinfo?: unknown;
  idtoken?: unknown;
  id_token_hint?: string;
  oauth2token?: unknown;
}

export const CALLBACK_PATH = "/login-callback";
export const LOGIN_PATH = "/login-with-303";
export const SESSION_COOKIE = "pc_session";

export function officialStyleApp(options: RelyingPartyOptions): express.Express {
  const app = express();
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: options.sessionSecret,
      rolling: true,
      resave: true, // express-session's default, as the original leaves it
      saveUninitialized: true, // likewise
      store: options.store,
    }),
  );
  app.enable("trust proxy");

  const sessionOf = (req: Request) => req.session as Session & TestClientSession;
  // The original leaves these options out only when http is forbidden; the emulator is http.
  const configOptions = { execute: [client.allowInsecureRequests] };

  const getProviderConfig = () =>
    client.discovery(
      new URL(options.issuer),
      options.clientId,
      { id_token_signed_response_alg: "ES256", userinfo_signed_response_alg: "ES256" },
      client.ClientSecretPost(options.clientSecret),
      configOptions,
    );

  const defaultParams = {
    redirect_uri: `${options.baseUrl}${CALLBACK_PATH}`,
    scope: "openid given_name usual_name email uid siret idp_id idp_acr",
    claims: JSON.stringify({ id_token: { amr: { essential: true } } }),
  };

  app.get("/", (req, res) => {
    const stored = sessionOf(req);
    res.json({ userinfo: stored.userinfo ?? null, idtoken: stored.idtoken ?? null });
  });

  app.post(LOGIN_PATH, async (req, res, next) => {
    try {
      const config = await getProviderConfig();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const stored = sessionOf(req);
      stored.state = state;
      stored.nonce = nonce;
      const redirectUrl = client.buildAuthorizationUrl(
        config,
        new URLSearchParams({ nonce, state, ...defaultParams }),
      );
      res.redirect(303, redirectUrl.href);
    } catch (error) {
      next(error);
    }
  });

  app.get(CALLBACK_PATH, async (req, res, next) => {
    try {
      const currentUrl = new URL(`${req.protocol}://${req.get("host")}${req.originalUrl}`);
      if (req.query.error) {
        throw new client.AuthorizationResponseError(
          `${String(req.query.error)} - ${String(req.query.error_description)}`,
          { cause: currentUrl.searchParams },
        );
      }
      const config = await getProviderConfig();
      const stored = sessionOf(req);
      const tokens = await client.authorizationCodeGrant(
        config,
        currentUrl,
        { expectedNonce: stored.nonce ?? undefined, expectedState: stored.state ?? undefined },
        // As in the original: the options object in the token-endpoint-parameters position.
        configOptions as unknown as Record<string, string>,
      );
      stored.nonce = null;
      stored.state = null;
      const claims = tokens.claims();
      if (!claims) throw new Error("no id_token");
      stored.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      stored.idtoken = claims;
      stored.id_token_hint = tokens.id_token;
      stored.oauth2token = tokens;
      res.redirect("/");
    } catch (error) {
      next(error);
    }
  });

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    res.status(500).json({ error: error instanceof Error ? error.message : String(error) });
  });
  return app;
}
