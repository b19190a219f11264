// What openid-client (oauth4webapi underneath), jose and fetch throw, turned into ProConnectErrors.
// Recognized by class, `name`, `code` and fields only, never by message: a dependency update that
// rewords a message must not change a code. Messages are only quoted, for the developer.
import { errors as joseErrors } from "jose";
import {
  oauthErrorName,
  ProConnectError,
  providerError,
  type ProConnectErrorCode,
} from "./errors.js";

// oauth4webapi's `code`s, which openid-client keeps on the ClientError it wraps each failure in. Not
// imported: oauth4webapi is openid-client's dependency, not ours, and only client.ts imports openid-client.
const OAUTH = {
  authorizationResponse: "OAUTH_AUTHORIZATION_RESPONSE_ERROR",
  responseBody: "OAUTH_RESPONSE_BODY_ERROR",
  challenge: "OAUTH_WWW_AUTHENTICATE_CHALLENGE",
  notJson: "OAUTH_RESPONSE_IS_NOT_JSON",
  notConform: "OAUTH_RESPONSE_IS_NOT_CONFORM",
  parse: "OAUTH_PARSE_ERROR",
  invalidResponse: "OAUTH_INVALID_RESPONSE",
  claimComparison: "OAUTH_JWT_CLAIM_COMPARISON_FAILED",
  timestampCheck: "OAUTH_JWT_TIMESTAMP_CHECK_FAILED",
  attributeComparison: "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED",
  // openid-client's own, for a DOMException it wraps.
  timeout: "OAUTH_TIMEOUT",
  abort: "OAUTH_ABORT",
} as const;

/** The codes of a connection that failed: Node's system errors and undici's (prefixed `UND_ERR_`). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
]);

/**
 * The claims an id_token must carry, in the order oauth4webapi checks them (iss, aud, exp, iat and sub
 * by OpenID Connect Core, nonce because every login sends one), each with the type it must have.
 */
const ID_TOKEN_CLAIMS: readonly (readonly [string, (value: unknown) => boolean])[] = [
  ["aud", (value) => typeof value === "string" || Array.isArray(value)],
  ["exp", (value) => typeof value === "number"],
  ["iat", (value) => typeof value === "number"],
  ["iss", (value) => typeof value === "string"],
  ["sub", (value) => typeof value === "string"],
  ["nonce", (value) => typeof value === "string"],
];

const nonEmpty = (value: unknown) => typeof value === "string" && value !== "";
const optional = (valid: (value: unknown) => boolean) => (value: unknown) =>
  value === undefined || valid(value);

/**
 * The token response's fields oauth4webapi checks before the id_token, each with what it must be: the
 * id_token is at fault in a body check only when all of these pass.
 */
const TOKEN_RESPONSE_FIELDS: readonly (readonly [string, (value: unknown) => boolean])[] = [
  ["access_token", nonEmpty],
  ["token_type", nonEmpty],
  [
    "expires_in",
    optional((value) => {
      const seconds = typeof value === "number" ? value : parseFloat(String(value));
      return Number.isFinite(seconds) && seconds >= 0;
    }),
  ],
  ["refresh_token", optional(nonEmpty)],
  ["scope", optional((value) => typeof value === "string")],
];

/** What jose's verification failures say, by code: the part of the JWT at fault. */
const JOSE_FAULTS: Readonly<Record<string, string>> = {
  ERR_JOSE_ALG_NOT_ALLOWED: "its alg is not the algorithm registered",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "its signature is wrong",
  ERR_JWKS_NO_MATCHING_KEY: "no key of ProConnect's JWKS matches its header",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "several keys of ProConnect's JWKS match its header",
  ERR_JWS_INVALID: "it is not a well-formed JWS",
  ERR_JWT_INVALID: "it is not a well-formed JWT",
  ERR_JOSE_NOT_SUPPORTED: "it uses an algorithm or header that is not supported",
};

/** Where a failure happened: the code exchange, the refresh grant, or the userinfo request. */
type Stage = "token" | "refresh" | "userinfo";

/**
 * What a failure from openid-client, jose or fetch is, read once from its chain of causes: the table
 * below (`OAUTH`, `NETWORK_CODES`, `JOSE_FAULTS`, jose's classes) and the mappings work on this.
 */
interface Failure {
  error: unknown;
  /** The outermost `code` (oauth4webapi's, kept by openid-client) and the details it carries. */
  code: unknown;
  details: unknown;
  /** The over-large answer it comes from. */
  tooLarge: BodyTooLargeError | undefined;
  /** A timeout or an abort anywhere in the Errors of the chain. */
  timeout: boolean;
  /** A connection failure's code (ECONNREFUSED, UND_ERR_SOCKET…). */
  network: string | undefined;
  /** What was decided deeper and carried out through a library (see {@link DecidedFailure}). */
  decided: ProConnectError | undefined;
  /** The HTTP answer kept as a cause, if any. */
  response: Response | undefined;
  /** The causes' messages, for the developer. */
  messages: string;
}

/** Reads `error`'s chain of causes, once. */
function failureOf(error: unknown): Failure {
  const code = fieldOf(error, "code");
  const failure: Failure = {
    error,
    code,
    details: undefined,
    tooLarge: undefined,
    timeout: false,
    network: undefined,
    decided: undefined,
    response: undefined,
    messages: "",
  };
  const messages: string[] = [];
  let errors = true; // still in the chain's Errors (what each reader below looks at)
  let sameCode = true; // still in the wrappers of the outermost code (openid-client's, oauth4webapi's)
  let current: unknown = error;
  for (let depth = 0; depth < 10 && typeof current === "object" && current !== null; depth++) {
    if (depth > 0 && sameCode && !(current instanceof Error && fieldOf(current, "code") === code)) {
      failure.details = current;
      sameCode = false;
    }
    if (messages.length < 5 && (depth === 0 || errors)) {
      const message = describeCause(current);
      if (message !== undefined && !messages.includes(message)) messages.push(message);
    }
    if (current instanceof BodyTooLargeError) failure.tooLarge ??= current;
    if (current instanceof Response) failure.response ??= current;
    errors &&= current instanceof Error;
    if (errors) readError(current as Error, failure);
    current = (current as { cause?: unknown }).cause;
  }
  if (errors && current !== undefined && messages.length < 5) {
    // A primitive cause ends the chain: quoted as it is.
    const message = describeCause(current);
    if (message !== undefined && !messages.includes(message)) messages.push(message);
  }
  failure.messages = messages.join(": ");
  return failure;
}

/** What one Error of the chain says: a timeout, a connection failure, a decision carried out. */
function readError(current: Error, failure: Failure): void {
  const code = fieldOf(current, "code");
  if (current.name === "TimeoutError" || current.name === "AbortError") failure.timeout = true;
  if (code === OAUTH.timeout || code === OAUTH.abort || code === joseErrors.JWKSTimeout.code) {
    failure.timeout = true;
  }
  if (current instanceof DecidedFailure) failure.decided ??= current.error;
  if (failure.network === undefined) {
    const system = systemCode(current);
    if (system !== undefined && (NETWORK_CODES.has(system) || system.startsWith("UND_ERR_"))) {
      failure.network = system;
    } else if (current instanceof TypeError && system === undefined) {
      // undici rejects with a TypeError of no code of its own, the failure in its cause.
      failure.network = systemCode(current.cause);
    }
  }
}

/** Turns what openid-client, fetch or the network throw into one precise ProConnectError. */
export function toProConnectError(error: unknown, stage: Stage): ProConnectError {
  if (error instanceof ProConnectError) return error;
  const failure = failureOf(error);
  const where = stage === "userinfo" ? "userinfo endpoint" : "token endpoint";
  const fail = (code: ProConnectErrorCode, message: string) =>
    new ProConnectError(code, message, { cause: error });
  if (failure.tooLarge) return fail("provider_error", failure.tooLarge.message);
  if (failure.timeout) return fail("timeout", `ProConnect's ${where} did not answer in time`);
  const refused = endpointError(failure, stage, where);
  if (refused) return refused;
  if (failure.network !== undefined) {
    return fail("provider_unavailable", `ProConnect's ${where} cannot be reached`);
  }
  return answerError(failure, stage, where);
}

/**
 * A failed verification: the provider's keys could not be fetched (timeout, network, bad JWKS), or the
 * signature or claims are wrong (`code`).
 */
export function signatureError(
  cause: unknown,
  code: ProConnectErrorCode,
  what: string,
): ProConnectError {
  const failure = failureOf(cause);
  if (failure.tooLarge) {
    return new ProConnectError("provider_error", failure.tooLarge.message, { cause });
  }
  // A JWKS whose body trickles in past the timeout: jose wraps that TimeoutError as a parse failure.
  if (cause instanceof joseErrors.JWKSTimeout || failure.timeout) {
    return new ProConnectError("timeout", "ProConnect's JWKS did not answer in time", { cause });
  }
  // Before the bad key set: jose wraps a connection dropped mid-body as a parse failure too.
  if (failure.network !== undefined) {
    return new ProConnectError("provider_unavailable", "ProConnect's JWKS cannot be reached", {
      cause,
    });
  }
  // A bare JOSEError (no subclass, code ERR_JOSE_GENERIC) comes only from jose's remote JWKS: an
  // answer other than 200, or a body that is not JSON.
  if (
    cause instanceof joseErrors.JWKSInvalid ||
    (cause instanceof joseErrors.JOSEError && cause.code === joseErrors.JOSEError.code)
  ) {
    return new ProConnectError("provider_error", "ProConnect's JWKS is not a valid key set", {
      cause,
    });
  }
  const fault = joseFault(cause);
  const reason = failure.messages;
  return new ProConnectError(
    code,
    `${what} failed verification: ${fault ? `${fault} (${reason})` : reason}`,
    { cause },
  );
}

/**
 * Any discovery failure is `provider_unavailable` (retried on the next request), but a wrong issuer and
 * a document over its size limit: those are the provider's doing, not the network's.
 */
export function discoveryError(error: unknown, issuer: string): ProConnectError {
  const failure = failureOf(error);
  if (failure.tooLarge) {
    return new ProConnectError("provider_error", failure.tooLarge.message, { cause: error });
  }
  if (
    failure.code === OAUTH.attributeComparison &&
    fieldOf(failure.details, "attribute") === "issuer"
  ) {
    return new ProConnectError(
      "issuer_mismatch",
      `ProConnect's discovery at ${issuer} announces another issuer`,
      { cause: error },
    );
  }
  const reason = failure.timeout
    ? "no answer in time (on the RIE, check that ProConnect opened your server's IP range)"
    : failure.messages;
  return new ProConnectError(
    "provider_unavailable",
    `ProConnect's discovery at ${issuer} failed: ${reason}`,
    { cause: error },
  );
}

/**
 * What the introspection endpoint's failure means for an API (`introspection_unavailable`, or
 * `invalid_token` for a signed answer that fails its checks), and `undefined` when ProConnect refused
 * to introspect the token itself (RFC 7662 2.3, RFC 6750 3.1: `unsupported_token_type` (HTTP 400) for
 * an id_token or a JWT, `invalid_token` or `invalid_request` for a value it cannot read): that token is
 * simply not active. The client's own credentials (`invalid_client`, 401) are not the token's fault.
 */
export function introspectionError(
  error: unknown,
  httpTimeout: number,
): ProConnectError | undefined {
  const failure = failureOf(error);
  if (failure.decided) return failure.decided;
  const what = "ProConnect's introspection endpoint";
  const unavailable = (message: string) =>
    new ProConnectError("introspection_unavailable", message, { cause: error });
  if (failure.code === OAUTH.responseBody) {
    const answered = fieldOf(error, "error");
    const status = fieldOf(error, "status");
    if (
      answered === "unsupported_token_type" ||
      answered === "invalid_token" ||
      (answered === "invalid_request" && status === 400)
    ) {
      return undefined;
    }
    const advice =
      answered === "invalid_client"
        ? ": check clientId and clientSecret, the resource server's own client at ProConnect"
        : "";
    return unavailable(
      `${what} answered ${oauthErrorName(answered)} (HTTP ${String(status)})${advice}`,
    );
  }
  if (failure.code === OAUTH.claimComparison || failure.code === OAUTH.timestampCheck) {
    const claim = stringField(failure.details, "claim");
    return new ProConnectError(
      "invalid_token",
      `the signed introspection answer failed a check${claim !== undefined ? ` (its ${claim})` : ""}`,
      { cause: error },
    );
  }
  if (failure.tooLarge) return unavailable(failure.tooLarge.message);
  if (failure.timeout) return unavailable(`${what} did not answer within ${httpTimeout} ms`);
  if (failure.network !== undefined) return unavailable(`${what} cannot be reached`);
  const answered = failure.response;
  const detail = answered
    ? ` (HTTP ${answered.status}, ${answered.headers.get("content-type") ?? "no content type"})`
    : "";
  return unavailable(`${what} answered something that is not an introspection answer${detail}`);
}

/**
 * A failure decided inside a library's fetch (the introspection answer's signature, say), carried out
 * through the library as the cause of what it throws: found first by {@link introspectionError}.
 */
export class DecidedFailure extends Error {
  override readonly name = "DecidedFailure";
  constructor(readonly error: ProConnectError) {
    super(error.message, { cause: error });
  }
}

/** An OAuth error the endpoint answered: `error=` in its JSON body, or a WWW-Authenticate challenge. */
function endpointError(failure: Failure, stage: Stage, where: string): ProConnectError | undefined {
  const { error, code } = failure;
  const fail = (ours: ProConnectErrorCode, message: string) =>
    new ProConnectError(ours, message, { cause: error });
  if (code === OAUTH.authorizationResponse) {
    const description = fieldOf(error, "error_description");
    return providerError(
      String(fieldOf(error, "error")),
      typeof description === "string" ? description : undefined,
      error,
    );
  }
  const status = fieldOf(error, "status");
  if (code === OAUTH.responseBody) {
    const answered = fieldOf(error, "error");
    if (stage === "token" && answered === "invalid_grant") {
      return fail(
        "code_rejected",
        "ProConnect refused the code (expired, already used or for another client)",
      );
    }
    if (stage === "refresh" && answered === "invalid_grant") {
      return fail(
        "reauthentication_required",
        "ProConnect refused the refresh token (expired, revoked or already used): sign in again",
      );
    }
    if (answered === "invalid_client") {
      return fail(
        "provider_error",
        "ProConnect refused the client credentials: check clientId and clientSecret",
      );
    }
    return fail(
      "provider_error",
      `ProConnect's ${where} answered ${oauthErrorName(answered)} (HTTP ${String(status)})`,
    );
  }
  if (code === OAUTH.challenge) {
    return fail(
      "provider_error",
      `ProConnect's ${where} refused the access token (HTTP ${String(status)})`,
    );
  }
  return undefined;
}

/**
 * An answer that came, but wrong: not a valid token or userinfo answer (`provider_error`), or one whose
 * id_token (or userinfo) fails a check, told by oauth4webapi's code and the details it attaches.
 */
function answerError(failure: Failure, stage: Stage, where: string): ProConnectError {
  const fail = (code: ProConnectErrorCode, message: string) =>
    new ProConnectError(code, message, { cause: failure.error });
  // openid-client wraps the precise reason ("unexpected JWT "iss" claim value"…) in its causes.
  const { code, details, messages: message } = failure;
  const subject = stage === "userinfo" ? "userinfo" : "id_token";
  const fault =
    code === OAUTH.claimComparison || code === OAUTH.timestampCheck
      ? stringField(details, "claim")
      : code === OAUTH.invalidResponse
        ? invalidJwtPart(details)
        : undefined;
  if (
    code === OAUTH.notJson ||
    code === OAUTH.notConform ||
    code === OAUTH.parse ||
    (code === OAUTH.invalidResponse && fault === undefined)
  ) {
    return fail("provider_error", `ProConnect's ${where} sent an invalid answer: ${message}`);
  }
  if (fault === "iss") {
    return fail("issuer_mismatch", `the ${subject}'s iss is not the issuer: ${message}`);
  }
  const what = fault === undefined || fault === "" ? `the ${subject}` : `the ${subject}'s ${fault}`;
  return fail(
    stage === "userinfo" ? "invalid_userinfo" : "invalid_id_token",
    `${what} is not valid: ${message}`,
  );
}

/**
 * The part of the id_token at fault in an OAUTH_INVALID_RESPONSE, from the details oauth4webapi
 * attaches: the claims (one missing or mistyped), the header (its alg), the JWT itself (malformed), or
 * the token response's body when its id_token is absent or not a string and the fields checked before
 * it pass. `""` for the JWT as a whole; undefined when the id_token is not at fault (another field of
 * the answer, a callback parameter).
 */
function invalidJwtPart(details: unknown): string | undefined {
  if (typeof details === "string") return "";
  const claims = fieldOf(details, "claims");
  if (isJsonObject(claims)) {
    return ID_TOKEN_CLAIMS.find(([claim, valid]) => !valid(claims[claim]))?.[0] ?? "";
  }
  if (isJsonObject(fieldOf(details, "header"))) return "alg";
  const body = fieldOf(details, "body");
  if (isJsonObject(body) && !nonEmpty(body.id_token)) {
    return TOKEN_RESPONSE_FIELDS.every(([field, valid]) => valid(body[field])) ? "" : undefined;
  }
  return undefined;
}

/** What jose found wrong, named by its error's code (and `claim`), when it is a verification failure. */
function joseFault(error: unknown): string | undefined {
  if (
    error instanceof joseErrors.JWTClaimValidationFailed ||
    error instanceof joseErrors.JWTExpired
  ) {
    return `its ${error.claim} is not valid`;
  }
  return error instanceof joseErrors.JOSEError ? JOSE_FAULTS[error.code] : undefined;
}

/** A readable cause: openid-client attaches the HTTP Response, or an object of details, to its errors. */
function describeCause(cause: unknown): string | undefined {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === "object" && cause !== null) {
    const status = (cause as { status?: unknown }).status;
    return typeof status === "number" ? `HTTP ${status}` : undefined;
  }
  return String(cause);
}

/**
 * The code of the connection failure behind `error`, if it is one: a system or undici error's own
 * (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET…), or the code in the cause of fetch's TypeError, whatever
 * it is (a TLS or HTTP parser code too). Several attempts (IPv4 and IPv6) come as an AggregateError.
 */
export function networkErrorCode(error: unknown): string | undefined {
  return failureOf(error).network;
}

/** A string `code` (a DOMException's is a number), or the first attempt's in an AggregateError. */
function systemCode(error: unknown): string | undefined {
  const code = fieldOf(error, "code");
  if (typeof code === "string") return code;
  return error instanceof AggregateError ? systemCode(error.errors[0]) : undefined;
}

/**
 * An answer over its size limit. Thrown by the back channel's fetch (back-channel.ts), so that
 * openid-client and jose wrap it as any failure: the mappings above look for it first, through the
 * causes, by class.
 */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

function fieldOf(value: unknown, name: string): unknown {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function stringField(value: unknown, name: string): string | undefined {
  const field = fieldOf(value, name);
  return typeof field === "string" ? field : undefined;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
