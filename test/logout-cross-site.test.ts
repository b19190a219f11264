// POST /logout from another site (logout CSRF) is refused and changes nothing; the app's own forms and
// clients that send neither Origin nor Sec-Fetch-Site still sign out.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../lib/testing/index.js";
import { sessionIdOf, type TestApp, useTestApp } from "./helpers/app.js";
import { signIn } from "./helpers/refusals.js";

let app: TestApp;
useTestApp((started) => ({ app } = started));

/** One POST /logout with these headers, as the browser would send it, without following it. */
async function postLogout(browser: TestBrowser, headers: Record<string, string>) {
  const response = await browser.fetch(`${app.url}/logout`, { method: "POST", headers });
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return { status: response.status, code: body.code, setCookie: response.headers.getSetCookie() };
}

describe("POST /logout from another site", () => {
  const attacks: [string, Record<string, string>][] = [
    [
      "a cross-site form (Sec-Fetch-Site and Origin)",
      { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
    ],
    [
      "a sibling subdomain (Sec-Fetch-Site: same-site)",
      { "sec-fetch-site": "same-site", origin: "https://other.gouv.fr" },
    ],
    ["an older browser that sends only Origin", { origin: "https://evil.example" }],
    ["a browser that sends only Sec-Fetch-Site", { "sec-fetch-site": "cross-site" }],
    ["a sandboxed frame (opaque origin)", { "sec-fetch-site": "cross-site", origin: "null" }],
  ];
  for (const [what, headers] of attacks) {
    it(`refuses ${what}: 403 cross_site_request, still signed in, no Set-Cookie`, async () => {
      const { browser } = await signIn(app, "test@fia1.fr");
      const before = sessionIdOf(browser, app);
      const answer = await postLogout(browser, headers);
      expect([answer.status, answer.code]).toEqual([403, "cross_site_request"]);
      expect(answer.setCookie).toEqual([]);
      expect(sessionIdOf(browser, app)).toBe(before);
      const me = await browser.navigate(`${app.url}/me`);
      expect([me.status, JSON.parse(me.body).email]).toEqual([200, "test@fia1.fr"]);
    });
  }

  it("refuses a cross-site POST without any cookie, and sets none", async () => {
    const answer = await postLogout(new TestBrowser(), { "sec-fetch-site": "cross-site" });
    expect([answer.status, answer.code, answer.setCookie]).toEqual([403, "cross_site_request", []]);
  });
});

describe("POST /logout from the app", () => {
  it("signs out a same-origin form (Sec-Fetch-Site: same-origin, the app's Origin)", async () => {
    const { browser } = await signIn(app, "test@fia1.fr");
    const answer = await postLogout(browser, { "sec-fetch-site": "same-origin", origin: app.url });
    expect(answer.status).toBe(303);
    expect((await browser.navigate(`${app.url}/me`, { stopAt: () => true })).status).toBe(303);
  });

  it("signs out a same-origin form under helmet's no-referrer policy (Origin: null, Sec-Fetch-Site: same-origin)", async () => {
    const { browser } = await signIn(app, "test@fia1.fr");
    const answer = await postLogout(browser, { "sec-fetch-site": "same-origin", origin: "null" });
    expect(answer.status).toBe(303);
    expect((await browser.navigate(`${app.url}/api/me`)).status).toBe(401);
  });

  it("signs out a client that sends neither header", async () => {
    const { browser } = await signIn(app, "test@fia1.fr");
    const answer = await postLogout(browser, {});
    expect(answer.status).toBe(303);
    const me = await browser.navigate(`${app.url}/api/me`);
    expect(me.status).toBe(401);
  });
});
