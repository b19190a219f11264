/**
 * The environment variables that set `proconnect()` options, and the option each one sets: the names the
 * README's quick start uses, read by the `proconnect-express` command (`sp-config`, `doctor`).
 */
export const ENV_VARIABLES = {
  clientId: "PROCONNECT_CLIENT_ID",
  clientSecret: "PROCONNECT_CLIENT_SECRET",
  baseUrl: "PROCONNECT_BASE_URL",
  environment: "PROCONNECT_ENVIRONMENT",
  network: "PROCONNECT_NETWORK",
  issuer: "PROCONNECT_ISSUER",
} as const;
