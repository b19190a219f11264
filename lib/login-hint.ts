// The shape ProConnect's server accepts for login_hint: an e-mail address. /login checks it before
// sending, the emulator enforces it as ProConnect does.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isLoginHint(value: string): boolean {
  return EMAIL.test(value);
}
