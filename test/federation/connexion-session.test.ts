// usager/connexion-session.feature
// The business events ProConnect logs (FC_AUTHORIZE_INITIATED, SP_REQUESTED_FC_USERINFO, with their
// browsingSessionId and sessionId) are its server's own log, which the emulator does not keep: those
// steps are not ported. What a browser sees of the session, its cookie, is.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { authorizeParams, redirectUriOf, scenario, SP, useFederation } from "./harness.js";
import { MockServiceProvider } from "./service-provider.js";

const emulator = useFederation();

const sessionCookie = (browser: TestBrowser) =>
  /(?:^|; )pc_session_id=([^;]*)/.exec(browser.cookieHeader(emulator().url))?.[1];

describe("connexion-session.feature", () => {
  it(
    scenario(
      "connexion-session",
      5,
      "Session avec SSO activé - Nouvelle session créée lors de l'appel à authorize (1ère connexion)",
    ),
    async () => {
      const browser = new TestBrowser();
      // "je clique sur le bouton ProConnect": the authorize request, up to the login page.
      const page = await browser.navigate(
        `${emulator().issuer}/authorize?${authorizeParams({ redirect_uri: redirectUriOf(SP.default) }).toString()}`,
        { stopAt: toRp },
      );
      expect(page.status).toBe(200);
      expect(sessionCookie(browser)).toEqual(expect.any(String));
    },
  );

  it(
    scenario(
      "connexion-session",
      11,
      "Session avec SSO activé - Nouvelle session initialisée lors de l'appel à authorize (2ème connexion)",
    ),
    async () => {
      const browser = new TestBrowser();
      await new MockServiceProvider(emulator(), SP.default).signIn(browser, {
        email: "test@fia1.fr",
      });
      const first = sessionCookie(browser);
      expect(first).toEqual(expect.any(String));
      // At the second service provider, no login page: signed in by ProConnect's session alone.
      const second = await new MockServiceProvider(emulator(), SP.second).signIn(browser, {});
      expect(second.userinfo.email).toBe("test@fia1.fr");
      // The cookie is kept at the end of the login, with the same value.
      expect(sessionCookie(browser)).toBe(first);
    },
  );

  it(
    scenario(
      "connexion-session",
      44,
      "Session avec SSO activé - Session non détachée avant le retour au FS",
    ),
    async () => {
      const browser = new TestBrowser();
      const { userinfo } = await new MockServiceProvider(emulator()).signIn(browser, {
        email: "test@fia1.fr",
      });
      expect(userinfo.email).toBe("test@fia1.fr");
      expect(sessionCookie(browser)).toEqual(expect.any(String));
    },
  );
});
