// The lock that makes a refresh across instances spend a refresh token once. express-session's store
// contract has no atomic "set if absent", so the lock is the app's: one function, usually on the Redis
// that holds the sessions, with redisRefreshLock() for the common clients.
import { randomUUID } from "node:crypto";

/**
 * A lock shared by every instance of the app, taken around the refresh of one session's tokens so that
 * ProConnect sees its refresh token once: `key` names the session (a hash of its id, never the id),
 * `ttlMs` is how long the lock may live if its holder dies (the time of one refresh: `httpTimeout` plus
 * three `sessionTimeout`). Resolves to a function that gives the lock back, or `undefined` when another
 * instance holds it (the refresh then waits for that instance's pair in the store). A rejection, or no
 * answer within `sessionTimeout`, fails the refresh with `session_store_unavailable`.
 *
 * @example
 * // Redis (SET NX PX, then a compare-and-delete), or your own on another shared store:
 * proconnect({ ..., storeTokens: true, refreshLock: redisRefreshLock(redisClient) });
 */
export type RefreshLock = (
  key: string,
  ttlMs: number,
) => Promise<(() => Promise<void>) | undefined>;

/**
 * What {@link redisRefreshLock} needs of a Redis client: node-redis 4 and later (`sendCommand`) or
 * ioredis (`call`, a `Redis` or a `Cluster`).
 */
export type RedisLockClient =
  | { call(command: string, ...args: (string | number)[]): Promise<unknown> }
  | { sendCommand(args: string[]): Promise<unknown> };

/** Options of {@link redisRefreshLock}. */
export interface RedisRefreshLockOptions {
  /** Put before each lock's key, e.g. the sessions' own prefix. Default `"proconnect-lock:"`. */
  prefix?: string;
}

// Deletes the lock only while it is still this holder's: one whose time ran out may be another's now.
const RELEASE =
  'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0';

/**
 * A {@link RefreshLock} on Redis: `SET key token NX PX ttl` takes it, a script that deletes the key only
 * while it holds this holder's token gives it back. Give it the client connect-redis uses (or any client
 * of the same Redis: node-redis 5+, or ioredis); every instance of the app must use the same Redis.
 *
 * @example
 * import { RedisStore } from "connect-redis";
 * import { boundedStore, proconnect, redisRefreshLock } from "proconnect-express";
 *
 * // redis: a node-redis client set up as docs/production.md shows ("error" listener, disableOfflineQueue)
 * app.use(session({ store: boundedStore(new RedisStore({ client: redis })), ... }));
 * app.use(proconnect({ ..., storeTokens: true, refreshLock: redisRefreshLock(redis) }));
 */
export function redisRefreshLock(
  client: RedisLockClient,
  options: RedisRefreshLockOptions = {},
): RefreshLock {
  const prefix = options.prefix ?? "proconnect-lock:";
  const send =
    "call" in client && typeof client.call === "function"
      ? ([command = "", ...args]: string[]) => client.call(command, ...args)
      : "sendCommand" in client && typeof client.sendCommand === "function"
        ? (args: string[]) => client.sendCommand(args)
        : undefined;
  if (send === undefined) {
    throw new TypeError(
      "redisRefreshLock(client): give it a node-redis client (createClient() from redis) or an ioredis client",
    );
  }
  return async (key, ttlMs) => {
    const name = `${prefix}${key}`;
    const token = randomUUID();
    const taken = await send([
      "SET",
      name,
      token,
      "NX",
      "PX",
      String(Math.max(1, Math.ceil(ttlMs))),
    ]);
    if (taken !== "OK") return undefined;
    return async () => {
      await send(["EVAL", RELEASE, "1", name, token]);
    };
  };
}
