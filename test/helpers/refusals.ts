import { expect } from "vitest";
import type { ProConnectUser } from "../../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../../lib/testing/index.js";
import {
  errorOf,
  sessionIdOf,
  startTestApp,
  storedSessions,
  type TestApp,
  type TestAppOptions,
} from "./app.js";

/** Runs `run` with an app of its own (its own options and client), closed afterwards. */
export async function withApp<T>(
  emulator: ProConnectEmulator,
  setup: TestAppOptions,
  run: (app: TestApp) => Promise<T>,
): Promise<T> {
  const other = await startTestApp(emulator, setup);
  try {
    return await run(other);
  } finally {
    await other.close();
  }
}

/** Signs in through the app (login page filled in with `email`) and returns what /me then says. */
export async function signIn(target: TestApp, email: string, browser = new TestBrowser()) {
  const page = await browser.navigate(`${target.url}/login?returnTo=/me`, { email });
  return {
    page,
    browser,
    user: page.status === 200 ? (JSON.parse(page.body) as ProConnectUser) : undefined,
  };
}

/**
 * Nobody is signed in: the app sees no user, and the browser's stored session (if any) holds nothing of
 * proconnect-express's (logins under way live in their own cookies, never in the session).
 */
export async function expectNobodySignedIn(target: TestApp, browser: TestBrowser) {
  const home = await browser.navigate(`${target.url}/`);
  expect(JSON.parse(home.body)).toMatchObject({ user: null });
  const id = sessionIdOf(browser, target);
  const data = id === undefined ? undefined : (await storedSessions(target.store))[id];
  const proconnect = (data?.proconnect ?? {}) as Record<string, unknown>;
  expect(proconnect.user).toBeUndefined();
  expect(proconnect.idToken).toBeUndefined();
  expect(proconnect.tokens).toBeUndefined();
  expect(Object.keys(proconnect)).toEqual([]);
}

/** Signs in as `email`, expects the refusal `code` with `status`, and that nobody is signed in. */
export async function expectRefused(
  target: TestApp,
  email: string,
  code: string,
  status = 502,
): Promise<{ code?: string; message?: string }> {
  const { page, browser } = await signIn(target, email);
  const error = errorOf(page);
  expect([page.status, error.code]).toEqual([status, code]);
  await expectNobodySignedIn(target, browser);
  return error;
}

/** A JWS whose signature is changed in its first byte: same header, same claims, forged signature. */
export function forgeSignature(jws: string): string {
  const [header, payload, signature] = jws.split(".") as [string, string, string];
  const bytes = Buffer.from(signature, "base64url");
  bytes[0] = bytes[0]! ^ 0xff;
  return `${header}.${payload}.${bytes.toString("base64url")}`;
}

/** Signs `email` in at ProConnect and stops before the app's callback: its URL, for the browser to call. */
export async function upToCallback(
  target: TestApp,
  browser: TestBrowser,
  email = "test@fia1.fr",
): Promise<URL> {
  const stopped = await browser.navigate(`${target.url}/login?returnTo=/me`, {
    email,
    stopAt: (url) => url.pathname === "/callback",
  });
  expect(stopped.location?.pathname).toBe("/callback");
  return stopped.location!;
}

/** Calls `url` in `browser` without following the answer's redirect, and times it (milliseconds). */
export async function timed(
  browser: TestBrowser,
  url: URL | string,
  method: "GET" | "POST" = "GET",
) {
  const started = performance.now();
  const page = await browser.navigate(url, { method, stopAt: () => true });
  return { page, elapsed: performance.now() - started };
}

/** What a shared, loaded machine may add to a bounded answer, in milliseconds. */
const MARGIN = 1500;

/**
 * The answer is `503 session_store_unavailable`, within `bound` milliseconds plus a margin, and its
 * message holds nothing the store said (a password, Redis's own words).
 */
export function expectStoreUnavailable(answer: Awaited<ReturnType<typeof timed>>, bound: number) {
  const error = errorOf(answer.page);
  expect([answer.page.status, error.code]).toEqual([503, "session_store_unavailable"]);
  expect(answer.elapsed).toBeLessThan(bound + MARGIN);
  expect(error.message).not.toMatch(/hunter2|password|Socket closed|store down/);
}
