/**
 * The `roles` values ProConnect computes from the SIRET's organisation (`identity-for-sp.dto.ts` of
 * ProConnect's server): `agent_public` for anyone working for a public-sector organisation, with
 * `agent_public_etat` or `agent_public_territorial` for the State and local authorities. On the RIE,
 * ProConnect always sends `["agent_public"]`. More values may come: compare with `includes`.
 *
 * @example
 * proconnect({ ...options, scopes: [...DEFAULT_SCOPES, "roles"], onLogin: onlyPublicAgents });
 */
export const PROCONNECT_ROLES = Object.freeze([
  "agent_public",
  "agent_public_etat",
  "agent_public_territorial",
  "agent_public_hospitalier",
  "agent_public_L100-3",
  "dirigeant",
] as const);
