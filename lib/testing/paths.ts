/** Where ProConnect serves its OpenID Connect routes: its issuer is `https://…/api/v2`. */
export const PREFIX = "/api/v2";

/** The page of one login in progress (oidc-provider's "interaction"). */
export const interactionPath = (uid: string): string => `${PREFIX}/interaction/${uid}`;
