const PROBE_ORIGIN = "http://return-to.invalid";

/**
 * `returnTo` is accepted only as a same-origin relative path: anything that could leave the app
 * (`//evil`, `/\evil`, `https://…`, control characters) gives `undefined`.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 2048) return undefined;
  // Browsers strip tabs and newlines from URLs and treat \ as /, so "/\t/evil" would leave the app.
  if (!value.startsWith("/") || value.startsWith("//") || hasControlOrBackslash(value)) {
    return undefined;
  }
  const url = new URL(value, PROBE_ORIGIN);
  if (url.origin !== PROBE_ORIGIN) return undefined;
  // Checked on the normalized form too: dot segments ("/..//evil", "/a/%2e%2e//evil") resolve to a
  // path starting with "//", which a browser would read as another host.
  if (url.pathname.startsWith("//")) return undefined;
  return url.pathname + url.search + url.hash;
}

function hasControlOrBackslash(value: string): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === "\\" || code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
