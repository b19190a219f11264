import { randomBytes } from "node:crypto";

/** How to run the tests that need PostgreSQL, for the skip message and the REQUIRE_POSTGRES=1 failure. */
export const HOW_TO_RUN_WITH_POSTGRES =
  "install PostgreSQL (apt-get install postgresql), start a server, then run DATABASE_URL=postgres://user@127.0.0.1:5432/db npm test (.ci/postgres.sh starts a throwaway one)";

/**
 * The PostgreSQL the tests that need one use: DATABASE_URL. Without it they are skipped with a message
 * saying how to run them, unless REQUIRE_POSTGRES=1 (set by .ci/run), where they fail saying why.
 */
export function postgresForTests(what: string): { run: boolean; url: () => string } {
  const url = process.env.DATABASE_URL || undefined;
  const run = url !== undefined || process.env.REQUIRE_POSTGRES === "1";
  if (!run) console.warn(`Skipping ${what}: DATABASE_URL is not set; ${HOW_TO_RUN_WITH_POSTGRES}.`);
  return {
    run,
    url: () => {
      if (url === undefined) {
        throw new Error(
          `REQUIRE_POSTGRES=1 but DATABASE_URL is not set, so ${what} cannot run: ${HOW_TO_RUN_WITH_POSTGRES}`,
        );
      }
      return url;
    },
  };
}

/** A table name no other test run uses, so that runs can share one database. */
export const uniqueTable = (name: string) => `${name}_${randomBytes(6).toString("hex")}`;
