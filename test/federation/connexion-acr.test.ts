// usager/connexion-acr.feature
import { describe, expect, it } from "vitest";
import {
  DEFAULT_IDENTITIES,
  TestBrowser,
  type EmulatorIdentityInput,
} from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { login, redeem, scenario, SP, useFederation } from "./harness.js";
import { loginFormOf, spAuthorizeParams } from "./usager.js";

// The fixtures' FI answers the acr it is asked for (its field is pre-filled with it): test@fia1.fr
// at the default FI can reach each level; "le fournisseur d'identité garantit un niveau" is the
// option of that FI answering one acr whatever was asked.
const [agent] = DEFAULT_IDENTITIES;
const testFia1: EmulatorIdentityInput = { ...agent!, acr: ["eidas1", "eidas2", "eidas3"] };
const testFia2: EmulatorIdentityInput = {
  ...agent!,
  label: "test@fia2.fr",
  sub: "test-fia2",
  idp_id: "fia2v2",
  email: "test@fia2.fr",
  acr: ["eidas1"],
};

const requiresAcr = (acr: { value?: string; values?: string[] }) => ({
  claims: { id_token: { amr: null, acr: { essential: true, ...acr } } },
});

/** The FI (`fia1v2`) answers `idpAcr` whatever ProConnect asks. */
const withFiAcr = (idpAcr?: string) =>
  useFederation({
    identities: [testFia1, testFia2],
    identityProviders: idpAcr === undefined ? {} : { fia1v2: { acr: idpAcr } },
  });

const FEATURE = "connexion-acr";

describe("connexion-acr.feature", () => {
  describe("the FI answers the acr it is asked for", () => {
    const emulator = withFiAcr();

    for (const [line, acr] of [
      [15, "eidas1"],
      [16, "eidas2"],
      [17, "eidas3"],
    ] as const) {
      it(scenario(FEATURE, line, `Authentification avec acr exigé acr=${acr}`), async () => {
        const params = spAuthorizeParams(SP.default, requiresAcr({ value: acr }));
        const { callback } = await login(emulator(), params, { email: "test@fia1.fr" });
        const { idToken } = await redeem(emulator(), callback!);
        expect(idToken.acr).toBe(acr);
      });
    }

    it(
      scenario(FEATURE, 19, "acr_values et acr exigé demandés simultanément: eidas3 et eidas2"),
      async () => {
        // oidc-provider 7 merges acr_values into the essential acr: eidas2 obtained, eidas3 is not,
        // and ProConnect's session does not meet it: a new login, on the interaction page.
        const params = spAuthorizeParams(SP.default, {
          acr_values: "eidas3",
          ...requiresAcr({ value: "eidas2" }),
        });
        const browser = new TestBrowser();
        const page = await browser.navigate(`${emulator().issuer}/authorize?${params}`);
        const action = loginFormOf(page.body);
        expect(action).toBeDefined();
        const after = await browser.navigate(new URL(action!, page.url), {
          method: "POST",
          form: { email: "test@fia1.fr" },
          stopAt: toRp,
        });
        expect(after.location).toBeUndefined();
        expect(after.status).toBe(200);
        expect(loginFormOf(after.body)).toBeDefined();
      },
    );

    for (const [line, acrValues, actual] of [
      [60, "eidas1", "eidas1"],
      [61, "inconnu", "eidas1"],
      [62, "eidas2 eidas3", "eidas2"],
      [63, "inconnu eidas3", "eidas3"],
    ] as const) {
      it(
        scenario(FEATURE, line, `identification niveau acrValues="${acrValues}" → ${actual}`),
        async () => {
          const params = spAuthorizeParams(SP.default, { acr_values: acrValues });
          const { callback } = await login(emulator(), params, { email: "test@fia1.fr" });
          const { idToken } = await redeem(emulator(), callback!);
          expect(idToken.acr).toBe(actual);
        },
      );
    }

    it(scenario(FEATURE, 85, "aucun niveau de sécurité requis"), async () => {
      const params = spAuthorizeParams(SP.default, {
        claims: { id_token: { amr: null, acr: { essential: true } } },
      });
      const { callback } = await login(emulator(), params, { email: "test@fia1.fr" });
      const { idToken } = await redeem(emulator(), callback!);
      expect(idToken.acr).toBe("eidas1");
    });
  });

  for (const [line, acr, idpAcr] of [
    [46, "eidas1", "eidas2"],
    [47, "eidas2", "eidas1"],
  ] as const) {
    describe(`the FI answers ${idpAcr}`, () => {
      const emulator = withFiAcr(idpAcr);
      it(
        scenario(FEATURE, line, `Erreur d'authentification acr=${acr} exigé, idpAcr=${idpAcr}`),
        async () => {
          const params = spAuthorizeParams(SP.default, requiresAcr({ value: acr }));
          const { callback } = await login(emulator(), params, { email: "test@fia1.fr" });
          const location = callback!.href;
          expect(location).toContain("/oidc-callback?error=");
          expect(location).toContain("error=access_denied");
          expect(location).toContain(
            "error_description=requested%20ACRs%20could%20not%20be%20satisfied",
          );
          expect(callback!.searchParams.get("state")).toBe(params.get("state"));
        },
      );
    });
  }

  describe("the FI answers eidas3", () => {
    const emulator = withFiAcr("eidas3");
    it(scenario(FEATURE, 65, "FI retourne le niveau eidas3"), async () => {
      const params = spAuthorizeParams(SP.default, { acr_values: "eidas1" });
      const { callback } = await login(emulator(), params, { email: "test@fia1.fr" });
      const { idToken } = await redeem(emulator(), callback!);
      expect(idToken.acr).toBe("eidas3");
    });
  });

  describe("the FI answers an acr ProConnect does not know", () => {
    const emulator = withFiAcr("inconnu");
    it(scenario(FEATURE, 75, "FI retourne un niveau inconnu"), async () => {
      const params = spAuthorizeParams(SP.default, { acr_values: "eidas1" });
      const { callback } = await login(emulator(), params, { email: "test@fia1.fr" });
      const { idToken, userinfo } = await redeem(emulator(), callback!);
      expect(idToken.acr).toBe("eidas1");
      // identity.sanitizer.ts: idp_acr is the FI's acr as it sent it.
      expect(userinfo.idp_acr).toBe("inconnu");
    });
  });

  describe("a second FI that is not MFA-compliant answers eidas1-mfa", () => {
    const emulator = useFederation({
      identities: [testFia1, testFia2],
      identityProviders: { fia2v2: { acr: "eidas1-mfa" } },
    });
    it(
      scenario(FEATURE, 94, "le FI n'est pas MFA-compliant et retourne un claim acr demandé"),
      async () => {
        // "la page du FI n'affiche pas de requestedAcrs": what ProConnect forwards to the FI is not
        // shown by the emulator; the FI's eidas1-mfa meets the essential acr, with no e-mail code.
        const params = spAuthorizeParams(
          SP.default,
          requiresAcr({ values: ["eidas0-mfa", "eidas1-mfa", "eidas2", "eidas3"] }),
        );
        const { callback } = await login(emulator(), params, {
          email: "test@fia2.fr",
          emailCode: false,
        });
        const { idToken } = await redeem(emulator(), callback!);
        expect(idToken.acr).toBe("eidas1-mfa");
      },
    );
  });
});
