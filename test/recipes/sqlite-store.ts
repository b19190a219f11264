import { DatabaseSync, type StatementSync } from "node:sqlite";
import session from "express-session";

type Callback = (error?: unknown) => void;

/**
 * express-session's store in a SQLite file, with Node.js's own `node:sqlite` (Node.js 22.13 or later):
 * the sessions of an app on one machine outlive its restarts, without Redis or a database server.
 */
export class SqliteSessionStore extends session.Store {
  readonly #db: DatabaseSync;
  readonly #sweeper: NodeJS.Timeout;
  readonly #get: StatementSync;
  readonly #set: StatementSync;
  readonly #touch: StatementSync;
  readonly #destroy: StatementSync;

  constructor(file: string, { sweepSeconds = 600 } = {}) {
    super();
    this.#db = new DatabaseSync(file);
    // WAL: readers never wait for the writer; busy_timeout: a write waits for another at most 3 s.
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 3000;
      CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL)`);
    // Prepared once: each request then runs them.
    this.#get = this.#db.prepare("SELECT data FROM sessions WHERE sid = ? AND expires > ?");
    this.#set = this.#db.prepare(
      "INSERT OR REPLACE INTO sessions (sid, data, expires) VALUES (?, ?, ?)",
    );
    this.#touch = this.#db.prepare("UPDATE sessions SET expires = ? WHERE sid = ?");
    this.#destroy = this.#db.prepare("DELETE FROM sessions WHERE sid = ?");
    // Expired sessions are never read again (get() checks), and removed now and then.
    const sweep = this.#db.prepare("DELETE FROM sessions WHERE expires <= ?");
    this.#sweeper = setInterval(() => sweep.run(Date.now()), sweepSeconds * 1000).unref();
  }

  override get(
    sid: string,
    callback: (error?: unknown, data?: session.SessionData | null) => void,
  ): void {
    this.#answer(callback, () => {
      const row = this.#get.get(sid, Date.now()) as { data: string } | undefined;
      return row ? (JSON.parse(row.data) as session.SessionData) : null;
    });
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#answer(callback, () => {
      this.#set.run(sid, JSON.stringify(data), expiresOf(data));
    });
  }

  override touch(sid: string, data: session.SessionData, callback?: () => void): void {
    this.#answer(callback, () => {
      this.#touch.run(expiresOf(data), sid);
    });
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#answer(callback, () => {
      this.#destroy.run(sid);
    });
  }

  /** At shutdown. */
  close(): void {
    clearInterval(this.#sweeper);
    this.#db.close();
  }

  // node:sqlite answers synchronously; express-session expects its callbacks later, as from a server.
  #answer<T>(callback: ((error?: unknown, value?: T) => void) | undefined, work: () => T): void {
    let value: T;
    try {
      value = work();
    } catch (error) {
      setImmediate(() => callback?.(error));
      return;
    }
    setImmediate(() => callback?.(undefined, value));
  }
}

/** When a session ends: its cookie's expiry, or a day for a browser-session cookie. */
function expiresOf(data: session.SessionData): number {
  const expires = data.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + 24 * 3600 * 1000;
}
