import connectPgSimple from "connect-pg-simple";
import session from "express-session";
import pg from "pg";
import { boundedStore } from "proconnect-express";

/**
 * express-session's store on PostgreSQL (connect-pg-simple), every call bounded: an outage answers 503
 * `session_store_unavailable` within 3 s, never a hang or a crash, and the app recovers on its own.
 */
export function postgresSessionStore(connectionString: string, tableName = "session") {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 3000, // a new connection to a PostgreSQL that does not answer
    query_timeout: 3000, // a query that never comes back
  });
  // Required: without it, an idle connection that breaks (PostgreSQL stopped, restarted or out of
  // reach) emits an "error" nobody listens to, and Node.js ends the whole process.
  pool.on("error", (error) => console.error(`PostgreSQL session pool: ${error.message}`));
  const PgStore = connectPgSimple(session);
  const store = new PgStore({ pool, tableName, createTableIfMissing: true });
  return {
    store: boundedStore(store, { timeout: 3000 }),
    pool,
    /** At shutdown: stops the pruning of expired sessions, then the pool. */
    close: async () => {
      store.close();
      await pool.end();
    },
  };
}
