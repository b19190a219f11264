// A refresh brings the request's copy of the session up to date with the store's before writing it:
// express-session writes a request's whole copy, which would undo what other requests (of this instance
// or another) wrote since this one loaded it. To keep what the request wrote itself, the copy it loaded
// is remembered, only when a refresh may come.
import type { Request } from "express";
import { shared } from "./shared-state.js";

type Session = Record<string, unknown>;

/**
 * Each remembered request's session as proconnect() saw it: key → JSON of its value. Shared by both
 * builds of the package (the proconnect() of one, the getAccessToken() of the other).
 */
const loaded = shared(
  "loaded sessions",
  () => new WeakMap<Request, Map<string, string | undefined>>(),
);

/** Time a request may take from proconnect() to its getAccessToken(), for {@link refreshDue}. */
const MARGIN_SECONDS = 30;

/** Whether a token that ends at `expiresAt` may be refreshed in this request (`window`: seconds before). */
export function refreshDue(expiresAt: number, window: number): boolean {
  return expiresAt - Date.now() / 1000 <= window + MARGIN_SECONDS;
}

/** Remembers the request's session as it is now (once per request: the first instance's call wins). */
export function rememberLoaded(req: Request): void {
  if (loaded.has(req) || req.session === undefined) return;
  const values = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(req.session)) values.set(key, JSON.stringify(value));
  loaded.set(req, values);
}

/**
 * Brings the request's session up to date with `stored` (the store's newer copy), in place. A key the
 * request has changed since proconnect() saw it keeps the request's value; any other takes the stored one
 * (or goes, when the store has none). Without a record of what the request loaded (proconnect() did not
 * see it, or no refresh was due then), the request's own values are kept and only the keys it lacks are
 * added. `cookie` and `skip` are left as they are: the caller sets them.
 */
export function mergeStored(req: Request, stored: Session, skip: string): void {
  const session = req.session as unknown as Session;
  const before = loaded.get(req);
  const keys = new Set([...Object.keys(session), ...Object.keys(stored)]);
  for (const key of keys) {
    // A store's JSON may hold "__proto__" as a key: never assigned, it would replace the prototype.
    if (key === "cookie" || key === skip || key === "__proto__") continue;
    const own = Object.hasOwn(session, key);
    const changed = before === undefined ? own : JSON.stringify(session[key]) !== before.get(key);
    if (changed) continue;
    if (Object.hasOwn(stored, key)) session[key] = stored[key];
    else Reflect.deleteProperty(session, key);
  }
}
