import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import { MemoryStore } from "express-session";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestBrowser, type Page, type ProConnectEmulator } from "../../lib/testing/index.js";
import { startTestApp, storedSessions, type TestApp } from "../helpers/app.js";
import { startTestEmulator } from "../helpers/emulator.js";

/*
 * Load check: hundreds of complete journeys (login through the emulator's page → callback → a protected
 * JSON route → POST /logout → end_session → /logout/callback → anonymous again), 16 at a time, against a
 * real emulator and a real app with a real express-session MemoryStore. Not a benchmark: no timing is
 * asserted, only that every journey succeeds and that memory settles.
 */

const EMAIL = "test@fia1.fr";
const CONCURRENCY = 16;
// Enough for V8 to have compiled most of the hot paths before the heap is first measured.
const WARM_UP_JOURNEYS = 128;
const JOURNEYS = 400;
/*
 * Heap growth allowed over the main batch, measured after forced collections. Measured here (heap
 * snapshots diffed before and after a batch) what legitimately stays is: code V8 still optimises after
 * the warm-up (~1.5 to 2 MB, most of the growth, shrinking with a longer warm-up), ~450 bytes per journey
 * for the empty session express-session saves after each logout's regenerate() (MemoryStore never
 * expires it: no maxAge), and ~300 bytes per journey for the emulator's request counter, keyed by path
 * and so by interaction uid. That is ~2 MB for 400 journeys here. A leak of what a journey handles (a
 * TestBrowser, a response, a socket, a pending promise chain: tens of KB) would be 5 to 20+ MB. 6 MB
 * (~15 KB per journey) leaves a safe margin over the noise and still catches a leak of anything
 * request-sized; a leaked signed-in session (~2 KB) is caught by the store check below instead.
 */
const HEAP_GROWTH_LIMIT = 6 * 1024 * 1024;

let emulator: ProConnectEmulator;
let app: TestApp;
const store = new MemoryStore();

beforeAll(async () => {
  emulator = await startTestEmulator(); // strict: ProConnect's documented rules
  app = await startTestApp(emulator, { store });
});

afterAll(async () => {
  await app?.close();
  await emulator?.close();
});

/** A step of a journey that did not answer as expected. */
class StepFailure extends Error {}

function check(condition: boolean, step: string, what: string, page?: Page | Response): void {
  if (condition) return;
  const seen =
    page === undefined
      ? ""
      : ` (got HTTP ${page.status} at ${page.url.toString()}${
          "location" in page && page.location ? ` → ${page.location.href}` : ""
        })`;
  throw new StepFailure(`${step}: ${what}${seen}`);
}

const snippet = (text: string) => text.replace(/\s+/g, " ").slice(0, 200);

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** One complete journey by a fresh browser; throws a StepFailure naming the step that went wrong. */
async function journey(): Promise<void> {
  const browser = new TestBrowser();
  const atApp = (path: string) => (url: URL) => url.origin === app.url && url.pathname === path;

  // 1. /login → the emulator's authorize → its login page, filled in → back towards the app's callback.
  const login = await browser.navigate(`${app.url}/login?returnTo=/me`, {
    email: EMAIL,
    stopAt: atApp("/callback"),
  });
  const callback = login.location;
  check(
    login.status === 303 && callback !== undefined,
    "login",
    "expected a 303 to /callback",
    login,
  );
  check(
    Boolean(callback!.searchParams.get("code") && callback!.searchParams.get("state")),
    "login",
    `expected a code and a state in ${callback!.href}`,
  );

  // 2. The callback: code exchanged, id_token and userinfo verified, then sent to returnTo.
  const afterCallback = await browser.navigate(callback!, { stopAt: atApp("/me") });
  check(
    afterCallback.status === 303 && afterCallback.location !== undefined,
    "callback",
    `expected a 303 to /me, body: ${snippet(afterCallback.body)}`,
    afterCallback,
  );

  // 3. The protected JSON route.
  const me = await browser.fetch(`${app.url}/me`, { headers: { accept: "application/json" } });
  const meBody = await me.text();
  check(me.status === 200, "GET /me signed in", `expected 200, body: ${snippet(meBody)}`, me);
  const user = parseJson(meBody);
  check(
    user?.email === EMAIL && user.siret === "13002526500013",
    "GET /me signed in",
    `expected ${EMAIL}'s user, got ${snippet(meBody)}`,
  );

  // 4. POST /logout: out of the app at once, then off to ProConnect's end_session.
  const logout = await browser.navigate(`${app.url}/logout`, {
    method: "POST",
    stopAt: (url) => url.origin === emulator.url,
  });
  const endSession = logout.location;
  check(
    logout.status === 303 && endSession?.pathname === "/api/v2/session/end",
    "POST /logout",
    "expected a 303 to end_session",
    logout,
  );
  const logoutState = endSession!.searchParams.get("state");

  // 5. end_session: the emulator's logout page, submitted, then back to the post-logout URI.
  const ended = await browser.navigate(endSession!, { stopAt: atApp("/logout/callback") });
  const logoutCallback = ended.location;
  check(
    logoutCallback !== undefined && [302, 303].includes(ended.status),
    "end_session",
    `expected a redirect to /logout/callback, body: ${snippet(ended.body)}`,
    ended,
  );
  check(
    logoutCallback!.searchParams.get("state") === logoutState,
    "end_session",
    `expected the logout's state back in ${logoutCallback!.href}`,
  );

  // 6. /logout/callback: session cleared, then home, anonymous.
  const home = await browser.navigate(logoutCallback!);
  check(
    home.status === 200 && home.url.href === `${app.url}/`,
    "logout callback",
    `expected 200 at /, body: ${snippet(home.body)}`,
    home,
  );
  check(
    home.body === JSON.stringify({ page: "home", user: null }),
    "logout callback",
    `expected an anonymous home page, got ${snippet(home.body)}`,
  );

  // 7. Anonymous again: the protected route refuses.
  const after = await browser.fetch(`${app.url}/me`, { headers: { accept: "application/json" } });
  const afterBody = await after.text();
  check(
    after.status === 401 && parseJson(afterBody)?.error === "unauthenticated",
    "GET /me signed out",
    `expected 401 unauthenticated, body: ${snippet(afterBody)}`,
    after,
  );
}

interface Batch {
  durations: number[];
  failures: string[];
  seconds: number;
}

/** `count` journeys, `CONCURRENCY` at a time; every failure is kept with its journey number. */
async function runBatch(count: number): Promise<Batch> {
  const durations: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const number = ++next;
      const start = performance.now();
      try {
        await journey();
        durations.push(performance.now() - start);
      } catch (error) {
        const detail = error instanceof StepFailure ? error.message : String(error);
        failures.push(`journey ${number}: ${detail}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { durations, failures, seconds: (performance.now() - started) / 1000 };
}

/** heapUsed once collections have settled (a few rounds: finalizers and weak callbacks run in between). */
async function settledHeap(): Promise<number> {
  const collect = globalThis.gc;
  if (!collect) throw new Error("run with --expose-gc (npm run test:load does)");
  for (let round = 0; round < 4; round++) {
    await nextTurn();
    collect();
  }
  return process.memoryUsage().heapUsed;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

function failureReport(label: string, batch: Batch): string {
  const shown = batch.failures.slice(0, 10).join("\n  ");
  const more = batch.failures.length > 10 ? `\n  … and ${batch.failures.length - 10} more` : "";
  return `${batch.failures.length} of the ${label} journeys failed:\n  ${shown}${more}`;
}

it(`runs ${JOURNEYS} complete journeys, ${CONCURRENCY} at a time, without failure or a growing heap`, async () => {
  const warmUp = await runBatch(WARM_UP_JOURNEYS);
  if (warmUp.failures.length > 0) throw new Error(failureReport("warm-up", warmUp));

  const sessionsBefore = Object.keys(await storedSessions(store)).length;
  const heapBefore = await settledHeap();
  const main = await runBatch(JOURNEYS);
  const heapAfter = await settledHeap();
  if (main.failures.length > 0) throw new Error(failureReport("main", main));

  const sessions = Object.values(await storedSessions(store));
  const sorted = [...main.durations].sort((a, b) => a - b);
  const growth = heapAfter - heapBefore;
  console.log(
    [
      `load check: ${JOURNEYS} journeys (after ${WARM_UP_JOURNEYS} of warm-up), ${CONCURRENCY} at a time`,
      `  ${(JOURNEYS / main.seconds).toFixed(1)} journeys/s over ${main.seconds.toFixed(1)} s`,
      `  journey latency p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
      `  heapUsed after GC: before ${mb(heapBefore)}, after ${mb(heapAfter)}, growth ${mb(growth)}, ${(growth / JOURNEYS / 1024).toFixed(1)} KB per journey (limit ${mb(HEAP_GROWTH_LIMIT)})`,
      `  session store: ${sessionsBefore} sessions before the main batch, ${sessions.length} after`,
      `  emulator store: ${JSON.stringify(emulator.storeSize())}`,
    ].join("\n"),
  );

  // Every logout went through /logout/callback, which destroys the session: nothing is left behind.
  expect(sessions).toEqual([]);
  expect(growth).toBeLessThan(HEAP_GROWTH_LIMIT);
});
