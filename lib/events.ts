// The audit trail on node:diagnostics_channel: names and payloads are a public contract (docs/observability.md).
import * as diagnostics_channel from "node:diagnostics_channel";
import { ProConnectError, type ProConnectErrorCode } from "./errors.js";

/**
 * The names of the channels proconnect-express publishes on (`node:diagnostics_channel`), stable. Nothing
 * is built or published while a channel has no subscriber. A payload holds identifiers only (`sub`,
 * `idp_id`, `siret`, `client_id`, codes), never a token, an authorization code, a state or a cookie.
 *
 * @example
 * import * as diagnostics_channel from "node:diagnostics_channel";
 * import { PROCONNECT_CHANNELS, type LoginSuccessEvent } from "proconnect-express";
 *
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.loginSuccess, (event) => {
 *   const { sub, idp_id, acr, durationMs } = event as LoginSuccessEvent;
 *   audit.info({ sub, idp_id, acr, durationMs }, "signed in");
 * });
 */
export const PROCONNECT_CHANNELS = Object.freeze({
  loginStart: "proconnect-express:login:start",
  loginSuccess: "proconnect-express:login:success",
  loginFailure: "proconnect-express:login:failure",
  logout: "proconnect-express:logout",
  tokenRefresh: "proconnect-express:token:refresh",
  bearerAccept: "proconnect-express:bearer:accept",
  bearerRefuse: "proconnect-express:bearer:refuse",
  sessionStoreFailure: "proconnect-express:session-store:failure",
  providerRequest: "proconnect-express:provider:request",
} as const);

/**
 * `GET /login` sends the browser to ProConnect.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.loginStart, (event) => {
 *   const { instance, acr } = event as LoginStartEvent;
 * });
 */
export interface LoginStartEvent {
  /** The instance's `name` option; `undefined` for an unnamed `proconnect()`. */
  instance: string | undefined;
  /** The acr values the login asks for (`requireAuth({ acr })`, `acrValues`), when it asks. */
  acr?: readonly string[];
  /** `true` for a silent login (`prompt=none`). */
  silent?: true;
}

/**
 * A person is signed in: the session is written.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.loginSuccess, (event) => {
 *   const { sub, idp_id, siret, durationMs } = event as LoginSuccessEvent;
 * });
 */
export interface LoginSuccessEvent {
  instance: string | undefined;
  /** ProConnect's identifier of the person at this service. */
  sub: string;
  /** The identity provider the person signed in with. */
  idp_id: string;
  siret: string;
  /** The acr of this login, when ProConnect sent one. */
  acr: string | undefined;
  /** How the person proved it, when ProConnect sent it. */
  amr: readonly string[] | undefined;
  /**
   * Milliseconds from `GET /login` to the session written, ProConnect's pages included: derived from the
   * attempt's expiry less `loginTimeout` (no time of its own in the attempt's cookie, which the browser
   * holds and could change).
   */
  durationMs: number;
}

/**
 * Where a login failed, in the order the callback goes (see {@link LoginFailureEvent}).
 *
 * @example
 * const byStep = new Map<LoginStep, number>();
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.loginFailure, (event) => {
 *   const { step } = event as LoginFailureEvent;
 *   byStep.set(step, (byStep.get(step) ?? 0) + 1);
 * });
 */
export type LoginStep = "callback" | "token" | "userinfo" | "claims" | "onLogin" | "session";

/**
 * A login failed at `GET /callback`. `sub` and `idp_id` are there once ProConnect had vouched for the
 * person (the id_token verified): from the `userinfo` step on.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.loginFailure, (event) => {
 *   const { code, step, sub } = event as LoginFailureEvent;
 * });
 */
export interface LoginFailureEvent {
  instance: string | undefined;
  /** The error's code; `unexpected` for an error that is not a `ProConnectError` (a bug, the app's). */
  code: ProConnectErrorCode | "unexpected";
  /** The HTTP status the error carries (500 for `unexpected`). */
  status: number;
  /**
   * `callback`: the front-channel checks (state, `iss`, ProConnect's `error=`); `token`: the code's
   * exchange and the id_token's checks; `userinfo`; `claims`: the user's claims and `allowedIdps`;
   * `onLogin`: the app's hook; `session`: the session store.
   */
  step: LoginStep;
  sub?: string;
  idp_id?: string;
}

/**
 * A signed-in person signs out (`POST /logout`).
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.logout, (event) => {
 *   const { sub, idp_id } = event as LogoutEvent;
 * });
 */
export interface LogoutEvent {
  instance: string | undefined;
  sub: string;
  idp_id: string;
}

/**
 * `getAccessToken()` asked ProConnect for a new access token with the refresh token.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.tokenRefresh, (event) => {
 *   const { sub, outcome, code } = event as TokenRefreshEvent;
 * });
 */
export interface TokenRefreshEvent {
  instance: string | undefined;
  sub: string;
  /** `refreshed`: ProConnect gave a new token; `refused`: the refresh failed, `code` says why. */
  outcome: "refreshed" | "refused";
  /** `reauthentication_required` (no refresh token, or ProConnect refused it), `timeout`… */
  code?: ProConnectErrorCode | "unexpected";
}

/**
 * `requireBearer()` let a request through.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.bearerAccept, (event) => {
 *   const { sub, client_id } = event as BearerAcceptEvent;
 * });
 */
export interface BearerAcceptEvent {
  sub: string;
  /** The client (service provider) the token was issued to. */
  client_id: string;
}

/**
 * `requireBearer()` refused a request.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.bearerRefuse, (event) => {
 *   const { code, client_id } = event as BearerRefuseEvent;
 * });
 */
export interface BearerRefuseEvent {
  /** `unauthenticated`, `invalid_token`, `insufficient_scope` or `introspection_unavailable`. */
  code: ProConnectErrorCode;
  /** The token's client, when ProConnect said which (a token of a client not allowed, a missing scope). */
  client_id?: string;
}

/**
 * A call to the session store, by the store contract's name (`regenerate`: express-session's
 * `req.session.regenerate()`; `lock`: the `refreshLock` option).
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.sessionStoreFailure, (event) => {
 *   const operation: SessionStoreOperation = (event as SessionStoreFailureEvent).operation;
 * });
 */
export type SessionStoreOperation =
  "get" | "set" | "destroy" | "regenerate" | "touch" | "all" | "length" | "clear" | "lock";

/**
 * A call to the session store failed or did not answer in time: `proconnect()`'s own calls, and every
 * call through `boundedStore()`.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.sessionStoreFailure, (event) => {
 *   const { operation, timedOut } = event as SessionStoreFailureEvent;
 * });
 */
export interface SessionStoreFailureEvent {
  /** Not known to the store's calls: the `login:failure` of step `session` names the instance. */
  instance?: string;
  operation: SessionStoreOperation;
  code: "session_store_unavailable";
  /** Whether the store did not answer within its deadline (rather than answered an error). */
  timedOut: boolean;
}

/** ProConnect's endpoint a request went to. */
export type ProviderEndpoint = "discovery" | "jwks" | "token" | "userinfo" | "introspection";

/**
 * A request to ProConnect ended: its answer's status and headers came, or it failed (a timeout, the
 * network, an answer over its size limit). One per request: discovery and keys once per process (they
 * are cached), the code's exchange and the userinfo at each login, the token endpoint at each refresh,
 * the introspection of each token `requireBearer()` does not know.
 *
 * @example
 * diagnostics_channel.subscribe(PROCONNECT_CHANNELS.providerRequest, (event) => {
 *   const { endpoint, status, durationMs } = event as ProviderRequestEvent;
 *   histogram.record(durationMs, { endpoint, status });
 * });
 */
export interface ProviderRequestEvent {
  endpoint: ProviderEndpoint;
  method: string;
  /** The endpoint's origin and path, without the query (ProConnect's published endpoint). */
  url: string;
  /** `answered`: a status and headers came (whatever the status); `failed`: none did. */
  outcome: "answered" | "failed";
  /** The HTTP status, when it answered. */
  status?: number;
  /** Why it failed: a connection error's code (`ECONNREFUSED`, `UND_ERR_SOCKET`…), `TimeoutError`, `body_too_large`. */
  error?: string;
  /** Milliseconds from the request to its answer's headers (or its failure). */
  durationMs: number;
}

interface Payloads {
  loginStart: LoginStartEvent;
  loginSuccess: LoginSuccessEvent;
  loginFailure: LoginFailureEvent;
  logout: LogoutEvent;
  tokenRefresh: TokenRefreshEvent;
  bearerAccept: BearerAcceptEvent;
  bearerRefuse: BearerRefuseEvent;
  sessionStoreFailure: SessionStoreFailureEvent;
  providerRequest: ProviderRequestEvent;
}

type Name = keyof typeof PROCONNECT_CHANNELS;

// Held here: a channel nobody holds may be collected with its subscribers on older Node.js versions.
const channels = Object.fromEntries(
  Object.entries(PROCONNECT_CHANNELS).map(([name, id]) => [name, diagnostics_channel.channel(id)]),
) as Record<Name, diagnostics_channel.Channel>;

/** Publishes what `build` makes, only when someone listens: the hot paths build nothing otherwise. */
export function publish<N extends Name>(name: N, build: () => Payloads[N]): void {
  const channel = channels[name];
  if (channel.hasSubscribers) channel.publish(build());
}

/** How far a login has gone, which the callback's steps update: a failure's event says where it was. */
export interface LoginProgress {
  step: LoginStep;
  /** Set once ProConnect has vouched for the person (the id_token verified). */
  sub?: string | undefined;
  idp_id?: string | undefined;
}

/** An error's code and status for an event: `unexpected` (500) when it is not a `ProConnectError`. */
export function errorCodeOf(error: unknown): {
  code: ProConnectErrorCode | "unexpected";
  status: number;
} {
  return error instanceof ProConnectError
    ? { code: error.code, status: error.status }
    : { code: "unexpected", status: 500 };
}
