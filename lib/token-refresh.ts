// The work of `getAccessToken()` for one instance: the session's tokens, the single flight, the lock
// across instances, the refresh and the write back. Internal: its declarations name the Context.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Request } from "express";
import type { GetAccessTokenOptions } from "./types.js";
import type { RefreshedTokens } from "./client.js";
import { dataOf, describe, setData, type Context } from "./context.js";
import { ProConnectError } from "./errors.js";
import { errorCodeOf, publish } from "./events.js";
import type { RefreshLock } from "./refresh-lock.js";
import { mergeStored } from "./session-merge.js";
import { shared } from "./shared-state.js";
import { forgetUnstored, keepUnstored, unstoredPair } from "./unstored-pairs.js";
import {
  saveSessionChange,
  sessionOf,
  storedSession,
  withinDeadline,
  type ProConnectSessionData,
} from "./session.js";

const DEFAULT_MIN_VALIDITY = 60;
const MAX_MIN_VALIDITY = 3000;
/** How often a request waiting for another instance's refresh reads the store. */
const POLL_MS = 50;

type Tokens = NonNullable<ProConnectSessionData["tokens"]>;
type Release = () => Promise<void>;
interface Stored {
  session: Record<string, unknown>;
  data: ProConnectSessionData;
}

/**
 * The refreshes under way in this process, by instance and session id: the requests of one session
 * that need one at once share it. An entry lives as long as its refresh; nothing else is kept. Shared by
 * both builds of the package, as the instances are.
 */
const inFlight = shared("refreshes", () => new WeakMap<Context, Map<string, Promise<Tokens>>>());
/** The instances that have said once that they refresh without a lock on a shared store. */
const warned = shared("warned of no refresh lock", () => new WeakSet<Context>());

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
  // From now on proconnect() remembers the sessions whose token is this close to its end (session-merge).
  if (minValidity > context.refreshWindow) context.refreshWindow = minValidity;
  const session = sessionOf(req);
  const data = dataOf(session, context.key);
  if (data?.user === undefined) {
    throw new ProConnectError("unauthenticated", "sign in with ProConnect first");
  }
  const tokens = data.tokens;
  if (tokens === undefined) {
    throw new ProConnectError(
      "reauthentication_required",
      "this session holds no tokens (ProConnect refused its refresh token, or it began before storeTokens: true): sign in again",
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
    await adopt(context, req, refreshed);
    return refreshed.accessToken;
  }
  const flight = refreshOnce(context, req, tokens, minValidity);
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
 * One refresh across every instance of the app. The session as the store holds it now first (another
 * instance may have refreshed already: a refresh token used twice makes ProConnect revoke the whole
 * grant once it rotates them); then the lock (`refreshLock`), read again under it; then the token
 * endpoint and the write. Without the lock, the instance that holds it is waited for: its pair is
 * taken from the store as soon as it is there, or the lock once its holder gave it back or died.
 */
async function refreshOnce(
  context: Context,
  req: Request,
  loaded: Tokens,
  minValidity: number,
): Promise<Tokens> {
  const { sessionTimeout, httpTimeout, refreshLock } = context.options;
  // A lock outlives its holder by this much at most: the token endpoint, and the reads and the write.
  const lockMs = httpTimeout + 3 * sessionTimeout;
  const giveUp = Date.now() + lockMs + sessionTimeout;
  if (refreshLock === undefined) warnWithoutLock(context, req);
  for (;;) {
    const stored = await storedOf(context, req);
    const theirs = newerPair(stored, loaded, minValidity);
    if (theirs) return adopt(context, req, theirs, stored);
    const release =
      refreshLock === undefined ? noRelease : await lock(refreshLock, context, req, lockMs);
    if (release) {
      try {
        // Another instance may have stored its pair between the read above and the lock.
        const held = refreshLock === undefined ? stored : await storedOf(context, req);
        const pair = newerPair(held, loaded, minValidity);
        return pair
          ? await adopt(context, req, pair, held)
          : await refreshWith(context, req, held, loaded, minValidity);
      } finally {
        await giveBack(release, sessionTimeout);
      }
    }
    if (Date.now() > giveUp) {
      throw new ProConnectError(
        "timeout",
        `another instance's refresh of this session's tokens did not end within ${lockMs + sessionTimeout} ms`,
      );
    }
    await sleep(POLL_MS);
  }
}

/**
 * The token endpoint with the freshest refresh token known, then the new pair written. A pair this
 * process got for that refresh token but could not store is taken first (unstored-pairs.ts): spent
 * again, a rotated refresh token ends the grant.
 */
async function refreshWith(
  context: Context,
  req: Request,
  stored: Stored,
  loaded: Tokens,
  minValidity: number,
): Promise<Tokens> {
  const held = stored.data.tokens?.refreshToken ?? loaded.refreshToken;
  if (held === undefined) {
    const error = new ProConnectError(
      "reauthentication_required",
      "the access token has expired and the session holds no refresh token: sign in again",
    );
    publishRefresh(context, req, error);
    throw error;
  }
  const kept = unstoredPair(held);
  const spent = kept?.refreshToken ?? held;
  const next =
    kept && fresh(kept, minValidity)
      ? kept
      : await refreshAt(context, req, spent).catch(async (error: unknown) => {
          if (error instanceof ProConnectError && error.code === "reauthentication_required") {
            await dropRefused(context, req, spent);
          }
          throw error;
        });
  try {
    await writeTokens(context, req, next);
  } catch (error) {
    if (!(error instanceof ProConnectError && error.code === "reauthentication_required")) {
      keepUnstored(held, next);
    }
    throw error;
  }
  forgetUnstored(held);
  return next;
}

/**
 * Takes out of the session the pair whose refresh token ProConnect refused, unless another request has
 * stored a newer one meanwhile: the next call then says `reauthentication_required` without asking
 * ProConnect again. Best effort: a store that fails now leaves the next call to ask, and be refused, again.
 */
async function dropRefused(context: Context, req: Request, refused: string): Promise<void> {
  try {
    const stored = await storedOf(context, req);
    if (stored.data.tokens?.refreshToken !== refused) return;
    mergeStored(req, stored.session, context.key);
    const { tokens: _refused, ...rest } = stored.data;
    await saveSessionChange(req, context.options.sessionTimeout, () =>
      setData(sessionOf(req), context.key, rest),
    );
  } catch {
    // The refusal is what the caller gets, whatever the store does.
  }
}

/** The refresh grant at ProConnect, and its event. */
async function refreshAt(context: Context, req: Request, refreshToken: string): Promise<Tokens> {
  let refreshed: RefreshedTokens;
  try {
    refreshed = await context.provider.refresh(refreshToken);
  } catch (error) {
    publishRefresh(context, req, error);
    throw error;
  }
  publishRefresh(context, req);
  return {
    accessToken: refreshed.accessToken,
    refreshToken: refreshed.refreshToken,
    ...(refreshed.expiresAt === undefined ? {} : { expiresAt: refreshed.expiresAt }),
  };
}

/** The refresh's event: `refused` with the code when `error` is given. */
function publishRefresh(context: Context, req: Request, error?: unknown): void {
  publish("tokenRefresh", () => ({
    instance: context.name,
    sub: dataOf(sessionOf(req), context.key)?.user?.sub ?? "",
    ...(error === undefined
      ? { outcome: "refreshed" as const }
      : { outcome: "refused" as const, code: errorCodeOf(error).code }),
  }));
}

/**
 * Writes `tokens` as the instance's onto the session as the store holds it now (`read`, when the caller
 * has just read it; else read here), not the request's older copy: what other requests wrote meanwhile
 * stays, and so does what this request wrote itself.
 */
async function writeTokens(
  context: Context,
  req: Request,
  tokens: Tokens,
  read?: Stored,
): Promise<void> {
  const stored = read ?? (await storedOf(context, req));
  mergeStored(req, stored.session, context.key);
  await saveSessionChange(req, context.options.sessionTimeout, () =>
    setData(sessionOf(req), context.key, { ...stored.data, tokens: { ...tokens } }),
  );
}

/**
 * Takes the pair another request stored (best effort: a store that fails now leaves the pair in the
 * request's copy only, where a later write of express-session's carries it).
 */
async function adopt(
  context: Context,
  req: Request,
  tokens: Tokens,
  read?: Stored,
): Promise<Tokens> {
  try {
    await writeTokens(context, req, tokens, read);
  } catch (error) {
    if (error instanceof ProConnectError && error.code === "reauthentication_required") throw error;
    const session = sessionOf(req);
    const data = dataOf(session, context.key);
    if (data) setData(session, context.key, { ...data, tokens: { ...tokens } });
  }
  return tokens;
}

/** The session as the store holds it, still this person's sign-in. */
async function storedOf(context: Context, req: Request): Promise<Stored> {
  const session = ((await storedSession(req, context.options.sessionTimeout)) ?? {}) as Record<
    string,
    unknown
  >;
  const data = dataOf(session, context.key);
  if (
    data?.user === undefined ||
    data.user.sub !== dataOf(sessionOf(req), context.key)?.user?.sub
  ) {
    throw new ProConnectError(
      "reauthentication_required",
      "the session was signed out or replaced by another request: sign in again",
    );
  }
  return { session, data };
}

/** The stored pair, when another request stored one since this request loaded its own. */
function newerPair(stored: Stored, loaded: Tokens, minValidity: number): Tokens | undefined {
  const current = stored.data.tokens;
  return current && current.accessToken !== loaded.accessToken && fresh(current, minValidity)
    ? current
    : undefined;
}

const noRelease: Release = () => Promise.resolve();

/** Gives the lock back, waiting `ms` at most: a lock not given back ends with its time anyway. */
async function giveBack(release: Release, ms: number): Promise<void> {
  const waited = new AbortController();
  await Promise.race([
    Promise.resolve()
      .then(release)
      .catch(() => undefined),
    sleep(ms, undefined, { signal: waited.signal }).catch(() => undefined),
  ]);
  waited.abort();
}

/** The app's lock on this session's refresh, within `sessionTimeout`; `undefined` when another holds it. */
async function lock(
  refreshLock: RefreshLock,
  context: Context,
  req: Request,
  lockMs: number,
): Promise<Release | undefined> {
  // The session id is a secret: the lock's name is a hash of it.
  const key = createHash("sha256")
    .update(`${context.key}\0${sessionOf(req).id}`)
    .digest("base64url");
  const taking = Promise.resolve().then(() => refreshLock(key, lockMs));
  try {
    return await withinDeadline<Release | undefined>(
      "lock",
      context.options.sessionTimeout,
      (done) => {
        taking.then(
          (release) => done(undefined, typeof release === "function" ? release : undefined),
          (error: unknown) => done(error ?? new Error("refreshLock rejected")),
        );
      },
    );
  } catch (error) {
    // Taken after the deadline: given back at once, nobody will use it.
    void taking.then((release) => release?.()).catch(() => undefined);
    throw error;
  }
}

function warnWithoutLock(context: Context, req: Request): void {
  if (warned.has(context) || req.sessionStore?.constructor?.name === "MemoryStore") return;
  warned.add(context);
  context.options.logger.warn(
    { instance: context.name },
    `${describe(context)}: getAccessToken() refreshes tokens without refreshLock on a session store that several instances of the app may share: two instances that refresh one session at the same moment spend its refresh token twice, and ProConnect may then end the grant. With Redis, give proconnect() refreshLock: redisRefreshLock(redisClient) (docs/apis.md); an app that runs as one process can ignore this`,
  );
}
