// usager/hybridge.feature
// The hybridge (hyyyperbridge) carries ProConnect's calls to an FI on the RIE network; a service
// provider sees a login like any other, which is what the emulator reproduces: its FIs are all reached
// directly. hybridge.feature:5 (@ignoreDocker) runs against the integration platform's own RIE FI,
// through its FI selection page: not ported.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { DEFAULT_IDENTITIES } from "../../lib/testing/identities.js";
import { scenario, useFederation } from "./harness.js";
import { MockServiceProvider } from "./service-provider.js";

const testAccount = DEFAULT_IDENTITIES.find((identity) => identity.email === "test@fia1.fr");
if (!testAccount) throw new Error("no test@fia1.fr among the default identities");

// identity-providers.json: "Identity Provider RIE - eIDAS faible - ES256", e-mail domain fi-rie.fr.
const RIE_FI = "c6ecab5e-dc67-4390-af57-fe208e97b649";

const emulator = useFederation({
  identities: [
    ...DEFAULT_IDENTITIES,
    {
      ...testAccount,
      label: "Identity Provider RIE - eIDAS faible - ES256",
      sub: "fi-rie-test",
      idp_id: RIE_FI,
      email: "test@fi-rie.fr",
    },
  ],
});

describe("hybridge.feature", () => {
  it(scenario("hybridge", 14, "Connexion d'un usager via l'hybridge RIE"), async () => {
    const { userinfo, idToken } = await new MockServiceProvider(emulator()).signIn(
      new TestBrowser(),
      { email: "test@fi-rie.fr" },
    );
    // "je suis connecté au fournisseur de service", signed in at the RIE FI.
    expect(userinfo.email).toBe("test@fi-rie.fr");
    expect(userinfo.idp_id).toBe(RIE_FI);
    expect(idToken.sub).toEqual(expect.any(String));
  });
});
