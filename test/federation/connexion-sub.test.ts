// usager/connexion-sub.feature
// ProConnect's `sub` is its account's (account-fca.service.ts getOrCreateAccount), the same at every
// service provider. The fixtures' account "multipleIdpSub" (back/scripts/seed/data/account-fca.ts) is
// given to the emulator by its `accounts` option.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { person, signInAt, signOut } from "./fi-people.js";
import { scenario, SP, useFederation } from "./harness.js";

const ACCOUNT_SUB = "d68cec59-ed65-48ab-bfbf-1ca65dd807f8";
const FIA1_SUB = "e3322382e75c0d0a8e95f80af703932bd3c38f940aa59ad08b1cb4900998578c";
const FIA2_SUB = "s7Ht2K9pL5mN8vX3cR4wQ";

const MULTIPLE_IDP_SUB = {
  sub: ACCOUNT_SUB,
  identities: [
    { idp_id: "fia1v2", sub: FIA1_SUB, email: "user-multiple-idp@fia1.fr" },
    { idp_id: "fia2v2", sub: FIA2_SUB, email: "user-multiple-idp@fia2.fr" },
  ],
};

const emulator = useFederation({
  identities: [
    person({ sub: "test-fia1", email: "test@fia1.fr" }),
    person({ sub: FIA1_SUB, email: "user-multiple-idp@fia1.fr" }),
    person({ sub: FIA2_SUB, idp_id: "fia2v2", email: "user-multiple-idp@fia2.fr" }),
  ],
  accounts: [MULTIPLE_IDP_SUB],
});

describe("connexion-sub.feature", () => {
  it(
    scenario(
      "connexion-sub",
      5,
      "retourne le même sub à deux FS différents quand j'utilise la même identité",
    ),
    async () => {
      const browser = new TestBrowser();
      const first = await signInAt(emulator(), { email: "test@fia1.fr" }, SP.default, browser);
      await signOut(emulator(), browser, String(first.tokens.id_token), SP.default);
      const second = await signInAt(emulator(), { email: "test@fia1.fr" }, SP.second, browser);
      expect(second.sub).toBe(first.sub);
    },
  );

  it(
    scenario(
      "connexion-sub",
      26,
      "retourne le même sub pour une reconnexion sur un même FS avec la même identité",
    ),
    async () => {
      const browser = new TestBrowser();
      const first = await signInAt(emulator(), { email: "test@fia1.fr" }, SP.default, browser);
      await signOut(emulator(), browser, String(first.tokens.id_token), SP.default);
      const again = await signInAt(emulator(), { email: "test@fia1.fr" }, SP.default, browser);
      expect(again.sub).toBe(first.sub);
    },
  );

  it(
    scenario(
      "connexion-sub",
      59,
      "retourne le sub déjà enregistré pour deux identités connues qui sont rattachées à un même sub dans ProConnect",
    ),
    async () => {
      const browser = new TestBrowser();
      const atFia1 = await signInAt(emulator(), { sub: FIA1_SUB }, SP.default, browser);
      expect(atFia1.sub).toBe(ACCOUNT_SUB);
      await signOut(emulator(), browser, String(atFia1.tokens.id_token), SP.default);
      const atFia2 = await signInAt(emulator(), { sub: FIA2_SUB }, SP.default, browser);
      expect(atFia2.sub).toBe(ACCOUNT_SUB);
      expect(atFia2.sub).toBe(atFia1.sub);
    },
  );

  // Its own emulator: the emulator's identities have unique subs, and here fia1 sends fia2's.
  describe("fia1 sending the sub of fia2's key in an existing account", () => {
    const withFia2Sub = useFederation({
      identities: [person({ sub: FIA2_SUB, email: "test@fia1.fr" })],
      accounts: [MULTIPLE_IDP_SUB],
    });

    it(
      scenario(
        "connexion-sub",
        47,
        "vérifie qu'un account n'est pas retrouvé si un FI utilise un sub existant dans un autre FI",
      ),
      async () => {
        const signedIn = await signInAt(withFia2Sub(), { sub: FIA2_SUB });
        expect(signedIn.sub).not.toBe(ACCOUNT_SUB);
      },
    );
  });
});
