// usager/connexion-usager.feature
// ProConnect sends the address typed on its page to the FI its domain is attached to; the emulator's
// login page stands for both pages, and signs in the identity of that address (case aside), at its FI.
// The fixtures' default service provider is for public agents (back/scripts/seed/data/service-providers.ts,
// `type: "public"`), the second accepts the private sector.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { person, signInAt, SP_NAMES } from "./fi-people.js";
import {
  authorizeParams,
  errorPageOf,
  federationClients,
  login,
  scenario,
  SP,
  useFederation,
} from "./harness.js";

const PCI = "proconnect-identite";
const OCTO = {
  siret: "41816609600069",
  organization: { kind: "privee", label: "Octo-technology" },
} as const;

const emulator = useFederation({
  clients: federationClients({
    [SP.default]: { publicAgentsOnly: true, name: SP_NAMES[SP.default] },
    [SP.second]: { name: SP_NAMES[SP.second] },
  }),
  identities: [
    person({ sub: "iknow-fia1", email: "iknowthisemail@fia1.fr" }),
    person({ sub: "iknow-fia2", idp_id: "fia2v2", email: "iknowthisemail@fia2.fr" }),
    person({ sub: "albus", idp_id: PCI, email: "albus.dumbledore@example.com" }),
    person({ sub: "hades", idp_id: "cerbere", email: "hades@developpement-durable.gouv.fr" }),
    person({ sub: "albus-octo", idp_id: PCI, email: "albus.dumbledore@example.com", ...OCTO }),
    person({ sub: "batman", email: "batman@fia1.fr" }),
  ],
  identityProviders: { [PCI]: { name: "moncomptepro" } },
});

const ATTACHED_DOMAINS = [
  { line: 15, email: "iknowthisemail@fia1.fr", idp: "par défaut", idpId: "fia1v2" },
  { line: 16, email: "iknowthisemail@FIA1.fr", idp: "par défaut", idpId: "fia1v2" },
  { line: 17, email: "iknowthisemail@fia2.fr", idp: "second FI", idpId: "fia2v2" },
  { line: 22, email: "albus.dumbledore@example.com", idp: "moncomptepro", idpId: PCI },
];

const TO_FI_ONLY = [
  { line: 34, email: "albus.dumbledore@example.com", idp: "moncomptepro", idpId: PCI },
  { line: 35, email: "hades@developpement-durable.gouv.fr", idp: "cerbere", idpId: "cerbere" },
];

describe("connexion-usager.feature", () => {
  for (const { line, email, idp, idpId } of ATTACHED_DOMAINS) {
    it(
      scenario(
        "connexion-usager",
        line,
        `Connexion d'un usager - domaine email attaché ${idp} (${email})`,
      ),
      async () => {
        const { userinfo } = await signInAt(emulator(), { email });
        expect(userinfo.idp_id).toBe(idpId);
        expect(String(userinfo.email).toLowerCase()).toBe(email.toLowerCase());
      },
    );
  }

  for (const { line, email, idp, idpId } of TO_FI_ONLY) {
    it(
      scenario(
        "connexion-usager",
        line,
        `Connexion d'un usager - domaine email attaché ${idp} (redirection vers FI seulement) (${email})`,
      ),
      async () => {
        const { userinfo } = await signInAt(emulator(), { email });
        expect(userinfo.idp_id).toBe(idpId);
      },
    );
  }

  it(
    scenario(
      "connexion-usager",
      38,
      "Connexion d'un usager - domaine email attaché non reconnu et non service public",
    ),
    async () => {
      const { status, body, callback } = await login(emulator(), authorizeParams(), {
        sub: "albus-octo",
      });
      expect(callback).toBeUndefined();
      expect(status).toBe(400);
      expect(errorPageOf(body).code).toBe("Y500015");
    },
  );

  it(
    scenario(
      "connexion-usager",
      50,
      "Connexion d'un usager - domaine email attaché non reconnu et non service public mais FS acceptant le privé",
    ),
    async () => {
      const { userinfo } = await signInAt(emulator(), { sub: "albus-octo" }, SP.second);
      expect(userinfo.siret).toBe(OCTO.siret);
    },
  );

  it(
    scenario(
      "connexion-usager",
      60,
      "Connexion d'un usager - retour en arrière après redirection vers FI",
    ),
    async () => {
      // Back from the FI's page: ProConnect's page again, for the same login (the emulator's page is both).
      const browser = new TestBrowser();
      const started = await browser.navigate(
        `${emulator().issuer}/authorize?${authorizeParams().toString()}`,
        { stopAt: (url) => url.pathname.includes("/interaction/") },
      );
      const interaction = started.location!;
      const first = await browser.navigate(interaction);
      const back = await browser.navigate(interaction);
      for (const page of [first, back]) {
        expect(page.status).toBe(200);
        expect(page.body).toContain('name="email"');
      }
    },
  );
});
