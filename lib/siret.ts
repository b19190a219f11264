/** SIRETs of La Poste's establishments start with this SIREN and do not follow the Luhn rule. */
const LA_POSTE_PREFIX = "356000000";

/**
 * Applies ProConnect's SIRET rule: whitespace removed, then exactly 14 digits passing the Luhn check,
 * except La Poste's SIRETs (starting with `356000000`), which are exempt from the check.
 *
 * @returns the normalized SIRET, or `undefined` when it is not a valid SIRET.
 * @example
 * normalizeSiret("130 025 265 00013"); // "13002526500013"
 * normalizeSiret("12345678901234"); // undefined (fails the Luhn check)
 */
export function normalizeSiret(value: string): string | undefined {
  const compact = value.replace(/\s+/g, "");
  if (!/^\d{14}$/.test(compact)) return undefined;
  if (compact.startsWith(LA_POSTE_PREFIX) || passesLuhn(compact)) return compact;
  return undefined;
}

/**
 * Whether `value` is a valid SIRET by ProConnect's rule (see {@link normalizeSiret}).
 *
 * @example
 * isValidSiret("13002526500013"); // true
 */
export function isValidSiret(value: string): boolean {
  return normalizeSiret(value) !== undefined;
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // From the right, every second digit is doubled; 14 digits is even, so that is every even index.
    let digit = Number(digits[i]);
    if ((digits.length - i) % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
