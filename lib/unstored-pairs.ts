// Token pairs this process got from ProConnect but could not store. ProConnect (oidc-provider) rotates
// a refresh token once 70 % of its lifetime has passed, and answers a rotated one used again by revoking
// the whole grant: after a failed write, the session still holds the spent refresh token, and a retry
// that spent it again would sign the person out. The retry takes the pair kept here instead.
import { createHash } from "node:crypto";
import { ExpiringCache } from "./expiring-cache.js";
import type { ProConnectSessionData } from "./session.js";
import { shared } from "./shared-state.js";

type Tokens = NonNullable<ProConnectSessionData["tokens"]>;

/** How many pairs, and for how long: a store outage's retries, not a second session store. */
const MAX_PAIRS = 1_000;
const KEEP_MS = 10 * 60_000;

/** By the digest of the refresh token each replaces. Shared by both builds. */
const pairs = shared(
  "unstored token pairs",
  () => new ExpiringCache<{ tokens: Tokens; until: number }>(MAX_PAIRS),
);

const keyOf = (refreshToken: string) =>
  createHash("sha256").update(refreshToken).digest("base64url");

/**
 * Keeps `tokens`, which replace `refreshToken` at ProConnect, after the session store refused them.
 *
 * @example
 * keepUnstored(stored.refreshToken, refreshed); // then: throw the store's error
 */
export function keepUnstored(refreshToken: string, tokens: Tokens): void {
  pairs.set(keyOf(refreshToken), { tokens: { ...tokens }, until: Date.now() + KEEP_MS });
}

/**
 * The pair kept for `refreshToken`, if any and not too old.
 *
 * @example
 * const kept = unstoredPair(stored.refreshToken); // a pair to store instead of refreshing again
 */
export function unstoredPair(refreshToken: string): Tokens | undefined {
  const kept = pairs.get(keyOf(refreshToken), Date.now());
  return kept && { ...kept.tokens };
}

/**
 * Forgets the pair of `refreshToken`, once a pair replacing it is stored.
 *
 * @example
 * forgetUnstored(stored.refreshToken);
 */
export function forgetUnstored(refreshToken: string): void {
  pairs.delete(keyOf(refreshToken));
}
