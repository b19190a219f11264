import type { Request } from "express";

/**
 * The parameters of the request's query, read from its target as Express routes it: from the first
 * `?` to any `#`. Not `new URL(req.originalUrl, base)`, which throws on the absolute form a client may
 * send to Node directly (`GET http://x:99999/callback?state=…`) where Express still routes the path.
 *
 * @example
 * searchParamsOf(req).getAll("state"); // ["…"] for /callback?state=…
 */
export function searchParamsOf(req: Pick<Request, "originalUrl">): URLSearchParams {
  const url = req.originalUrl;
  const at = url.indexOf("?");
  if (at === -1) return new URLSearchParams();
  const hash = url.indexOf("#", at);
  // From the "?" itself: URLSearchParams drops one leading "?", so that in "??state=…" the name is
  // "?state", as the URL standard reads it.
  return new URLSearchParams(url.slice(at, hash === -1 ? undefined : hash));
}
