// The shape ProConnect's server accepts for login_hint: an e-mail address. /login checks it before
// sending, the emulator enforces it as ProConnect does.

/** RFC 5321's limit for an address: also bounds the work done on a hint from an anonymous request. */
const MAX_LENGTH = 254;

/**
 * One `@` with something before it, and a domain with a dot that is neither its first nor its last
 * character; no whitespace. Written without a regular expression over the domain, whose backtracking
 * made a hint of many dots cost quadratic time.
 */
export function isLoginHint(value: string): boolean {
  if (value.length > MAX_LENGTH || /\s/.test(value)) return false;
  const at = value.indexOf("@");
  if (at < 1 || at !== value.lastIndexOf("@")) return false;
  const domain = value.slice(at + 1);
  return domain.length >= 3 && domain.slice(1, -1).includes(".");
}
