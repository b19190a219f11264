import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's chromium package; CHROMIUM_PATH points elsewhere. Never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Whether the browser tests can run. Without chromium they are skipped with a message saying how to
 * install it, unless REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser fails the run.
 * BROWSER_TESTS=skip skips them on purpose (.ci/run's second Node.js, where they would only repeat).
 */
export function chromiumAvailable(): boolean {
  if (process.env.BROWSER_TESTS === "skip") {
    console.warn("Skipping the browser tests: BROWSER_TESTS=skip.");
    return false;
  }
  if (existsSync(CHROMIUM_PATH)) return true;
  const how = `install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;
  if (process.env.REQUIRE_BROWSER === "1") {
    throw new Error(`REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM_PATH}: ${how}`);
  }
  console.warn(`Skipping the browser tests: no browser at ${CHROMIUM_PATH}; ${how}.`);
  return false;
}

/** What chromium runs with here: no sandbox (root in CI), no GPU, none of its calls to Google's servers. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile, and none of its background calls to Google's servers. */
export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), "proconnect-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    locale: "fr-FR",
    viewport: { width: 1280, height: 900 },
    args: ["--headless", ...CHROMIUM_ARGS],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
