/** ProConnect's environments: integration (tests, shared test accounts) and production. */
export type ProConnectEnvironment = "integration" | "production";
/** The network a service provider is registered on: the Internet or the RIE (the State's private network). */
export type ProConnectNetwork = "internet" | "rie";

/**
 * ProConnect's issuers, per environment and network. Every endpoint lives under `/api/v2`.
 *
 * @example
 * PROCONNECT_ISSUERS.integration.internet; // "https://fca.integ01.dev-agentconnect.fr/api/v2"
 */
export const PROCONNECT_ISSUERS: Readonly<
  Record<ProConnectEnvironment, Readonly<Record<ProConnectNetwork, string>>>
> = Object.freeze({
  integration: Object.freeze({
    internet: "https://fca.integ01.dev-agentconnect.fr/api/v2",
    rie: "https://fca.integ02.agentconnect.rie.gouv.fr/api/v2",
  }),
  production: Object.freeze({
    internet: "https://auth.agentconnect.gouv.fr/api/v2",
    rie: "https://auth.agentconnect.rie.gouv.fr/api/v2",
  }),
});

/**
 * The issuer of ProConnect for an environment and a network.
 *
 * @example
 * proconnectIssuer("production", "rie"); // "https://auth.agentconnect.rie.gouv.fr/api/v2"
 */
export function proconnectIssuer(
  environment: ProConnectEnvironment,
  network: ProConnectNetwork,
): string {
  return PROCONNECT_ISSUERS[environment][network];
}
