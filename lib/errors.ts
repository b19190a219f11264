/**
 * Every code a {@link ProConnectError} can carry, with its HTTP status. Stable: apps may switch on them.
 * Errors ProConnect itself sends back (`error=` on the callback) keep ProConnect's code.
 */
export const PROCONNECT_ERROR_CODES = Object.freeze({
  /** `proconnect()` was given a wrong option (thrown at start-up). */
  invalid_options: 500,
  /** `req.session` is missing: mount express-session before `proconnect()`. */
  session_missing: 500,
  /**
   * The session cookie is Secure but the request is not secure for express-session (plain http, or an
   * untrusted proxy): it would never reach the browser and the login would loop. Refused at `/login` and
   * `/callback`; the message says which setting fixes it (`trust proxy`, `cookie.secure`).
   */
  insecure_session_cookie: 500,
  /**
   * Mounting that cannot work: `requireAuth()` cannot tell which `proconnect()` it stands for (none, or
   * several), `proconnect()` is mounted under a path `baseUrl` does not have, or two instances share a
   * name or a route on the same path.
   */
  not_configured: 500,
  /**
   * `requireAuth()` would send back to the login a browser that completed one seconds ago, without the
   * session that login created: its session cookie did not come back (cookie domain, path or
   * `sameSite: "strict"`, a store not shared between instances…) and the login would loop.
   */
  login_loop: 500,
  /** ProConnect cannot be reached (network error, discovery failure). Retried on the next request. */
  provider_unavailable: 503,
  /**
   * ProConnect did not answer in time (or, in `getAccessToken()`, another instance holding `refreshLock`
   * did not finish its refresh of the session in time).
   */
  timeout: 504,
  /** ProConnect answered with something that is not a valid OpenID Connect answer (500, HTML, bad JSON). */
  provider_error: 502,
  /** The issuer ProConnect announces (discovery or the callback's `iss`) is not the one configured. */
  issuer_mismatch: 502,
  /** The id_token failed a check: signature, algorithm, `iss`, `aud`, `azp`, `exp`, `iat` or `nonce`. */
  invalid_id_token: 502,
  /** The userinfo failed a check: not a signed JWT, bad signature or algorithm, other `sub`. */
  invalid_userinfo: 502,
  /** A required claim is missing or invalid (SIRET, e-mail, names…): the login is refused. */
  invalid_user_claims: 502,
  /** The identity provider is not in `allowedIdps`. */
  idp_not_allowed: 403,
  /** The app's `onLogin` hook refused the login. */
  login_rejected: 403,
  /** The callback's `state` is missing, unknown, expired or already used. */
  invalid_state: 400,
  /** The callback is malformed (no code, repeated parameters…). */
  invalid_callback: 400,
  /** ProConnect refused to exchange the code (expired, replayed, issued to another client). */
  code_rejected: 400,
  /** `/login` was called with a parameter ProConnect would refuse. */
  invalid_login_request: 400,
  /**
   * `GET` on the logout route: signing out takes a `POST` (a form), so that another site, an image or a
   * link prefetch cannot sign anyone out. Answered with `Allow: POST`.
   */
  method_not_allowed: 405,
  /**
   * `POST /logout` from another site (`Sec-Fetch-Site: cross-site` or `same-site`, or an `Origin` that is
   * not `baseUrl`'s): refused before anything changes, so that no other site can sign people out.
   */
  cross_site_request: 403,
  /** `/logout/callback` came back with a missing or wrong `state`. */
  invalid_logout_state: 400,
  /**
   * The session store failed, threw, or did not answer within `sessionTimeout` (or the `timeout` of
   * `boundedStore()`): nothing was signed in or out half-way. Its own error is in `cause` only.
   */
  session_store_unavailable: 503,
  /**
   * Nobody is signed in (from `requireAuth()` on an API call), or a request to an API behind
   * `requireBearer()` carries no `Authorization: Bearer` token.
   */
  unauthenticated: 401,
  /** The session's acr does not meet what the route requires (from `requireAuth()` on an API call). */
  insufficient_acr: 403,
  /**
   * `getAccessToken()`: the session holds no refresh token, or ProConnect refused it (expired, revoked,
   * already used): the person must sign in again. `requireAuth()`-style handling turns it into a login.
   */
  reauthentication_required: 401,
  /**
   * `requireBearer()`: the Bearer token is malformed, unknown, expired, revoked, not an access token,
   * issued to a client the API does not accept, or its signed introspection answer failed verification.
   * Answered 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750).
   */
  invalid_token: 401,
  /** `requireBearer({ scopes })`: the token lacks a scope the route requires (403, RFC 6750). */
  insufficient_scope: 403,
  /**
   * `requireBearer()`: ProConnect's introspection endpoint (or its discovery, or its JWKS) cannot be
   * reached, did not answer within `httpTimeout`, refused the resource server's credentials, or
   * answered something that is not an introspection answer. The token is never let through.
   */
  introspection_unavailable: 503,
  // Errors ProConnect sends on the callback, under their own name: see AUTHORIZATION_ERRORS.
  access_denied: 403,
  login_required: 401,
  interaction_required: 401,
  consent_required: 403,
  account_selection_required: 401,
  invalid_request: 400,
  invalid_scope: 400,
  /** ProConnect knows no identity provider with the `idp_hint` the login sent. */
  idp_hint_not_found: 400,
  unauthorized_client: 400,
  unsupported_response_type: 400,
  server_error: 502,
  temporarily_unavailable: 503,
} as const);

export type ProConnectErrorCode = keyof typeof PROCONNECT_ERROR_CODES;

/**
 * The `error` values of an authorization response that keep their name: those OAuth 2.0 (RFC 6749,
 * 4.1.2.1) and OpenID Connect Core (3.1.2.6) define for it, and ProConnect's `idp_hint_not_found`. Any
 * other value ProConnect sends (one of our
 * own codes among them) is `provider_error`.
 */
export const AUTHORIZATION_ERRORS: readonly ProConnectErrorCode[] = Object.freeze([
  "access_denied",
  "login_required",
  "interaction_required",
  "consent_required",
  "account_selection_required",
  "invalid_request",
  "invalid_scope",
  "unauthorized_client",
  "unsupported_response_type",
  "server_error",
  "temporarily_unavailable",
  // ProConnect's own, for an unknown idp_hint (its authorize DTO and interaction controller).
  "idp_hint_not_found",
] as const);
const AUTHORIZATION_ERROR_SET: ReadonlySet<string> = new Set(AUTHORIZATION_ERRORS);

/**
 * The error for ProConnect's `error` (and `error_description`) answer: its own code when it is an
 * authorization error, `provider_error` otherwise. Both values come from the network: they are cut to a
 * readable length and stripped of control characters before they reach a message.
 */
export function providerError(
  error: string,
  description?: string | null,
  cause?: unknown,
  advice?: Partial<Record<ProConnectErrorCode, string>>,
): ProConnectError {
  const code = AUTHORIZATION_ERROR_SET.has(error)
    ? (error as ProConnectErrorCode)
    : "provider_error";
  const said = description ? `: ${printable(description, 300)}` : "";
  const then = advice?.[code] ? `. ${advice[code]}` : "";
  return new ProConnectError(code, `ProConnect answered ${printable(error, 100)}${said}${then}`, {
    cause,
  });
}

/**
 * An OAuth `error` a back-channel endpoint answered, fit to quote: RFC 6749 makes it a short ASCII code
 * (`invalid_client`); anything else (a long text, one that may echo the token sent) is not quoted.
 */
export function oauthErrorName(value: unknown): string {
  return typeof value === "string" && /^[a-z][a-z0-9_]{0,63}$/.test(value)
    ? value
    : "an error that is no OAuth error code";
}

function printable(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}

const BRAND = Symbol.for("proconnect-express: ProConnectError");
type Branded = { [BRAND]?: true };

/**
 * The one error class of proconnect-express: a stable `code`, the HTTP `status` to answer with, a message
 * written for the developer (never containing a secret or a token), and the `cause` when there is one.
 * Request-time errors are passed to `next(err)`: the app's error handler decides what the user sees.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err instanceof ProConnectError) {
 *     res.status(err.status).render("login-error", { code: err.code });
 *   } else next(err);
 * });
 */
export class ProConnectError extends Error {
  /**
   * `instanceof ProConnectError` holds for errors of either build of the package (ESM and CommonJS), when
   * an app loads both: the brand is a registered symbol, not this class.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Branded)[BRAND] === true;
  }

  override readonly name = "ProConnectError";
  readonly code: ProConnectErrorCode;
  readonly status: number;
  /**
   * For `invalid_user_claims`: the names of the claims that failed (`siret`, `email`…), never their
   * values, so that a page can say which information was missing or wrong.
   */
  readonly claims?: readonly string[];

  constructor(
    code: ProConnectErrorCode,
    message: string,
    options?: { cause?: unknown; claims?: readonly string[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = PROCONNECT_ERROR_CODES[code];
    Object.defineProperty(this, BRAND, { value: true });
    if (options?.claims) this.claims = Object.freeze([...options.claims]);
  }

  /** Whether `code` is one of {@link PROCONNECT_ERROR_CODES}. */
  static isCode(code: string): code is ProConnectErrorCode {
    return Object.hasOwn(PROCONNECT_ERROR_CODES, code);
  }
}
