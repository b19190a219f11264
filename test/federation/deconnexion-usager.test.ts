// usager/deconnexion-usager.feature
// The business events ProConnect logs (SP_REQUESTED_LOGOUT, FC_REQUESTED_LOGOUT_FROM_IDP,
// FC_SESSION_TERMINATED) are its server's own log: the emulator keeps none, so those steps are not ported.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { postLogoutUriOf, scenario, SP, useFederation } from "./harness.js";
import { MockServiceProvider } from "./service-provider.js";

const emulator = useFederation();

const hasSessionCookie = (browser: TestBrowser) =>
  /(^|; )pc_session_id=/.test(browser.cookieHeader(emulator().url));

async function signedInBrowser() {
  const browser = new TestBrowser();
  const sp = new MockServiceProvider(emulator());
  const signedIn = await sp.signIn(browser, { email: "test@fia1.fr" });
  // "je suis connecté au fournisseur de service": its page shows the userinfo.
  expect(signedIn.userinfo.email).toBe("test@fia1.fr");
  expect(hasSessionCookie(browser)).toBe(true);
  return { browser, sp, signedIn };
}

describe("deconnexion-usager.feature", () => {
  it(scenario("deconnexion-usager", 4, "Déconnexion d'un usager avec log métier"), async () => {
    const { browser, sp, signedIn } = await signedInBrowser();
    const page = await browser.navigate(await sp.logoutUrl(signedIn, true), {
      stopAt: (url) => url.href.startsWith(postLogoutUriOf(SP.default)),
    });
    // Back on the service provider's page, and ProConnect's session cookie gone.
    expect(page.location?.href).toBe(postLogoutUriOf(SP.default));
    expect(hasSessionCookie(browser)).toBe(false);
  });

  it(
    scenario(
      "deconnexion-usager",
      19,
      "Déconnexion d'un usager avec un FS sans redirection post logout redirect uri",
    ),
    async () => {
      const { browser, sp, signedIn } = await signedInBrowser();
      const page = await browser.navigate(await sp.logoutUrl(signedIn, false));
      expect(page.status).toBe(200);
      expect(page.body).toContain(
        "Vous êtes bien déconnecté, vous pouvez fermer votre navigateur.",
      );
      expect(hasSessionCookie(browser)).toBe(false);
    },
  );
});
