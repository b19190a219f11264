import { defineConfig } from "vitest/config";

// `npm run test:load`: the load check, kept out of `npm test` (whose include is test/**/*.test.ts).
export default defineConfig({
  test: {
    include: ["test/load/**/*.load.ts"],
    // A child process started with --expose-gc: the check forces collections to measure settled heaps.
    pool: "forks",
    execArgv: ["--expose-gc"],
    fileParallelism: false,
    // Real servers on a possibly slow, shared machine; the whole run must still end well within 2 min.
    testTimeout: 90_000,
    hookTimeout: 20_000,
  },
});
