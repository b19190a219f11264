import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { connectWithin } from "../../example-app/redis.js";

const newClient = (url: string) =>
  createClient({
    url,
    socket: { connectTimeout: 3000, reconnectStrategy: false },
    disableOfflineQueue: true,
  });

export type TestRedis = ReturnType<typeof newClient>;

/** How to run the tests that need Redis, for the skip message and the REQUIRE_REDIS=1 failure. */
export const HOW_TO_RUN_WITH_REDIS =
  'install Redis (apt-get install redis-server), start it (redis-server --port 6379 --save "" --daemonize yes), then run REDIS_URL=redis://127.0.0.1:6379 npm test';

/** Whether the tests that need Redis run, and on which one. */
export interface RedisForTests {
  /** What the tests are, for the messages. */
  what: string;
  run: boolean;
  /** REDIS_URL; undefined when they run under REQUIRE_REDIS=1 without it (to fail, saying why). */
  url: string | undefined;
}

/**
 * The Redis the tests that need one use: REDIS_URL. Without it they are skipped with a message saying how
 * to run them, unless REQUIRE_REDIS=1 (set by .ci/run), where they run and fail in
 * {@link connectTestRedis}. When REDIS_URL is set they run, and an unreachable Redis fails them.
 */
export function redisForTests(what: string): RedisForTests {
  const url = process.env.REDIS_URL || undefined;
  const run = url !== undefined || process.env.REQUIRE_REDIS === "1";
  if (!run) console.warn(`Skipping ${what}: REDIS_URL is not set; ${HOW_TO_RUN_WITH_REDIS}.`);
  return { what, run, url };
}

/** A client of the tests' own, failing within seconds with a clear message when Redis is unreachable. */
export async function connectTestRedis({ what, url }: RedisForTests): Promise<TestRedis> {
  if (url === undefined) {
    throw new Error(
      `REQUIRE_REDIS=1 but REDIS_URL is not set, so ${what} cannot run: ${HOW_TO_RUN_WITH_REDIS}`,
    );
  }
  const client = newClient(url);
  client.on("error", () => undefined); // connect() rejects with it
  try {
    await connectWithin(client, 3000);
    return client;
  } catch (error) {
    throw new Error(
      `REDIS_URL is set but Redis cannot be reached (${(error as Error).message}), so ${what} cannot run: start it, or unset REDIS_URL to skip them; to start one, ${HOW_TO_RUN_WITH_REDIS}`,
    );
  }
}

/** A key prefix no other test run uses, so that runs can share one Redis. */
export const uniquePrefix = (name: string) =>
  `proconnect-test:${name}:${randomBytes(6).toString("hex")}:`;

/** Every key under `prefix`. */
export async function keysUnder(redis: TestRedis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
    keys.push(...batch);
  }
  return keys;
}

/** Deletes every key under `prefix`. */
export async function deleteKeysUnder(redis: TestRedis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length > 0) await redis.del(keys);
}

/** The session id in an express-session cookie (`s:<id>.<signature>`), from a Cookie header. */
export function sessionIdIn(cookieHeader: string, name: string): string | undefined {
  const value = new RegExp(`(?:^|; )${name}=([^;]+)`).exec(cookieHeader)?.[1];
  return value ? /^s:([^.]+)\./.exec(decodeURIComponent(value))?.[1] : undefined;
}
