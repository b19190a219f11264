/** ProConnect's scopes and the claims each releases, as its documentation lists them. */
export const PROCONNECT_SCOPE_CLAIMS = Object.freeze({
  openid: ["sub"],
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
} as const);

/** A scope ProConnect knows. */
export type ProConnectScope = keyof typeof PROCONNECT_SCOPE_CLAIMS;

export const PROCONNECT_SCOPES = Object.freeze(
  Object.keys(PROCONNECT_SCOPE_CLAIMS),
) as readonly ProConnectScope[];

/** The signing algorithms ProConnect offers for the id_token and the userinfo response. */
export const SIGNING_ALGS = ["ES256", "RS256", "HS256"] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
