// Sections 2 and 3: complete logins driven by TestBrowser (cookies kept, redirects followed, the
// emulator's login page filled in), from the relying party's first request to the page showing the user.
import { performance } from "node:perf_hooks";
import { TestBrowser } from "../lib/testing/index.js";
import type { RpName } from "./relying-parties.js";

export const EMAIL = "test@fia1.fr";

/** Where each relying party starts a login, and the page it ends on. */
const START: Record<RpName, { path: string; method: "GET" | "POST"; end: string }> = {
  proconnect: { path: "/login?returnTo=/me", method: "GET", end: "/me" },
  official: { path: "/login-with-303", method: "POST", end: "/" },
  eoc: { path: "/login", method: "GET", end: "/" },
};

export interface LoginResult {
  ok: boolean;
  browser: TestBrowser;
  detail: string;
}

/** One login by a new browser: ok when it ends on the app's page with the user's e-mail on it. */
export async function login(rp: RpName, baseUrl: string): Promise<LoginResult> {
  const browser = new TestBrowser();
  const start = START[rp];
  const page = await browser.navigate(`${baseUrl}${start.path}`, {
    method: start.method,
    email: EMAIL,
  });
  const ok =
    page.status === 200 &&
    page.url.origin === baseUrl &&
    page.url.pathname === start.end &&
    page.body.includes(`"${EMAIL}"`);
  const detail = `HTTP ${page.status} at ${page.url.href}: ${page.body.replace(/\s+/g, " ").slice(0, 160)}`;
  return { ok, browser, detail };
}

/**
 * One login at a time, taking turns (a, b, c, then b, c, a…) for `seconds`: each relying party's logins
 * run under the same conditions, however the machine's load drifts. Returns each one's login durations.
 */
export async function takeTurns(
  rps: readonly RpName[],
  urlOf: (rp: RpName) => string,
  seconds: number,
): Promise<Record<RpName, number[]>> {
  const durations = Object.fromEntries(rps.map((rp) => [rp, [] as number[]])) as Record<
    RpName,
    number[]
  >;
  const deadline = performance.now() + seconds * 1000;
  for (let turn = 0; performance.now() < deadline; turn++) {
    for (const rp of rotate(rps, turn)) {
      const started = performance.now();
      const result = await login(rp, urlOf(rp));
      if (!result.ok) throw new Error(`${rp}: a login failed: ${result.detail}`);
      durations[rp].push(performance.now() - started);
    }
  }
  return durations;
}

/** `list` rotated left by `by`: [a, b, c] by 1 is [b, c, a]. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

export interface Batch {
  logins: number;
  failures: string[];
  seconds: number;
}

/**
 * Logins by `concurrency` browsers at once for `seconds` (no new login starts after that; the ones under
 * way finish and count), or exactly `count` logins when given.
 */
export async function runLogins(
  rp: RpName,
  baseUrl: string,
  concurrency: number,
  limit: { seconds: number } | { count: number },
): Promise<Batch> {
  const started = performance.now();
  const deadline = "seconds" in limit ? started + limit.seconds * 1000 : Infinity;
  const count = "count" in limit ? limit.count : Infinity;
  let begun = 0;
  let logins = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (begun < count && performance.now() < deadline) {
      begun++;
      try {
        const result = await login(rp, baseUrl);
        if (result.ok) logins++;
        else failures.push(result.detail);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { logins, failures, seconds: (performance.now() - started) / 1000 };
}
