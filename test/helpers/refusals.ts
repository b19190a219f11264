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
