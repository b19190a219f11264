import session, { type SessionData, type Store } from "express-session";
import { z } from "zod";
import { ProConnectError } from "./errors.js";
import type { SessionStoreOperation } from "./events.js";
import { parseOptions } from "./options.js";
import { withinDeadline } from "./session.js";

/** The options of {@link boundedStore}. */
export interface BoundedStoreOptions {
  /**
   * Milliseconds each call to the store may take; past it the call fails with a
   * `session_store_unavailable` {@link ProConnectError}. 3000 by default.
   */
  timeout?: number;
}

const schema = z.strictObject({
  timeout: z.number().int().positive().max(60_000).default(3_000),
});

type Callback<T = void> = (error?: unknown, value?: T) => void;

/**
 * Wraps an express-session store so that every call express-session makes to it — the read of each
 * request's session, the write or touch at the end of the response, `destroy`, `regenerate` — ends within
 * `timeout` milliseconds. A store that fails, throws, rejects, or does not answer in time (a frozen Redis, a
 * network partition) then gives a `session_store_unavailable` error (503) that reaches the app's error
 * handler, instead of a request that hangs or the store's own message (which may hold a password). A
 * late answer is ignored.
 *
 * `proconnect()` bounds its own store calls with `sessionTimeout` whatever the store; this bounds the
 * calls express-session makes on every other request too.
 *
 * @example
 * import { RedisStore } from "connect-redis";
 * import { boundedStore } from "proconnect-express";
 *
 * app.use(
 *   session({
 *     store: boundedStore(new RedisStore({ client: redis }), { timeout: 2000 }),
 *     secret: process.env.SESSION_SECRET!,
 *     resave: false,
 *     saveUninitialized: false,
 *   }),
 * );
 */
export function boundedStore(store: Store, options: BoundedStoreOptions = {}): Store {
  const methods = ["get", "set", "destroy"] as const;
  if (
    typeof store !== "object" ||
    store === null ||
    methods.some(
      (name) => typeof (store as unknown as Record<string, unknown>)[name] !== "function",
    )
  ) {
    throw new ProConnectError(
      "invalid_options",
      "boundedStore(store): store must be an express-session store (with get, set and destroy)",
    );
  }
  return new BoundedStore(store, parseOptions(schema, options, "boundedStore()").timeout);
}

class BoundedStore extends session.Store {
  readonly #inner: Store;
  readonly #timeout: number;

  constructor(inner: Store, timeout: number) {
    super();
    this.#inner = inner;
    this.#timeout = timeout;
    // express-session waits for "connect" after a "disconnect" (stores such as connect-mongo say so).
    for (const event of ["connect", "disconnect"]) {
      inner.on?.(event, (...args: unknown[]) => this.emit(event, ...args));
    }
    // Only what the store has: express-session touches a session only when the store can.
    const { touch, all, length, clear } = inner;
    const optional = this as unknown as Record<string, unknown>;
    if (typeof touch === "function") {
      optional.touch = (sid: string, data: SessionData, callback?: Callback) =>
        this.#call("touch", callback, (done) => touch.call(inner, sid, data, done));
    }
    if (typeof all === "function") {
      optional.all = (callback: Callback<unknown>) =>
        this.#call("all", callback, (done) => all.call(inner, done));
    }
    if (typeof length === "function") {
      optional.length = (callback: Callback<number>) =>
        this.#call("length", callback, (done) => length.call(inner, done));
    }
    if (typeof clear === "function") {
      optional.clear = (callback?: Callback) =>
        this.#call("clear", callback, (done) => clear.call(inner, done));
    }
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.#call("get", callback, (done) =>
      // ENOENT means "no such session" to express-session (file stores answer so): not a failure.
      this.#inner.get(sid, (error: unknown, data?: SessionData | null) =>
        (error as { code?: unknown } | undefined)?.code === "ENOENT"
          ? done(null, null)
          : done(error, data),
      ),
    );
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.#call("set", callback, (done) => this.#inner.set(sid, data, done));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#call("destroy", callback, (done) => this.#inner.destroy(sid, done));
  }

  #call<T>(
    operation: SessionStoreOperation,
    callback: Callback<T> | undefined,
    call: (done: Callback<T>) => unknown,
  ) {
    void withinDeadline<T>(operation, this.#timeout, call).then(
      (value) => callback?.(null, value),
      (error: unknown) => callback?.(error),
    );
  }
}
