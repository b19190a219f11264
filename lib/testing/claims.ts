import { PROCONNECT_SCOPE_CLAIMS, PROCONNECT_SCOPES } from "../scopes.js";

/**
 * oidc-provider's `claims` configuration, as ProConnect's server sets it
 * (oidc-provider-config.service.ts): its scopes from the claims table, `amr` as a scope too, and
 * `openid` releasing `sub` only. `acr` is in the id_token only when the client asks for it (with
 * `acr_values` or `claims.id_token.acr`), `amr` when it asks with the claims parameter or the scope.
 */
export const PROCONNECT_CLAIMS = {
  ...PROCONNECT_SCOPE_CLAIMS,
  amr: ["amr"],
  openid: ["sub"],
  acr: null,
  auth_time: null,
  iss: null,
  sid: null,
};

/** The scopes the emulator knows: ProConnect's, and `amr`. */
export const EMULATOR_SCOPES = Object.freeze([...PROCONNECT_SCOPES, "amr"] as const);
