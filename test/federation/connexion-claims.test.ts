// usager/connexion-claims.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { federationClients, scenario, useFederation } from "./harness.js";
import { defaultCustomParams, MockServiceProvider } from "./service-provider.js";
import { DEFAULT_IDENTITIES } from "../../lib/testing/identities.js";

// "j'utilise un compte usager dont le FI ne fournit pas d'amr": the FI's amr field emptied.
const NO_AMR_EMAIL = "sans.amr@fia1.fr";
const testAccount = DEFAULT_IDENTITIES.find((identity) => identity.email === "test@fia1.fr");
if (!testAccount) throw new Error("no test@fia1.fr among the default identities");

const emulator = useFederation({
  clients: federationClients(),
  identities: [
    ...DEFAULT_IDENTITIES,
    { ...testAccount, sub: "fia1-sans-amr", email: NO_AMR_EMAIL, amr: [] },
  ],
});

/** The custom-params box with `idToken` as its `claims.id_token`. */
const withIdTokenClaims = (idToken: Record<string, unknown>) => ({
  ...defaultCustomParams(),
  claims: { id_token: idToken },
});

describe("connexion-claims.feature", () => {
  it(scenario("connexion-claims", 4, "demande claim amr essential"), async () => {
    const { idToken } = await new MockServiceProvider(emulator()).signIn(
      new TestBrowser(),
      { email: "test@fia1.fr" },
      withIdTokenClaims({ amr: { essential: true } }),
    );
    expect(idToken.amr).toEqual(["pwd"]);
  });

  it(scenario("connexion-claims", 13, "pas de demande du claim amr"), async () => {
    const { idToken } = await new MockServiceProvider(emulator()).signIn(
      new TestBrowser(),
      { email: "test@fia1.fr" },
      withIdTokenClaims({}),
    );
    expect(idToken).not.toHaveProperty("amr");
  });

  it(
    scenario("connexion-claims", 22, "demande de claim amr mais FI qui n'en renvoie pas"),
    async () => {
      const { idToken } = await new MockServiceProvider(emulator()).signIn(
        new TestBrowser(),
        { email: NO_AMR_EMAIL },
        withIdTokenClaims({ amr: null }),
      );
      expect(idToken).not.toHaveProperty("amr");
    },
  );

  it(scenario("connexion-claims", 43, "demande du claim given_name essential"), async () => {
    const { userinfo } = await new MockServiceProvider(emulator()).signIn(
      new TestBrowser(),
      { email: "test@fia1.fr" },
      withIdTokenClaims({ amr: null, given_name: { essential: true } }),
    );
    // The page shows `"given_name": "…",` in the userinfo.
    expect(userinfo.given_name).toEqual(expect.any(String));
  });
});
