import { RedisStore } from "connect-redis";
import type { Store } from "express-session";
import { boundedStore, redisRefreshLock, type RefreshLock } from "proconnect-express";
import { createClient } from "redis";
import { ConfigError } from "./config.js";

/** Where the example's sessions live in Redis: `proconnect-example:<session id>`. */
export const REDIS_KEY_PREFIX = "proconnect-example:";

/** How long start-up waits for Redis by default, in milliseconds. */
export const REDIS_CONNECT_TIMEOUT_MS = 3000;

/**
 * How long one session read or write may wait for Redis by default, in milliseconds: proconnect()'s own
 * `sessionTimeout` default, so that every request fails alike when Redis is frozen.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;

export interface RedisSessions {
  /** connect-redis's store, each call bounded by {@link boundedStore}. */
  store: Store;
  /** The lock that makes every instance's refresh of a session's tokens one refresh (`refreshLock`). */
  refreshLock: RefreshLock;
  /** REDIS_URL without its password, to print. */
  where: string;
  close(): Promise<void>;
}

/** A URL to print: the password, if any, replaced. */
export function redactRedisUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.href;
}

/** The reason of a connection failure in one line (Node's AggregateError has an empty message). */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(reasonOf).join("; ");
  }
  if (error instanceof Error) {
    return error.message || (error as NodeJS.ErrnoException).code || error.name;
  }
  return String(error);
}

/** What {@link connectWithin} needs of a node-redis client. */
interface Connectable {
  connect(): Promise<unknown>;
  readonly isOpen: boolean;
  destroy(): void;
}

/**
 * Connects `client` within `timeoutMs`, or rejects with the reason and leaves it destroyed: node-redis's
 * connectTimeout bounds only the TCP (and TLS) handshake, not a server that accepts and never answers.
 */
export async function connectWithin(client: Connectable, timeoutMs: number): Promise<void> {
  const connecting = client.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    connecting.catch(() => undefined); // destroy() below rejects it too
    if (client.isOpen) client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects to Redis at `url` and returns a connect-redis store on it, for express-session. Start-up
 * fails fast: a refused connection, an unknown host, a wrong password or no answer within `timeoutMs`
 * rejects with a {@link ConfigError} naming REDIS_URL and the reason, and no reconnection is left
 * running. Once connected, a lost connection is retried in the background; meanwhile session reads
 * and writes fail at once (the app's error page) instead of waiting for Redis. A Redis that accepts
 * commands and never answers them (frozen, or a network partition) fails each session read or write
 * after `commandTimeoutMs` (`session_store_unavailable`, 503).
 */
export async function connectRedisSessions(
  url: string,
  {
    timeoutMs = REDIS_CONNECT_TIMEOUT_MS,
    commandTimeoutMs = REDIS_COMMAND_TIMEOUT_MS,
    logger,
  }: { timeoutMs?: number; commandTimeoutMs?: number; logger: Pick<Console, "warn"> },
): Promise<RedisSessions> {
  const where = redactRedisUrl(url);
  let connected = false;
  const client = createClient({
    url,
    socket: {
      // Only the TCP (and TLS) handshake: a server that accepts and never answers is bounded below.
      connectTimeout: timeoutMs,
      // At start-up one failure is the answer; later, retry with a growing delay (at most 5 s).
      reconnectStrategy: (retries: number) =>
        connected ? Math.min(100 * 2 ** retries, 5000) : false,
    },
    // While disconnected, a command fails at once instead of waiting in a queue.
    disableOfflineQueue: true,
    // No commandOptions.timeout: node-redis drops it once a command is written to the socket, so it
    // cannot bound a Redis that stops answering. boundedStore() below bounds every session call instead.
  });
  // Without a listener, an 'error' event (each failed reconnection) would crash the process.
  client.on("error", (error: unknown) => {
    if (connected) logger.warn(`[redis] ${where}: ${reasonOf(error)}`);
  });

  try {
    await connectWithin(client, timeoutMs);
  } catch (error) {
    throw new ConfigError(
      `REDIS_URL: cannot connect to Redis at ${where} (${reasonOf(error)}). Start Redis or fix REDIS_URL, or unset it to keep sessions in memory (one instance only).`,
    );
  }
  connected = true;

  return {
    // TTL: the session cookie's own expiry (8 hours, or a logout attempt's lifetime for a session that
    // holds nothing else), so Redis reclaims what browsers forget.
    store: boundedStore(new RedisStore({ client, prefix: REDIS_KEY_PREFIX }), {
      timeout: commandTimeoutMs,
    }),
    // Under the sessions' own prefix: proconnect-example:lock:<hash of a session id>.
    refreshLock: redisRefreshLock(client, { prefix: `${REDIS_KEY_PREFIX}lock:` }),
    where,
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}
