// The types the public API shares: here rather than beside their code, so that no two modules import
// each other (options.ts and user.ts used to).
import type { Request, Response } from "express";
import type { Session, SessionData } from "express-session";
import type { ProConnectAcr } from "./acr.js";
import type { ProConnectEnvironment, ProConnectNetwork } from "./issuers.js";
import type { SigningAlg } from "./algorithms.js";
import type { ProConnectScope } from "./scopes.js";
import type { CLAIMS } from "./claims.js";
import type { RefreshLock } from "./refresh-lock.js";

/**
 * The signed-in professional, validated and normalized, with ProConnect's claim names.
 * `sub`, `idp_id` and `siret` are always there; `email`, `given_name`, `usual_name` and `uid` are there
 * whenever their scope is asked for (the default scopes ask for them); the rest when the identity
 * provider sends them.
 */
export interface ProConnectUser {
  /** ProConnect's identifier of the person at this identity provider: use it to reconcile accounts. */
  sub: string;
  /** The identity provider (FI) the person signed in with. */
  idp_id: string;
  /** The establishment, 14 digits (whitespace removed, Luhn-checked). */
  siret: string;
  /** The professional e-mail address (at most 256 characters). */
  email?: string;
  /** Given names, as the identity provider has them. */
  given_name?: string;
  /** Usual family name. */
  usual_name?: string;
  /** The identity provider's own identifier of the person. */
  uid?: string;
  /** The company, 9 digits: the first 9 of the SIRET (always there, whatever the FI sent). */
  siren: string;
  organizational_unit?: string;
  belonging_population?: string;
  phone_number?: string;
  chorusdt?: { matricule?: string; societe?: string };
  /** The acr the identity provider gave ProConnect. */
  idp_acr?: string;
  /**
   * The acr of this login, from the id_token. ProConnect sends it only when the login asked for one
   * (`acrValues`, `claims`, or `requireAuth({ acr })` / `requireAuth({ mfa: true })`, which ask for it):
   * otherwise `undefined`.
   */
  acr?: string;
  /** The authentication methods of this login, from the id_token, when asked for. */
  amr?: string[];
  /**
   * What ProConnect knows of the person's organisation (asked with the `roles` scope):
   * `agent_public` for a public agent (`PROCONNECT_ROLES` lists the values), `[]` when nothing is
   * known; always `["agent_public"]` on the RIE. ProConnect documents it as the way to restrict a
   * service to public agents.
   */
  roles?: string[];
  /** The display name of the SIRET's organisation, from ProConnect's directory (`organization_label` scope). */
  organization_label?: string;
  /** Groups the identity provider puts the person in (`groups` scope). */
  groups?: string[];
  /** The identity provider's non-standard attributes (the largest dropped beyond `maxUserSize`). */
  custom?: Record<string, unknown>;
}

type Claims = typeof CLAIMS;
/** The claims the login is refused without when their scope is asked for, by the scope that releases each. */
type ScopeClaims = {
  [K in keyof Claims as Claims[K]["need"] extends "scope" ? K : never]: Claims[K]["scope"];
};
/** The scopes asked for when `scopes` is not given (`DEFAULT_SCOPES`). */
export type DefaultScopes =
  "openid" | "email" | "given_name" | "usual_name" | "uid" | "siret" | "idp_id";

/**
 * {@link ProConnectUser} with the fields the middleware guarantees for the scopes `S`: `email`,
 * `given_name`, `usual_name` and `uid` become required when their scope is asked for (a login without
 * them is refused), when the scopes are written as literals. What `proconnect(...).user(req)` returns;
 * `req.proconnectUser`, typed once for the whole app, keeps them optional.
 *
 * @example
 * type Agent = ProConnectUserFor<"openid" | "email">; // email: string; given_name?: string
 */
export type ProConnectUserFor<S extends ProConnectScope = DefaultScopes> =
  // Scopes only known as "some scopes" (a ProConnectScope[] variable) guarantee nothing more.
  ProConnectScope extends S
    ? ProConnectUser
    : ProConnectUser & {
        [K in keyof ScopeClaims as ScopeClaims[K] extends S ? K : never]-?: string;
      };

/**
 * Receives the library's log lines in the order pino and bunyan take them: the details first (fields such
 * as `sub`, a claim's name, an error's `code`; never a token or a claim's value), then the message. pino
 * and bunyan keep the details as fields of the JSON line; `console` prints both. `warn` is required;
 * `info` and `debug`, when present, must be functions too (the library may log at those levels).
 *
 * @example
 * import pino from "pino";
 * app.use(proconnect({ ...options, logger: pino() }));
 * // {"level":40,"claim":"phone_number","sub":"…","msg":"proconnect: dropped the invalid userinfo claim phone_number"}
 */
export interface ProConnectLogger {
  warn(details: Record<string, unknown>, message: string): void;
  info?(details: Record<string, unknown>, message: string): void;
  debug?(details: Record<string, unknown>, message: string): void;
}

/**
 * What the hooks (`onLogin`, `onLogout`) are given beside the user: the request, its response, the
 * session to read or write, and which instance calls (its `name` option, `undefined` when unnamed).
 */
export interface ProConnectHookContext {
  req: Request;
  res: Response;
  /**
   * For `onLogin`: the new session, which the login is about to write (what you set here is kept). For
   * `onLogout`: the session being ended, still as it was.
   */
  session: Session & Partial<SessionData>;
  instance: string | undefined;
}

/**
 * Called after every check, once the new session exists and before it is written. Return the user
 * (possibly enriched, e.g. with your account id after reconciliation on `sub`) or nothing to keep it as
 * it is; write what the app needs in `session`; throw to refuse the login (`login_rejected`, unless you
 * throw a `ProConnectError` yourself); or answer the request yourself (e.g. `res.redirect("/inscription")`
 * for an unknown person): nobody is then signed in, and `session` is saved with your answer.
 *
 * @example
 * onLogin: async (user, { session, res }) => {
 *   const account = await accounts.findBySub(user.sub);
 *   if (!account) {
 *     session.pendingAccount = { sub: user.sub, email: user.email };
 *     return res.redirect(303, "/inscription");
 *   }
 *   session.accountId = account.id;
 * }
 */
export type OnLogin = (
  user: ProConnectUser,
  context: ProConnectHookContext,
  // `void`: a hook with a block body and no `return` (it only writes the session) is the usual case.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
) => ProConnectUser | void | Promise<ProConnectUser | void>;

/**
 * Called by `POST /logout` for a signed-in person, before the app's session ends and before the browser
 * goes to ProConnect: for the app's own clean-up or audit record. It does not answer the request. What it
 * throws reaches the app's error handler, after the person has been signed out of the app all the same
 * (the browser then does not go to ProConnect).
 *
 * @example
 * onLogout: async (user, { instance }) => audit.log("logout", { sub: user.sub, instance })
 */
export type OnLogout = (
  user: ProConnectUser,
  context: ProConnectHookContext,
) => void | Promise<void>;

/** One claim of the `claims` parameter: `null` (just ask for it) or how to ask for it. */
export type ClaimRequest = null | { essential?: boolean; value?: string; values?: string[] };

/** The paths of the routes `proconnect()` answers, under `baseUrl`'s path. */
export interface ProConnectRoutes {
  /** `GET`: starts a login. Default `"/login"`. */
  login?: string;
  /** `GET`: the redirect URI to register, `{baseUrl}/callback` by default. */
  callback?: string;
  /** `POST`: signs out, then goes to ProConnect's end_session. Default `"/logout"`. */
  logout?: string;
  /** `GET`: the post-logout redirect URI to register, `{baseUrl}/logout/callback` by default. */
  logoutCallback?: string;
}

/**
 * The options of `proconnect()`. They are validated once, when `proconnect()` is called: a wrong one
 * throws a `ProConnectError` (`invalid_options`) listing every problem with its field.
 *
 * @example
 * proconnect({
 *   clientId: process.env.PROCONNECT_CLIENT_ID!,
 *   clientSecret: process.env.PROCONNECT_CLIENT_SECRET!,
 *   baseUrl: "https://mon-service.gouv.fr",
 *   environment: "production",
 * });
 */
export interface ProConnectOptions {
  /** Required. The `client_id` ProConnect gave your service provider. */
  clientId: string;
  /** Required. The `client_secret` ProConnect gave your service provider; never logged nor put in an error. */
  clientSecret: string;
  /**
   * Required. Your app's public origin, and path prefix if any: the redirect URIs are derived from it
   * (`{baseUrl}/callback`, `{baseUrl}/logout/callback`). `https://` and not localhost in production; no
   * query, fragment or wildcard.
   *
   * @example "https://mon-service.gouv.fr"
   */
  baseUrl: string;
  /**
   * Names this instance, for an app with several ProConnect clients (one per network, say: an app
   * reachable from the Internet and the RIE registers one client on each). Its session data goes under
   * `proconnect:<name>` and its login cookies get the name, so that each instance signs in and out on
   * its own; use its own `requireAuth()`. 1 to 32 lowercase letters, digits or `-`, starting with a
   * letter. Unnamed, the data is under `proconnect`.
   *
   * @example "rie"
   */
  name?: string;
  /** Which ProConnect: `"integration"` (default) or `"production"`. */
  environment?: ProConnectEnvironment;
  /** Which network: `"internet"` (default) or `"rie"`, the State's inter-ministerial network. */
  network?: ProConnectNetwork;
  /**
   * An explicit issuer, e.g. the local emulator's; wins over `environment` and `network`. `http://` only
   * on localhost or 127.0.0.1.
   */
  issuer?: string;
  /**
   * Scopes to ask for. Default `openid email given_name usual_name uid siret idp_id` (`DEFAULT_SCOPES`);
   * `openid`, `siret` and `idp_id` are always added.
   */
  scopes?: ProConnectScope[];
  /** The routes' paths: plain paths (no `:param` or pattern), all different, under `baseUrl`'s path. */
  routes?: ProConnectRoutes;
  /** The id_token's signing algorithm, as registered with ProConnect: `"ES256"` (default), `"RS256"` or `"HS256"`. */
  idTokenSignedResponseAlg?: SigningAlg;
  /** The userinfo's signing algorithm, as registered with ProConnect: `"ES256"` (default), `"RS256"` or `"HS256"`. */
  userinfoSignedResponseAlg?: SigningAlg;
  /**
   * `acr_values` sent with every login: a preference, not a requirement (use `requireAuth({ acr })` for
   * that). Not sent when a route requires an acr: ProConnect would take them for the required values.
   */
  acrValues?: ProConnectAcr[];
  /**
   * The `claims` parameter sent with every login.
   *
   * @example { id_token: { amr: { essential: true } } }
   */
  claims?: {
    id_token?: Record<string, ClaimRequest>;
    userinfo?: Record<string, ClaimRequest>;
  };
  /** Where to go after login when no `returnTo` was given: a same-origin path, `"/"` by default. */
  postLoginRedirect?: string;
  /** Where to go after logout: a same-origin path, `"/"` by default. */
  postLogoutRedirect?: string;
  /** Milliseconds to wait for ProConnect on each back-channel request (discovery, JWKS, token, userinfo): 1 to 60000, default 5000. */
  httpTimeout?: number;
  /**
   * Milliseconds each session store call of the login and logout routes may take: 1 to 60000, default
   * 3000. Beyond it, or when the store fails, the request ends with `session_store_unavailable` (503)
   * and nobody is signed in or out half-way.
   */
  sessionTimeout?: number;
  /**
   * Bytes of JSON the signed-in user may take in the session, loaded on every request: 4096 to 1048576,
   * default 16384. Beyond it the largest `custom` attributes, then other optional claims, are dropped
   * with a warning.
   */
  maxUserSize?: number;
  /** Seconds of clock difference tolerated when checking token times: 0 to 300, default 10. */
  clockTolerance?: number;
  /** Seconds a login attempt (state, nonce, PKCE verifier) stays valid: 1 to 3600, default 600. */
  loginTimeout?: number;
  /** Login attempts at once per browser (tabs, one cookie each): 1 to 20, default 5; the oldest is dropped beyond it. */
  maxPendingLogins?: number;
  /** Only these identity providers (`idp_id`) may sign in (`idp_not_allowed` otherwise); any by default. */
  allowedIdps?: string[];
  /** Also keep the access and refresh tokens in the session. Default `false`: only the user and the id_token. */
  storeTokens?: boolean;
  /**
   * With `storeTokens` and several instances of the app on one session store: a lock they share, so
   * that a refresh spends the session's refresh token once, whichever instance does it. None by default
   * (each process refreshes a session once at a time; two processes may both refresh: docs/apis.md).
   * See {@link RefreshLock}.
   *
   * @example redisRefreshLock(redisClient)
   */
  refreshLock?: RefreshLock;
  /**
   * Runs after every check, in the new session, before it is written: enrich the user, write the app's
   * own keys, refuse, or answer the request yourself. See {@link OnLogin}.
   *
   * @example async (user, { session }) => { session.accountId = await accounts.idFor(user.sub); }
   */
  onLogin?: OnLogin;
  /**
   * Runs when a signed-in person signs out (`POST /logout`), before the session ends. See {@link OnLogout}.
   *
   * @example (user, { instance }) => audit.log("logout", { sub: user.sub, instance })
   */
  onLogout?: OnLogout;
  /**
   * The keys of the app's own session data that go on across a login and a logout: a login and a logout
   * each replace the session (a new id), which otherwise keeps nothing of the app's. None by default.
   *
   * @example ["locale", "cart"]
   */
  keepSessionKeys?: string[];
  /**
   * Where to go back to after the login, from the request to `/login`, when the app knows it better than
   * the `returnTo` query parameter (e.g. nginx's `auth_request` sends `X-Original-URI`). Checked by the
   * same rules as the query's (a same-origin path, at most 2048 characters once normalized). When it gives
   * `undefined` (or `""`), the query's `returnTo` is used; a value that fails the rules ends the login on
   * `postLoginRedirect`.
   *
   * @example (req) => req.get("x-original-uri")
   */
  returnTo?: (req: Request) => string | undefined;
  /** Receives the warnings (a dropped claim: its name and the `sub`, never values). Default `console`. */
  logger?: ProConnectLogger;
}

/**
 * What ProConnect's introspection endpoint says of a valid Bearer token, on `req.proconnectToken` behind
 * `requireBearer()`: the fields of its answer (RFC 7662) with ProConnect's names.
 */
export interface ProConnectToken {
  /** ProConnect's identifier of the person, the `sub` of their id_token at the service that called. */
  sub: string;
  /** The client the token was issued to: the service provider calling your API on the person's behalf. */
  client_id: string;
  /** The scopes granted to the token, space-separated as ProConnect sends them (`""` when none). */
  scope: string;
  /** The same scopes, as a list. */
  scopes: readonly string[];
  /** When the token expires, in seconds since the epoch. */
  exp?: number;
  /** When the token was issued, in seconds since the epoch. */
  iat?: number;
  /** The issuer, ProConnect's. */
  iss?: string;
  /** ProConnect's session of the person, when the answer names it. */
  sid?: string;
  /** The token type: `Bearer` (a refresh token is refused). */
  token_type: string;
  /** Whether this answer came signed (`introspectionSignedResponseAlg`) and its signature was verified. */
  signed: boolean;
}

/** The cache of introspection answers of `requireBearer()`, in this process. */
export interface BearerCacheOptions {
  /**
   * Valid tokens remembered at most, and as many refused ones apart (least recently used dropped first,
   * a flood of refused tokens never pushing a valid one out): 1 to 1000000, default 10000.
   */
  maxEntries?: number;
  /**
   * Seconds a valid token is trusted without asking ProConnect again, never beyond its `exp`: 0 to
   * 3600, default 300. A token revoked at ProConnect keeps working here for up to this long; 0 asks
   * ProConnect on every request.
   */
  ttl?: number;
  /** Seconds an inactive or refused token is remembered as such: 0 to 300, default 10. */
  negativeTtl?: number;
}

/** The options of `requireBearer()`: the resource server's own client at ProConnect. */
export interface RequireBearerOptions {
  /** The resource server's client_id at ProConnect (ProConnect recommends one of its own for an API). */
  clientId: string;
  /** The resource server's client_secret at ProConnect. */
  clientSecret: string;
  /** Which ProConnect: `"integration"` (default) or `"production"`. */
  environment?: ProConnectEnvironment;
  /** Which network: `"internet"` (default) or `"rie"`, the State's inter-ministerial network. */
  network?: ProConnectNetwork;
  /** An explicit issuer, e.g. the local emulator's; wins over `environment` and `network`. `http://` only on localhost. */
  issuer?: string;
  /** Scopes the token must all have (403 `insufficient_scope` otherwise). None by default. */
  scopes?: string[];
  /**
   * The clients (service providers' client_ids) whose tokens this API accepts: a token issued to any
   * other is refused (401 `invalid_token`). ProConnect's access tokens carry no audience: the client
   * they were issued to is how an API tells who calls it. Required, unless `allowAnyClient: true`.
   *
   * @example ["client-id-of-the-service-that-calls-you"]
   */
  allowedClients?: string[];
  /**
   * `true`: accept a token issued to any client of ProConnect, including one stolen from another
   * service. Only for an API whose every route is meant for any ProConnect service; not with
   * `allowedClients`.
   */
  allowAnyClient?: true;
  /**
   * The algorithm of the signed introspection answers, as registered with ProConnect
   * (`introspection_signed_response_alg`): `"RS256"` (ProConnect's recommendation), `"ES256"` or
   * `"HS256"` (signed with the client secret). A plain JSON answer is then refused. Unsigned by default.
   */
  introspectionSignedResponseAlg?: SigningAlg;
  /**
   * Introspections of tokens the cache does not know, at most, per second and per process: 1 to 100000,
   * default 100 (and as many at once after a quiet second). Beyond it the request gets 503
   * `introspection_unavailable` with `Retry-After: 1`, without asking ProConnect: random tokens sent by
   * anyone cannot make the API flood ProConnect. Tokens in the cache are not counted.
   */
  maxIntrospectionsPerSecond?: number;
  /** The answers' cache, or `false` to ask ProConnect on every request. */
  cache?: BearerCacheOptions | false;
  /** Milliseconds to wait for ProConnect on each request (discovery, JWKS, introspection): 1 to 60000, default 5000. */
  httpTimeout?: number;
  /** Seconds of clock difference tolerated when checking `exp` and the signed answer's times: 0 to 300, default 10. */
  clockTolerance?: number;
  /** Receives the warnings (ProConnect unreachable, a signed answer that fails verification); never a token. Default `console`. */
  logger?: ProConnectLogger;
}

/** The options of `requireAuth()` and of an instance's `auth.requireAuth()`. */
export interface RequireAuthOptions {
  /** The acr the session must have (any of them, for a list), e.g. `CERTIFICATION_DIRIGEANT`. */
  acr?: ProConnectAcr | readonly ProConnectAcr[];
  /**
   * Multi-factor authentication, which the State requires on its information systems (sensitive ones
   * by 28 February 2027, all by 28 February 2028): the session's acr must be one of `MFA_ACR_VALUES`,
   * asked for as ProConnect documents it. A person whose identity provider cannot do MFA gets a one-time
   * code by e-mail from ProConnect (acr `eidas1-mfa`). Not with `acr`.
   */
  mfa?: boolean;
  /**
   * Always answer 401/403 JSON, never redirect: for routes only scripts call. A plain `fetch()` accepts
   * any type, so without this it would get the login redirect meant for pages.
   */
  api?: boolean;
}

/** The options of `getAccessToken()` and of an instance's `auth.getAccessToken()`. */
export interface GetAccessTokenOptions {
  /**
   * Seconds the token must still be valid for: one that expires sooner is refreshed first. 0 to 3000,
   * default 60 (ProConnect's access tokens live an hour).
   */
  minValidity?: number;
}
