import { CLAIM_LIST, type CLAIMS, type ClaimName } from "./claims.js";

type ScopeOf<C> = C extends { scope: infer S extends string } ? S : never;

/** A scope ProConnect knows. */
export type ProConnectScope = ScopeOf<(typeof CLAIMS)[ClaimName]>;

/** ProConnect's scopes and the claims each releases, as its documentation lists them (from claims.ts). */
export const PROCONNECT_SCOPE_CLAIMS: Readonly<Record<ProConnectScope, readonly ClaimName[]>> =
  Object.freeze(
    CLAIM_LIST.reduce(
      (scopes, { scope, name }) => {
        if (scope !== undefined) (scopes[scope as ProConnectScope] ??= []).push(name);
        return scopes;
      },
      {} as Record<ProConnectScope, ClaimName[]>,
    ),
  );

export const PROCONNECT_SCOPES = Object.freeze(
  Object.keys(PROCONNECT_SCOPE_CLAIMS),
) as readonly ProConnectScope[];

/** Scopes asked for by default: the data ProConnect always provides. */
export const DEFAULT_SCOPES: readonly ProConnectScope[] = Object.freeze([
  "openid",
  "email",
  "given_name",
  "usual_name",
  "uid",
  "siret",
  "idp_id",
]);
