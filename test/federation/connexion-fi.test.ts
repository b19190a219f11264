// usager/connexion-fi.feature
// The fixtures' FIs fia3 (disabled, back/scripts/seed/data/identity-providers.ts "fia3-desactive") and
// fia-rie (not reachable from the docker platform) are emulator FIs whose `status` says so.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { person, SP_NAMES } from "./fi-people.js";
import {
  authorizeParams,
  callbackParams,
  errorPageOf,
  federationClients,
  login,
  redeem,
  scenario,
  SP,
  useFederation,
} from "./harness.js";

const emulator = useFederation({
  clients: federationClients({ [SP.default]: { name: SP_NAMES[SP.default] } }),
  identities: [
    person({ sub: "test-fia1", email: "test@fia1.fr" }),
    person({ sub: "test-fia3", idp_id: "fia3-desactive", email: "test@fia3.fr" }),
    person({ sub: "test-fi-rie", idp_id: "fia-rie-low", email: "test@fi-rie.fr" }),
  ],
  identityProviders: {
    "fia3-desactive": { status: "disabled" },
    "fia-rie-low": { status: "unreachable" },
  },
});

const TECHNICAL_ERROR =
  "authentication aborted due to a technical error on the authorization server";

/** The error page's "Réessayer de vous connecter" button. */
const retryLinkOf = (html: string) => {
  const href = /<a href="([^"]+)" data-retry-link>/.exec(html)?.[1];
  if (!href) throw new Error("no retry link on the page");
  return href.replace(/&amp;/g, "&");
};

describe("connexion-fi.feature", () => {
  // The emulator's page stands for the FI's: it shows what ProConnect sent the FI, as the FI mock does.
  const fiRequestOf = (html: string) => {
    const json = /<pre data-fi-request>([^<]*)<\/pre>/.exec(html)?.[1];
    return (json ?? "")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  };

  it(
    scenario(
      "connexion-fi",
      5,
      "Je me rends sur la page du FI et je récupère correctement le sp_id",
    ),
    async () => {
      const { body } = await login(emulator(), authorizeParams());
      expect(fiRequestOf(body)).toContain(`"sp_id": "${SP.default}"`);
    },
  );

  it(
    scenario(
      "connexion-fi",
      14,
      "Je me rends sur la page du FI et je récupère correctement le sp_name",
    ),
    async () => {
      const { body } = await login(emulator(), authorizeParams());
      expect(fiRequestOf(body)).toContain(`"sp_name": "FSA - FSA1-LOW"`);
    },
  );

  it(scenario("connexion-fi", 23, "J'utilise un fournisseur d'identité désactivé"), async () => {
    const { browser, status, body, callback } = await login(emulator(), authorizeParams(), {
      email: "test@fia3.fr",
    });
    expect(callback).toBeUndefined();
    expect(status).toBe(400);
    expect(errorPageOf(body)).toMatchObject({ code: "Y020017", title: "Accès indisponible" });

    // "je clique sur le bouton Réessayer de vous connecter": the service provider's error page.
    const page = await browser.navigate(new URL(retryLinkOf(body), emulator().url), {
      stopAt: toRp,
    });
    expect(page.location).toBeDefined();
    const { params, raw } = callbackParams(page.location!.href);
    expect(raw).toMatch(/^error=([^&]+)&error_description=([^&]+)&state=.+$/);
    expect(params.get("error")).toBe("server_error");
    expect(params.get("error_description")).toBe(TECHNICAL_ERROR);
  });

  it(
    scenario(
      "connexion-fi",
      46,
      "Affichage d'une erreur technique lorsque le FI n'est pas joignable",
    ),
    async () => {
      const { status, body, callback } = await login(emulator(), authorizeParams(), {
        email: "test@fi-rie.fr",
      });
      expect(callback).toBeUndefined();
      expect(status).toBe(502);
      expect(errorPageOf(body)).toMatchObject({
        code: "Y020031",
        title: "Accès impossible",
        message: "something went wrong",
      });
    },
  );

  it(scenario("connexion-fi", 57, "Retour en arrière après une connexion réussie"), async () => {
    // The history: the service provider, ProConnect's interaction page, the FI's page, the service
    // provider again; back twice is ProConnect's interaction page, whose login has ended.
    const browser = new TestBrowser();
    const interaction = await browser.navigate(
      `${emulator().issuer}/authorize?${authorizeParams({ scope: "openid email" }).toString()}`,
      { stopAt: (url) => url.pathname.includes("/interaction/") },
    );
    const interactionUrl = interaction.location!;
    const done = await browser.navigate(interactionUrl, { email: "test@fia1.fr", stopAt: toRp });
    // "je suis connecté au fournisseur de service"
    const { userinfo } = await redeem(emulator(), done.location!);
    expect(userinfo.email).toBe("test@fia1.fr");

    const back = await browser.navigate(interactionUrl, { stopAt: toRp });
    expect(back.location).toBeUndefined();
    expect(errorPageOf(back.body).code).toBe("oidc-provider-error:session-not-found");
  });
});
