import { describe, expect, it } from "vitest";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { errorOf, sessionIdOf, storedSessions, type TestApp, useTestApp } from "./helpers/app.js";
import { toEmulator } from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started) => ({ emulator, app } = started));

const startLogout = (browser: TestBrowser) =>
  browser.navigate(`${app.url}/logout`, { method: "POST", stopAt: toEmulator(emulator) });
const home = async (browser: TestBrowser) =>
  JSON.parse((await browser.navigate(`${app.url}/`)).body) as object;

async function signedIn() {
  const browser = new TestBrowser();
  const page = await browser.navigate(`${app.url}/login?returnTo=/me`, { email: "test@fia1.fr" });
  expect(page.url.pathname).toBe("/me");
  return browser;
}

describe("POST /logout", () => {
  it("sends the browser to end_session with the id_token, a fresh state and the post-logout URI", async () => {
    const browser = await signedIn();
    const page = await startLogout(browser);
    expect(page.status).toBe(303);
    const url = page.location!;
    expect(url.origin + url.pathname).toBe(`${emulator.issuer}/session/end`);
    expect(url.searchParams.get("post_logout_redirect_uri")).toBe(`${app.url}/logout/callback`);
    expect(url.searchParams.get("state")!.length).toBeGreaterThanOrEqual(32);
    expect(url.searchParams.get("id_token_hint")!.split(".")).toHaveLength(3);
    // Signed out of the app already, before ProConnect answers.
    expect(await home(browser)).toEqual({ page: "home", user: null });
  });

  it("signs out at ProConnect with client_id when the session holds no id_token", async () => {
    const browser = await signedIn();
    const id = sessionIdOf(browser, app)!;
    // A session written without its id_token (an older version, a migration): the user is still there.
    const stored = (await storedSessions(app.store))[id] as { proconnect: { idToken?: string } };
    delete stored.proconnect.idToken;
    await new Promise((resolve) => app.store.set(id, stored as never, resolve));
    const page = await startLogout(browser);
    expect(page.status).toBe(303);
    expect(page.location!.searchParams.get("id_token_hint")).toBeNull();
    expect(page.location!.searchParams.get("client_id")).toBe(app.clientId);
    expect(await home(browser)).toEqual({ page: "home", user: null });
  });

  it("comes back anonymous through ProConnect, whose session is over too", async () => {
    const browser = await signedIn();
    const before = sessionIdOf(browser, app);
    const page = await browser.navigate(`${app.url}/logout`, { method: "POST" });
    expect(page.url.href).toBe(`${app.url}/`);
    expect(JSON.parse(page.body)).toEqual({ page: "home", user: null });
    // The session is gone from the store, and nothing empty was saved in its place.
    const sessions = await storedSessions(app.store);
    expect(sessions[before!]).toBeUndefined();
    expect(sessions[sessionIdOf(browser, app)!]).toBeUndefined();
    // No ProConnect session left: a silent login comes back anonymous.
    const silent = await browser.navigate(`${app.url}/login?prompt=none&returnTo=/`);
    expect(JSON.parse(silent.body)).toEqual({ page: "home", user: null });
  });

  it("ends the session at once and keeps the logout's state in a cookie that expires with loginTimeout", async () => {
    const browser = await signedIn();
    const id = sessionIdOf(browser, app)!;
    const page = await startLogout(browser); // the person closes the tab at ProConnect
    expect(page.status).toBe(303);
    const cookies = page.headers.getSetCookie();
    expect(cookies).toContainEqual(expect.stringMatching(/^connect\.sid=;/));
    const logout = cookies.find((cookie) => cookie.startsWith("proconnect-logout="))!;
    expect(logout).toContain(`proconnect-logout=${page.location!.searchParams.get("state")!};`);
    expect(logout).toMatch(/; Max-Age=600; .*HttpOnly.*SameSite=Lax/);
    // Nothing left in the store for this browser: no session waits for ProConnect's answer.
    expect(await storedSessions(app.store)).not.toHaveProperty(id);
    expect(sessionIdOf(browser, app)).toBeUndefined();
  });

  it("goes to ProConnect even when the session no longer holds a sign-in, whose session then ends too", async () => {
    const browser = await signedIn();
    // The app's session expired while the page stayed open; ProConnect's did not.
    const id = sessionIdOf(browser, app)!;
    await new Promise((resolve) => app.store.destroy(id, resolve));
    const stopped = await startLogout(browser);
    expect(stopped.location!.origin + stopped.location!.pathname).toBe(
      `${emulator.issuer}/session/end`,
    );
    expect(stopped.location!.searchParams.get("id_token_hint")).toBeNull();
    expect(stopped.location!.searchParams.get("client_id")).toBe(app.clientId);
    const page = await browser.navigate(stopped.location!.href);
    expect(page.url.href).toBe(`${app.url}/`);
    // The next login asks again: a silent one comes back anonymous.
    const silent = await browser.navigate(`${app.url}/login?prompt=none&returnTo=/`);
    expect(JSON.parse(silent.body)).toEqual({ page: "home", user: null });
  });

  it("signs out a browser that also sends its session cookie under a name no Set-Cookie may carry", async () => {
    const browser = await signedIn();
    const id = sessionIdOf(browser, app)!;
    const sid = /connect\.sid=([^;]+)/.exec(browser.cookieHeader(app.url))![1]!;
    const answer = await fetch(`${app.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `a/b=${sid}; connect.sid=${sid}` },
    });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toMatch(/\/session\/end\?/);
    expect(answer.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^connect\.sid=;/));
    expect(await storedSessions(app.store)).not.toHaveProperty(id);
  });
});

describe("GET /logout", () => {
  it("answers 405 method_not_allowed with Allow: POST and the form to write, and signs nobody out", async () => {
    const browser = await signedIn();
    const page = await browser.navigate(`${app.url}/logout`);
    expect([page.status, errorOf(page).code]).toEqual([405, "method_not_allowed"]);
    expect(page.headers.get("allow")).toBe("POST");
    expect(errorOf(page).message).toContain('<form method="post" action="/logout">');
    // A link (or another site's image) does not sign anyone out.
    expect(await home(browser)).toMatchObject({ user: { email: "test@fia1.fr" } });
  });
});

describe("GET /logout/callback", () => {
  it("refuses a missing, forged or repeated state (invalid_logout_state, 400)", async () => {
    const browser = await signedIn();
    const stopped = await startLogout(browser);
    const state = stopped.location!.searchParams.get("state")!;
    for (const query of ["", "?state=forged", `?state=${state}&state=${state}`]) {
      const page = await browser.navigate(`${app.url}/logout/callback${query}`);
      expect([page.status, errorOf(page).code]).toEqual([400, "invalid_logout_state"]);
    }
    // The genuine state still works once.
    const done = await browser.navigate(`${app.url}/logout/callback?state=${state}`);
    expect(done.url.href).toBe(`${app.url}/`);
    const again = await browser.navigate(`${app.url}/logout/callback?state=${state}`);
    expect([again.status, errorOf(again).code]).toEqual([400, "invalid_logout_state"]);
  });

  it("refuses a logout callback that no logout started", async () => {
    const browser = await signedIn();
    const page = await browser.navigate(`${app.url}/logout/callback?state=anything`);
    expect([page.status, errorOf(page).code]).toEqual([400, "invalid_logout_state"]);
    // A forged logout link does not sign anyone out.
    expect(await home(browser)).toMatchObject({ user: { email: "test@fia1.fr" } });
  });
});
