// usager/connexion-secteur-prive.feature
// The default service provider is for public agents (back/scripts/seed/data/service-providers.ts,
// `type: "public"`); the FI "moncomptepro" is the emulator's ProConnect Identité under that name.
import { describe, expect, it } from "vitest";
import { person, SP_NAMES, supportLinkOf } from "./fi-people.js";
import {
  authorizeParams,
  errorPageOf,
  federationClients,
  login,
  scenario,
  SP,
  useFederation,
} from "./harness.js";

const emulator = useFederation({
  clients: federationClients({
    [SP.default]: { publicAgentsOnly: true, name: SP_NAMES[SP.default] },
  }),
  identities: [
    person({
      sub: "albus-octo",
      idp_id: "proconnect-identite",
      email: "albus.dumbledore@example.com",
      siret: "41816609600069",
      organization: { kind: "privee", label: "Octo-technology" },
    }),
  ],
  identityProviders: { "proconnect-identite": { name: "moncomptepro" } },
});

describe("connexion-secteur-prive.feature", () => {
  it(
    scenario(
      "connexion-secteur-prive",
      19,
      'Erreur "privé non autorisé" Y500015 (FSA - FSA1-LOW, moncomptepro)',
    ),
    async () => {
      const { status, body, callback } = await login(emulator(), authorizeParams(), {
        email: "albus.dumbledore@example.com",
      });
      expect(callback).toBeUndefined();
      expect(status).toBe(400);
      const page = errorPageOf(body);
      expect(page.code).toBe("Y500015");
      expect(page.message).toContain(
        "The user's roles are: []; the user is linked to the non-public organization: Octo-technology (SIRET: 41816609600069)",
      );
      const { subject, body: mail } = supportLinkOf(body);
      expect(subject).toContain("Signaler l’erreur Y500015");
      expect(mail).toContain("Je souhaitais me connecter à « FSA - FSA1-LOW ».");
      expect(mail).toContain("Mon fournisseur d’identité est « moncomptepro ».");
    },
  );
});
