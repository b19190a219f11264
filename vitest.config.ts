import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // The example app imports the package by name, as users do: run it on the source, like tsconfig's paths.
    alias: [
      { find: /^proconnect-express$/, replacement: source("./lib/index.ts") },
      { find: /^proconnect-express\/testing$/, replacement: source("./lib/testing/index.ts") },
      // EXPRESS_SESSION=oldest: the library and the tests on the oldest express-session of the peer
      // range (the alias express-session-oldest), as .ci/run does for the session suites.
      ...(process.env.EXPRESS_SESSION === "oldest"
        ? [{ find: /^express-session(?=$|\/)/, replacement: "express-session-oldest" }]
        : []),
      // NESTJS_DIR=<dir>: the NestJS tests on the Nest installed there (.ci/run's Nest 11, beside the
      // devDependencies' 12), Nest's own imports resolving in that tree.
      ...(process.env.NESTJS_DIR
        ? [
            {
              find: /^(@nestjs\/(?:common|core|platform-express)|reflect-metadata)(?=$|\/)/,
              replacement: `${process.env.NESTJS_DIR}/node_modules/$1`,
            },
          ]
        : []),
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Two files at a time even on 2 cores (vitest's default there is one): most files spend their time
    // waiting (tokens that expire, child processes, npm installs, a browser), not computing.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The emulator and the apps under test are real servers: give slow, shared machines room.
    testTimeout: 20_000,
    // A file's set-up starts an emulator (oidc-provider loaded, keys made) while other files compile
    // TypeScript apps and install the packed package on the same 2 cores: it once took over 20 s in CI.
    hookTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: ["test/**/*.test-d.ts"],
    },
  },
});
