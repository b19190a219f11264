/** The acr asking ProConnect for a certified company head (*certification dirigeant*). */
export const CERTIFICATION_DIRIGEANT =
  "https://proconnect.gouv.fr/assurance/certification-dirigeant";

/** The acr values ProConnect advertises, in the order of its discovery document. */
export const ACR_VALUES = [
  "eidas0",
  "eidas0-mfa",
  "eidas1",
  "eidas1-mfa",
  "eidas2",
  "eidas3",
  CERTIFICATION_DIRIGEANT,
  "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
  "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
] as const;

/** An acr value ProConnect knows. */
export type ProConnectAcr = (typeof ACR_VALUES)[number];

const KNOWN: ReadonlySet<string> = new Set(ACR_VALUES);

/** Whether `value` is an acr value ProConnect knows. */
export function isProConnectAcr(value: string): value is ProConnectAcr {
  return KNOWN.has(value);
}
