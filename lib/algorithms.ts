/** The signing algorithms ProConnect offers for the id_token and the userinfo response. */
export const SIGNING_ALGS = ["ES256", "RS256", "HS256"] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
