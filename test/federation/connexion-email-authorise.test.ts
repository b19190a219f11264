// usager/connexion-email-authorise.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import {
  errorPageOf,
  federationClients,
  login,
  redeem,
  scenario,
  SP,
  useFederation,
} from "./harness.js";
import { agent, spAuthorizeParams } from "./usager.js";

const FEATURE = "connexion-email-authorise";
// The fixtures' scope "obligatoires" (scopes.json).
const REQUIRED = { scope: "openid uid given_name usual_name email" };

// docker/compose/fca-low/.env/core.env: FSA3 accepts the addresses of fia1.fr and fia2.fr only.
const emulator = useFederation({
  clients: federationClients({ [SP.third]: { allowedEmailDomains: ["fia1.fr", "fia2.fr"] } }),
  identities: [agent("domaine-autorise@fia1.fr"), agent("test@example.com")],
});

describe("connexion-email-authorise.feature", () => {
  it(scenario(FEATURE, 4, "FS qui limite les emails, avec un email autorisé"), async () => {
    const { callback } = await login(emulator(), spAuthorizeParams(SP.third, REQUIRED), {
      email: "domaine-autorise@fia1.fr",
    });
    expect(callback?.pathname).toBe(`/${SP.third}/oidc-callback`);
    const { userinfo } = await redeem(emulator(), callback!, SP.third);
    expect(userinfo.email).toBe("domaine-autorise@fia1.fr");
  });

  it(scenario(FEATURE, 14, "FS qui limite les emails, avec un email non autorisé"), async () => {
    const page = await login(emulator(), spAuthorizeParams(SP.third, REQUIRED), {
      email: "test@example.com",
    });
    expect(page.callback).toBeUndefined();
    expect(errorPageOf(page.body).code).toBe("Y500025");
  });

  it(
    scenario(
      FEATURE,
      23,
      "FS qui limite les emails, email non autorisé après une connexion réussie",
    ),
    async () => {
      const browser = new TestBrowser();
      const first = await login(
        emulator(),
        spAuthorizeParams(SP.default),
        { email: "test@example.com" },
        browser,
      );
      expect(first.callback?.searchParams.has("code")).toBe(true);
      const page = await login(emulator(), spAuthorizeParams(SP.third, REQUIRED), {}, browser);
      expect(page.callback).toBeUndefined();
      expect(errorPageOf(page.body).code).toBe("Y500025");
    },
  );
});
