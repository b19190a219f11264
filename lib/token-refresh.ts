// The work of `getAccessToken()` for one instance: the session's tokens, the single flight, the refresh
// and the write back. Internal: its declarations name the Context.
import type { Request } from "express";
import type { GetAccessTokenOptions } from "./access-token.js";
import type { RefreshedTokens } from "./client.js";
import { dataOf, describe, setData, type Context } from "./context.js";
import { ProConnectError } from "./errors.js";
import {
  adoptStoredChange,
  saveSessionChange,
  sessionOf,
  storedSession,
  type AppSession,
  type ProConnectSessionData,
} from "./session.js";

const DEFAULT_MIN_VALIDITY = 60;
const MAX_MIN_VALIDITY = 3000;

type Tokens = NonNullable<ProConnectSessionData["tokens"]>;

/**
 * The refreshes under way in this process, by instance and session id: the requests of one session
 * that need one at once share it. An entry lives as long as its refresh; nothing else is kept.
 */
const inFlight = new WeakMap<Context, Map<string, Promise<Tokens>>>();

/** `getAccessToken()` for one instance. */
export async function accessTokenFor(
  context: Context,
  req: Request,
  options: GetAccessTokenOptions,
): Promise<string> {
  const minValidity = options.minValidity ?? DEFAULT_MIN_VALIDITY;
  if (!Number.isInteger(minValidity) || minValidity < 0 || minValidity > MAX_MIN_VALIDITY) {
    throw new ProConnectError(
      "invalid_options",
      `getAccessToken(): minValidity must be a whole number of seconds from 0 to ${MAX_MIN_VALIDITY}`,
    );
  }
  if (!context.options.storeTokens) {
    throw new ProConnectError(
      "not_configured",
      `getAccessToken() needs ${describe(context)} with storeTokens: true, which keeps the access and refresh tokens in the session (server-side)`,
    );
  }
  const session = sessionOf(req);
  const data = dataOf(session, context.key);
  if (data?.user === undefined) {
    throw new ProConnectError("unauthenticated", "sign in with ProConnect first");
  }
  const tokens = data.tokens;
  if (tokens === undefined) {
    throw new ProConnectError(
      "reauthentication_required",
      "this session holds no tokens (it began before storeTokens: true): sign in again",
    );
  }
  if (fresh(tokens, minValidity)) return tokens.accessToken;

  let flights = inFlight.get(context);
  if (!flights) inFlight.set(context, (flights = new Map()));
  const id = session.id;
  const shared = flights.get(id);
  if (shared) {
    const refreshed = await shared;
    // This request loaded the session before the refresh was stored: it takes the stored pair, so
    // that nothing it writes later puts the old one back.
    await adoptStoredChange(req, context.options.sessionTimeout, () =>
      withTokens(req, context, refreshed),
    );
    return refreshed.accessToken;
  }
  const flight = refresh(context, req, tokens, minValidity);
  flights.set(id, flight);
  try {
    return (await flight).accessToken;
  } finally {
    flights.delete(id);
  }
}

function fresh(tokens: Tokens, minValidity: number): boolean {
  // No expiry known (ProConnect always sends expires_in): the token is used until an API refuses it.
  if (tokens.expiresAt === undefined) return true;
  return tokens.expiresAt - Math.floor(Date.now() / 1000) > minValidity;
}

/**
 * One refresh: the session as the store holds it now first (another instance, or a request of this
 * process that loaded the session earlier, may have refreshed already: a refresh token used twice
 * makes ProConnect revoke the whole grant once it rotates them), then the token endpoint, then the
 * session written with the new pair.
 */
async function refresh(
  context: Context,
  req: Request,
  loaded: Tokens,
  minValidity: number,
): Promise<Tokens> {
  const { sessionTimeout } = context.options;
  const stored = dataOf(
    (await storedSession(req, sessionTimeout)) as Partial<AppSession> | undefined,
    context.key,
  );
  if (stored?.user?.sub !== dataOf(sessionOf(req), context.key)?.user?.sub) {
    throw new ProConnectError(
      "reauthentication_required",
      "the session was signed out or replaced by another request: sign in again",
    );
  }
  const current = stored?.tokens;
  if (current && current.accessToken !== loaded.accessToken && fresh(current, minValidity)) {
    await adoptStoredChange(req, sessionTimeout, () => withTokens(req, context, current));
    return current;
  }
  const refreshToken = current?.refreshToken ?? loaded.refreshToken;
  if (refreshToken === undefined) {
    throw new ProConnectError(
      "reauthentication_required",
      "the access token has expired and the session holds no refresh token: sign in again",
    );
  }
  const refreshed: RefreshedTokens = await context.provider.refresh(refreshToken);
  const next: Tokens = {
    accessToken: refreshed.accessToken,
    refreshToken: refreshed.refreshToken,
    ...(refreshed.expiresAt === undefined ? {} : { expiresAt: refreshed.expiresAt }),
  };
  await saveSessionChange(req, sessionTimeout, () => withTokens(req, context, next));
  return next;
}

/** The instance's data in the request's session, with `tokens` in place of the previous ones. */
function withTokens(req: Request, context: Context, tokens: Tokens): void {
  const session = sessionOf(req);
  const data = dataOf(session, context.key);
  if (data) setData(session, context.key, { ...data, tokens: { ...tokens } });
}
