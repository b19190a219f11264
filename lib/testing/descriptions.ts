/**
 * oidc-provider 9's error descriptions that ProConnect's server, on oidc-provider 7.14.3, words
 * otherwise: its service providers see these.
 */
const SERVER_DESCRIPTIONS: ReadonlyMap<string, string> = new Map([
  [
    "code_challenge_method must be provided",
    "plain code_challenge_method fallback disabled, code_challenge_method must be provided",
  ],
]);

/** `description` as ProConnect's server words it. */
export function serverDescription(description: string): string {
  return SERVER_DESCRIPTIONS.get(description) ?? description;
}
