import type { EmulatorIdentity } from "./options.js";

/** ProConnect's scopes and the claims each releases (oidc-provider's `claims` configuration). */
export const PROCONNECT_CLAIMS = {
  // Claims that only the id_token carries.
  acr: null,
  amr: null,
  auth_time: null,
  iss: null,
  sid: null,
  // ProConnect's id_token carries acr and auth_time unasked (amr only when the claims parameter asks
  // for it). They come from the login, not the account, so the userinfo never carries them.
  openid: ["sub", "acr", "auth_time"],
  given_name: ["given_name"],
  usual_name: ["usual_name"],
  email: ["email"],
  uid: ["uid"],
  siret: ["siret"],
  siren: ["siren"],
  organizational_unit: ["organizational_unit"],
  belonging_population: ["belonging_population"],
  phone: ["phone_number"],
  chorusdt: ["chorusdt:matricule", "chorusdt:societe"],
  idp_id: ["idp_id"],
  idp_acr: ["idp_acr"],
  custom: ["custom"],
} as const;

/** What the FI sends for a person: every ProConnect claim the fixture has. */
export function identityClaims(identity: EmulatorIdentity): Record<string, unknown> {
  const { label: _label, acr: _acr, amr: _amr, ...claims } = identity;
  return claims;
}
