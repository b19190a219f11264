import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

let clone: string;
let files: string[];

/**
 * The package as `npm pack` makes it from a fresh clone: the repository's files (tracked, or new and
 * not ignored) copied without dist/, node_modules linked, then `npm pack --dry-run --json`, which runs
 * `prepack` (the build) in the copy, never touching this checkout's dist/.
 */
beforeAll(async () => {
  clone = await mkdtemp(join(tmpdir(), "proconnect-pack-"));
  const { stdout } = await run(
    "git",
    ["ls-files", "--cached", "--others", "--exclude-standard", "-z"],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const paths = stdout.split("\0").filter((path) => path !== "" && !path.startsWith("dist/"));
  await Promise.all(
    paths.map(async (path) => {
      await mkdir(dirname(join(clone, path)), { recursive: true });
      // A file deleted from the work tree but still tracked is not in a fresh commit either.
      await cp(join(root, path), join(clone, path)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }),
  );
  await symlink(join(root, "node_modules"), join(clone, "node_modules"), "dir");
  const packed = await run(npm, ["pack", "--dry-run", "--json"], {
    cwd: clone,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [report] = JSON.parse(packed.stdout) as [{ files: { path: string }[] }];
  files = report.files.map((file) => file.path).sort();
}, 120_000);

afterAll(async () => {
  if (clone) await rm(clone, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("prepack builds it: the entry points, their types and the bin are there", async () => {
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(manifest.scripts.prepack).toBe("npm run build");
    for (const path of [
      "package.json",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
      "dist/lib/index.js",
      "dist/lib/index.d.ts",
      "dist/lib/testing/index.js",
      "dist/lib/testing/index.d.ts",
      "dist/cli/main.js",
    ]) {
      expect(files, path).toContain(path);
    }
    expect(files).toContain(posix.normalize(manifest.bin["proconnect-express"] ?? ""));
  });

  it("ships nothing of the tests, the bench or the example app, and no TypeScript source", () => {
    const unwanted = files.filter(
      (path) =>
        /^(test|bench|example-app|lib|cli)\//.test(path) ||
        (path.endsWith(".ts") && !path.endsWith(".d.ts")) ||
        path.endsWith(".map"),
    );
    expect(unwanted).toEqual([]);
  });

  it("ships every file the README and docs/ link to, so that their relative links work", async () => {
    const broken: string[] = [];
    for (const page of files.filter((path) => path.endsWith(".md"))) {
      const text = await readFile(join(clone, page), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (target === undefined || /^[a-z]+:/i.test(target)) continue;
        const path = posix.normalize(posix.join(posix.dirname(page), target));
        if (!files.includes(path)) broken.push(`${page} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
