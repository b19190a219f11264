// usager/reconciliation-pci.feature
// A login at an FI other than the default one (ProConnect Identité, `defaultIdpId`) joins the account of
// a login at the default FI with the same e-mail, case aside (account-fca.service.ts
// getReconciledAccount). The feature's chapter 2 adds example.com to fia2's e-mail domains in the
// back-office so that albus@example.com is sent to fia2: here fia2 has albus's identity from the start,
// chosen on the emulator's login page.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { person, signInAt, signOut } from "./fi-people.js";
import { scenario, useFederation } from "./harness.js";

const PCI = "proconnect-identite";

const emulator = useFederation({
  identities: [
    person({ sub: "2balbus4ever", idp_id: PCI, email: "albus@example.com" }),
    person({ sub: "1more4albus", idp_id: "fia2v2", email: "albus@example.com" }),
    person({ sub: "minerva-mcp-sub", idp_id: PCI, email: "minerva@example.com" }),
    person({ sub: "minerva-fia1-sub", idp_id: "fia1v2", email: "MINERVA@example.com" }),
  ],
});

describe("reconciliation-pci.feature", () => {
  it(
    scenario(
      "reconciliation-pci",
      4,
      "Chapitre 1: création d'un compte ProConnect Identité (ex MonComptePro), chapitre 3: connexion avec le nouveau FI, mais sub identique",
    ),
    async () => {
      const browser = new TestBrowser();
      const atPci = await signInAt(emulator(), { sub: "2balbus4ever" }, undefined, browser);
      expect(atPci.userinfo.idp_id).toBe(PCI);
      await signOut(emulator(), browser, String(atPci.tokens.id_token));
      const atFia2 = await signInAt(emulator(), { sub: "1more4albus" }, undefined, browser);
      expect(atFia2.userinfo.idp_id).toBe("fia2v2");
      expect(atFia2.sub).toBe(atPci.sub);
    },
  );

  it(
    scenario("reconciliation-pci", 45, "La réconciliation ignore la casse de l'adresse email"),
    async () => {
      const browser = new TestBrowser();
      const atPci = await signInAt(emulator(), { sub: "minerva-mcp-sub" }, undefined, browser);
      await signOut(emulator(), browser, String(atPci.tokens.id_token));
      const atFia1 = await signInAt(emulator(), { sub: "minerva-fia1-sub" }, undefined, browser);
      expect(atFia1.userinfo.idp_id).toBe("fia1v2");
      expect(atFia1.userinfo.email).toBe("MINERVA@example.com");
      expect(atFia1.sub).toBe(atPci.sub);
    },
  );
});
