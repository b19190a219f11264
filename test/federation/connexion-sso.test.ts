// usager/connexion-sso.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { signOut } from "./fi-people.js";
import { scenario, SP, useFederation } from "./harness.js";
import { agent, loginFormOf, signInAt, spAuthorizeParams, type SignInAtOptions } from "./usager.js";

const FEATURE = "connexion-sso";
const REQUIRED = "openid uid given_name usual_name email"; // scopes.json, "obligatoires"

const emulator = useFederation({
  identities: [agent("test@fia1.fr", "fia1v2", { acr: ["eidas1", "eidas1-mfa"] })],
});

/** "… je suis connecté au fournisseur de service", as test@fia1.fr. */
async function signedIn(clientId: string, options: SignInAtOptions) {
  const signed = await signInAt(emulator(), clientId, options);
  expect(signed.userinfo.email).toBe("test@fia1.fr");
  return signed;
}

/** "je clique sur le bouton ProConnect … je suis redirigé vers la page interaction" */
async function showsInteractionPage(browser: TestBrowser, params: URLSearchParams) {
  const page = await browser.navigate(`${emulator().issuer}/authorize?${params}`, {
    stopAt: toRp,
  });
  expect(page.status).toBe(200);
  expect(loginFormOf(page.body)).toBeDefined();
}

describe("connexion-sso.feature", () => {
  for (const [line, firstPrompt, secondPrompt] of [
    [22, "login", "disabled"],
    [23, "login consent", "login"],
    [24, "disabled", "login consent"],
  ] as const) {
    it(
      scenario(
        FEATURE,
        line,
        `Deux FS avec accès au même FI, prompt ${firstPrompt} puis ${secondPrompt}`,
      ),
      async () => {
        const prompt = (value: string) => (value === "disabled" ? {} : { prompt: value });
        const browser = new TestBrowser();
        await signedIn(SP.default, {
          as: { email: "test@fia1.fr" },
          custom: prompt(firstPrompt),
          browser,
        });
        await signedIn(SP.second, { custom: prompt(secondPrompt), browser });
      },
    );
  }

  it(scenario(FEATURE, 27, "Déconnexion d'un FS seulement et SSO terminé"), async () => {
    const browser = new TestBrowser();
    const atFirst = await signedIn(SP.default, { as: { email: "test@fia1.fr" }, browser });
    const atSecond = await signedIn(SP.second, { browser });
    await signOut(emulator(), browser, String(atFirst.tokens.id_token), SP.default);
    await showsInteractionPage(browser, spAuthorizeParams(SP.default));
    // "je navigue sur la page fournisseur de service « second FS », je suis connecté": the second
    // FS's own session, which ProConnect's logout does not reach.
    expect(atSecond.userinfo.email).toBe("test@fia1.fr");
  });

  it(scenario(FEATURE, 51, "Déconnexion de plusieurs FS"), async () => {
    const browser = new TestBrowser();
    const atFirst = await signedIn(SP.default, { as: { email: "test@fia1.fr" }, browser });
    const atThird = await signedIn(SP.third, { custom: { scope: REQUIRED }, browser });
    await signOut(emulator(), browser, String(atFirst.tokens.id_token), SP.default);
    await signOut(emulator(), browser, String(atThird.tokens.id_token), SP.third);
    await showsInteractionPage(
      browser,
      spAuthorizeParams(SP.third, { scope: REQUIRED, claims: { id_token: {} } }),
    );
  });

  it(
    scenario(
      FEATURE,
      78,
      "La session n'est pas ré-utilisée lorsque le niveau ACR n'est pas satisfait",
    ),
    async () => {
      const browser = new TestBrowser();
      const first = await signedIn(SP.default, {
        as: { email: "test@fia1.fr" },
        custom: { claims: { id_token: { acr: null } } },
        browser,
      });
      expect(first.idToken.acr).toBe("eidas1");
      // "le bouton ProConnect deux facteurs" (the mock's /force-2fa, ACR_VALUES_FOR_2FA's default).
      const force2fa = {
        claims: {
          id_token: {
            amr: null,
            acr: {
              essential: true,
              values: [
                "eidas0-mfa",
                "eidas1-mfa",
                "eidas2",
                "eidas3",
                "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
                "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
              ],
            },
          },
        },
      };
      await showsInteractionPage(browser, spAuthorizeParams(SP.second, force2fa));
    },
  );

  it(
    scenario(FEATURE, 91, "La session est ré-utilisée lorsque le niveau ACR est satisfait"),
    async () => {
      const browser = new TestBrowser();
      const mfa = {
        claims: { id_token: { amr: null, acr: { essential: true, value: "eidas1-mfa" } } },
      };
      // The FI answers eidas1-mfa, the level asked for: no e-mail code.
      const first = await signedIn(SP.default, {
        as: { email: "test@fia1.fr", emailCode: false },
        custom: mfa,
        browser,
      });
      expect(first.idToken.acr).toBe("eidas1-mfa");
      const second = await signedIn(SP.second, { as: { emailCode: false }, custom: mfa, browser });
      expect(second.idToken.acr).toBe("eidas1-mfa");
    },
  );
});
