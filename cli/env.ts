/**
 * The environment variables that set `proconnect()` options, and the option each one sets: read by the
 * example app and by the `proconnect-express` command, named here only.
 */
export const ENV_VARIABLES = {
  clientId: "PROCONNECT_CLIENT_ID",
  clientSecret: "PROCONNECT_CLIENT_SECRET",
  environment: "PROCONNECT_ENVIRONMENT",
  network: "PROCONNECT_NETWORK",
  issuer: "PROCONNECT_ISSUER",
  baseUrl: "APP_BASE_URL",
} as const;
