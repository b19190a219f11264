// The public surface of `proconnect-express`. Nothing here may load `oidc-provider`: the emulator lives
// behind the `proconnect-express/testing` subpath only.
export { proconnect, type ProConnect } from "./middleware.js";
export { getProConnectUser } from "./current-user.js";
export { requireAuth, type RequireAuthOptions } from "./require-auth.js";
export { boundedStore, type BoundedStoreOptions } from "./bounded-store.js";
export {
  AUTHORIZATION_ERRORS,
  ProConnectError,
  PROCONNECT_ERROR_CODES,
  type ProConnectErrorCode,
} from "./errors.js";
export {
  PROCONNECT_MESSAGES_FR,
  proconnectMessageFr,
  type ProConnectMessage,
} from "./messages-fr.js";
export type {
  ClaimRequest,
  DefaultScopes,
  ProConnectUserFor,
  OnLogin,
  OnLogout,
  ProConnectHookContext,
  ProConnectLogger,
  ProConnectOptions,
  ProConnectRoutes,
  ProConnectUser,
} from "./types.js";
export type { ProConnectSessionData } from "./session.js";
export {
  PROCONNECT_CHANNELS,
  type BearerAcceptEvent,
  type BearerRefuseEvent,
  type LoginFailureEvent,
  type LoginStartEvent,
  type LoginStep,
  type LoginSuccessEvent,
  type LogoutEvent,
  type ProviderEndpoint,
  type ProviderRequestEvent,
  type SessionStoreFailureEvent,
  type SessionStoreOperation,
  type TokenRefreshEvent,
} from "./events.js";
export { auditLog } from "./audit-log.js";
export {
  ACR_VALUES,
  CERTIFICATION_DIRIGEANT,
  MFA_ACR_VALUES,
  REMOVED_ACR_VALUES,
  type ProConnectAcr,
} from "./acr.js";
export { PROCONNECT_ROLES } from "./roles.js";
export {
  DEFAULT_SCOPES,
  PROCONNECT_SCOPES,
  PROCONNECT_SCOPE_CLAIMS,
  type ProConnectScope,
} from "./scopes.js";
export { SIGNING_ALGS, type SigningAlg } from "./algorithms.js";
export {
  PROCONNECT_ISSUERS,
  proconnectIssuer,
  type ProConnectEnvironment,
  type ProConnectNetwork,
} from "./issuers.js";
export { isValidSiret, normalizeSiret } from "./siret.js";
export { getAccessToken, type GetAccessTokenOptions } from "./access-token.js";
export {
  redisRefreshLock,
  type RedisLockClient,
  type RedisRefreshLockOptions,
  type RefreshLock,
} from "./refresh-lock.js";
export { requireBearer, getProConnectToken, type BearerHandler } from "./bearer.js";
export type { BearerCacheOptions, ProConnectToken, RequireBearerOptions } from "./types.js";
