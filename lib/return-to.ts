const PROBE_ORIGIN = "http://return-to.invalid";
/** Characters a `returnTo` may have, as given and once normalized: it travels in the login's cookie. */
const MAX_LENGTH = 2048;

/**
 * `returnTo` is accepted only as a same-origin relative path of at most 2048 characters, as given and
 * once normalized (`é` becomes `%C3%A9`): anything that could leave the app (`//evil`, `/\evil`,
 * `https://…`, control characters) or that would not fit in the login's cookie gives `undefined`.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > MAX_LENGTH) return undefined;
  // Browsers strip tabs and newlines from URLs and treat \ as /, so "/\t/evil" would leave the app.
  if (!value.startsWith("/") || value.startsWith("//") || hasControlOrBackslash(value)) {
    return undefined;
  }
  const url = new URL(value, PROBE_ORIGIN);
  if (url.origin !== PROBE_ORIGIN) return undefined;
  // Checked on the normalized form too: dot segments ("/..//evil", "/a/%2e%2e//evil") resolve to a
  // path starting with "//", which a browser would read as another host.
  if (url.pathname.startsWith("//")) return undefined;
  const normalized = url.pathname + url.search + url.hash;
  return normalized.length > MAX_LENGTH ? undefined : normalized;
}

function hasControlOrBackslash(value: string): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === "\\" || code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
