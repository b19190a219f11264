/** The acr asking ProConnect for a certified company head (*certification dirigeant*). */
export const CERTIFICATION_DIRIGEANT =
  "https://proconnect.gouv.fr/assurance/certification-dirigeant";

/**
 * The acr values ProConnect supports, in the order of its discovery document (`supportedAcrValues` of
 * `back/apps/core-fca-low/src/config/oidc-provider.ts`).
 */
export const ACR_VALUES = [
  "eidas0",
  "eidas0-mfa",
  "eidas1",
  "eidas1-mfa",
  "eidas2",
  "eidas3",
  CERTIFICATION_DIRIGEANT,
] as const;

/** An acr value ProConnect knows. */
export type ProConnectAcr = (typeof ACR_VALUES)[number];

/**
 * The acr values of a multi-factor login, as ProConnect documents asking for MFA
 * (`double_authentification.md`): when the person's identity provider cannot do it, ProConnect sends a
 * one-time code by e-mail and answers `eidas1-mfa`. `requireAuth({ mfa: true })` asks for these.
 */
export const MFA_ACR_VALUES = Object.freeze([
  "eidas0-mfa",
  "eidas1-mfa",
  "eidas2",
  "eidas3",
] as const satisfies readonly ProConnectAcr[]);

/**
 * acr values ProConnect removed in June 2026 (in production on 2026-06-18): asked for as essential,
 * they end in `access_denied`. Refused when given, with this replacement.
 */
export const REMOVED_ACR_VALUES: Readonly<Record<string, string>> = Object.freeze({
  "https://proconnect.gouv.fr/assurance/self-asserted-2fa":
    "removed by ProConnect in June 2026 (logins asking for it get access_denied): ask for MFA with requireAuth({ mfa: true }) (MFA_ACR_VALUES)",
  "https://proconnect.gouv.fr/assurance/consistency-checked-2fa":
    "removed by ProConnect in June 2026 (logins asking for it get access_denied): ask for MFA with requireAuth({ mfa: true }) (MFA_ACR_VALUES)",
});

const KNOWN: ReadonlySet<string> = new Set(ACR_VALUES);

/** Whether `value` is an acr value ProConnect knows. */
export function isProConnectAcr(value: string): value is ProConnectAcr {
  return KNOWN.has(value);
}

/** Why `value` is not an acr value to ask for: the removal note of a removed one, or undefined. */
export function removedAcr(value: string): string | undefined {
  return Object.hasOwn(REMOVED_ACR_VALUES, value) ? REMOVED_ACR_VALUES[value] : undefined;
}
