// usager/connexion-proconnect-identite.feature (@ignoreDocker: run on ProConnect's integration
// platform, where ProConnect Identité asks its password and the organisation; the emulator's login
// page stands for those pages, and the organisation is the identity's).
import { describe, expect, it } from "vitest";
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

const FEATURE = "connexion-proconnect-identite";
const PCI = "proconnect-identite";

// back/scripts/seed/data/service-providers.ts: FSA1 is of type "public", closed to the private sector.
const emulator = useFederation({
  clients: federationClients({ [SP.default]: { publicAgentsOnly: true } }),
  identities: [
    agent("user-proconnect-ci@yopmail.com", PCI, {
      sub: "pci-public",
      organization: { kind: "etat", label: "Direction interministérielle du numérique (DINUM)" },
    }),
    agent("user-proconnect-ci.prive@yopmail.com", PCI, {
      sub: "pci-private",
      siret: "41816609600069",
      organization: { kind: "privee", label: "OCTO Technology" },
    }),
  ],
});

describe("connexion-proconnect-identite.feature", () => {
  it(scenario(FEATURE, 4, "ProConnect Identité : agent public"), async () => {
    const { callback } = await login(emulator(), spAuthorizeParams(SP.default), {
      sub: "pci-public",
    });
    expect(callback?.pathname).toBe(`/${SP.default}/oidc-callback`);
    const { userinfo } = await redeem(emulator(), callback!);
    expect(userinfo.idp_id).toBe(PCI);
    expect(userinfo.roles).toContain("agent_public");
  });

  it(scenario(FEATURE, 14, "ProConnect Identité : employé du privé"), async () => {
    const page = await login(emulator(), spAuthorizeParams(SP.default), { sub: "pci-private" });
    expect(page.callback).toBeUndefined();
    expect(errorPageOf(page.body).code).toBe("Y500015");
  });
});
