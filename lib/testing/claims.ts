import { PROCONNECT_SCOPE_CLAIMS } from "../scopes.js";
import type { EmulatorIdentity } from "./options.js";

/** oidc-provider's `claims` configuration: ProConnect's scopes, and the claims only the id_token carries. */
export const PROCONNECT_CLAIMS = {
  ...PROCONNECT_SCOPE_CLAIMS,
  acr: null,
  amr: null,
  auth_time: null,
  iss: null,
  sid: null,
  // ProConnect's id_token carries acr and auth_time unasked (amr only when the claims parameter asks
  // for it). They come from the login, not the account, so the userinfo never carries them.
  openid: ["sub", "acr", "auth_time"],
};

/** What the FI sends for a person: every ProConnect claim the fixture has. */
export function identityClaims(identity: EmulatorIdentity): Record<string, unknown> {
  const { label: _label, acr: _acr, amr: _amr, ...claims } = identity;
  return claims;
}
