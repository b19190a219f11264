// The package as users get it: the tarball `npm pack` makes, installed into fresh apps (no workspace
// link, no path into this checkout). Shared by the packed suites.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const root = fileURLToPath(new URL("../..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Runs `make` once, on first use; a failure is reported by each test that needs it, not before. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    if (!made) {
      made = make();
      made.catch(() => {});
    }
    return made;
  };
}

/** A directory of its own with the packed tarball in it; `remove()` when done. */
export interface PackedWork {
  dir: string;
  tarball: string;
  remove(): Promise<void>;
}

export async function packed(name: string): Promise<PackedWork> {
  const dir = await mkdtemp(join(tmpdir(), `proconnect-${name}-`));
  // --ignore-scripts: `npm test` has built dist already (pretest); prepack would rebuild it under the
  // feet of the tests running the CLI from dist at the same time.
  const { stdout } = await run(
    npm,
    ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir],
    { cwd: root },
  );
  const tarball = join(dir, stdout.trim().split("\n").at(-1)!);
  return { dir, tarball, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh app under `work`: a package.json of `type`, the tarball and `dependencies` installed. */
export async function freshApp(
  work: PackedWork,
  name: string,
  type: "module" | "commonjs",
  dependencies: string[],
  scripts: Record<string, string> = {},
): Promise<string> {
  const dir = join(work.dir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name, version: "1.0.0", private: true, type, scripts }),
  );
  // --prefer-offline: the cache of this machine's install serves these versions; the registry otherwise.
  await run(
    npm,
    ["install", "--no-audit", "--no-fund", "--prefer-offline", work.tarball, ...dependencies],
    { cwd: dir, timeout: 180_000 },
  );
  return dir;
}

/** `app`'s own tsc, run in `cwd` with `args`; its diagnostics are the error's message. */
export async function tsc(app: string, cwd: string, args: string[]): Promise<void> {
  const bin = join(app, "node_modules", ".bin", "tsc");
  try {
    await run(bin, args, { cwd, timeout: 120_000 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc ${args.join(" ")} failed:\n${stdout}${stderr}`, { cause: error });
  }
}
