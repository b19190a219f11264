// usager/connexion-session-absente.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { errorPageOf, scenario, SP, useFederation } from "./harness.js";
import { redeemAt, spRequest, toCallback } from "./sp-requests.js";

const emulator = useFederation();

// cookie-helper.ts setUnknowSessionIdInSessionCookie: a signed session id the server never issued.
const UNKNOWN_SESSION =
  "s%3Aaaaaaa559244e12db08e445edfb6fc39e20055a03f3e3618d3f18d907055276a94d2146dc999ab8c07bd45120f93fa03c8c2e30cb4497a349f299bb4384d7449.x5K8E3fK00eFl1yRIlvArTJQd373CHg7yQ7h1ZEsoKw";

/** "je clique sur le bouton ProConnect" up to "je suis redirigé vers la page interaction". */
async function toInteractionPage(browser: TestBrowser, headers: Record<string, string> = {}) {
  const request = await spRequest(emulator());
  const page = await browser.navigate(request.url, { headers, stopAt: toRp });
  expect(page.status).toBe(200);
  expect(page.url.pathname).toMatch(/\/interaction\/[^/]+$/);
  expect(page.body).toContain('name="email"');
  return { request, page };
}

/** The emulator's login form (it stands for ProConnect's e-mail page and the FI's login page). */
const loginAction = (page: { url: URL }) => new URL(`${page.url.pathname}/login`, page.url);

describe("connexion-session-absente.feature", () => {
  it(
    scenario("connexion-session-absente", 4, "session inconnue lors de l'appel authorize"),
    async () => {
      await toInteractionPage(new TestBrowser(), { cookie: `pc_session_id=${UNKNOWN_SESSION}` });
    },
  );

  it(
    scenario("connexion-session-absente", 10, "retour sur la mire après sélection du FI"),
    async () => {
      const browser = new TestBrowser();
      const { request, page } = await toInteractionPage(browser);
      // "je reviens en arrière": the interaction page again, then the person signs in from it.
      const again = await browser.navigate(page.url, { stopAt: toRp });
      expect([again.status, again.url.pathname]).toEqual([200, page.url.pathname]);
      const callback = await toCallback(
        browser,
        { ...request, url: page.url },
        { email: "test@fia1.fr" },
      );
      expect(callback.pathname).toBe(`/${SP.default}/oidc-callback`);
      const signedIn = await redeemAt(request, callback);
      expect(signedIn.userinfo.sub).toBe(signedIn.idToken.sub);
    },
  );

  it(
    scenario("connexion-session-absente", 24, "session absente sur page interaction"),
    async () => {
      const browser = new TestBrowser();
      const { page } = await toInteractionPage(browser);
      browser.clearCookies(); // "je supprime les cookies AgentConnect"
      const refreshed = await browser.navigate(page.url, { stopAt: toRp });
      expect(refreshed.status).toBe(400);
      expect(errorPageOf(refreshed.body).code).toBe("oidc-provider-error:session-not-found");
    },
  );

  it(scenario("connexion-session-absente", 33, "session absente au retour du FI"), async () => {
    const browser = new TestBrowser();
    const { page } = await toInteractionPage(browser);
    browser.clearCookies();
    // "je m'authentifie": the FI's answer (the emulator's login form) without ProConnect's cookies.
    const answered = await browser.navigate(loginAction(page), {
      method: "POST",
      form: { email: "test@fia1.fr" },
      stopAt: toRp,
    });
    expect(answered.location).toBeUndefined();
    expect(answered.status).toBe(400);
    expect(errorPageOf(answered.body).code).toBe("oidc-provider-error:session-not-found");
  });
});
