// The command as the package ships it: dist/cli/main.js, which `npm test` builds first (pretest). Run
// from source through tsx, each start took twice as long; a stale build would test old code, so it is
// refused.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const CLI_BIN = "dist/cli/main.js";

/** The newest modification time of the .ts files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** Throws, saying what to run, when the built command is missing or older than its sources. */
export function assertBuilt(): void {
  const bin = join(root, CLI_BIN);
  if (!existsSync(bin)) throw new Error(`${CLI_BIN} is missing: run npm run build first`);
  const built = statSync(bin).mtimeMs;
  if (Math.max(newestSource("cli"), newestSource("lib")) > built) {
    throw new Error(`${CLI_BIN} is older than cli/ or lib/: run npm run build first`);
  }
}
