import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // The example app imports the package by name, as users do: run it on the source, like tsconfig's paths.
    alias: [
      { find: /^proconnect-express$/, replacement: source("./lib/index.ts") },
      { find: /^proconnect-express\/testing$/, replacement: source("./lib/testing/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The emulator and the apps under test are real servers: give slow, shared machines room.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    typecheck: {
      enabled: true,
      include: ["test/**/*.test-d.ts"],
    },
  },
});
