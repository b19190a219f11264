// usager/connexion-identite-personnalisee.feature
// The FI mock's page lets the person change what the FI sends ("j'utilise un compte usager avec
// téléphone incorrect", "… email incorrect", "… sans email", "… siret incorrect", "… dont le FI ne
// fournit pas le siret"): here each is an identity of the emulator. fia1 has a default SIRET
// (81801912700021), fia2 none (back/scripts/seed/data/identity-providers.ts).
import { describe, expect, it } from "vitest";
import { ALL_SCOPES, expectAllScopes, person, supportLinkOf } from "./fi-people.js";
import { authorizeParams, errorPageOf, login, redeem, scenario, useFederation } from "./harness.js";

const emulator = useFederation({
  identities: [
    person({ sub: "bad-phone", email: "phone@fia1.fr", phone_number: "incorrect" }),
    person({ sub: "bad-email", email: "incorrect" }),
    person({ sub: "no-email", email: undefined }),
    person({ sub: "bad-email-fia2", idp_id: "fia2v2", email: "incorrect" }),
    person({ sub: "bad-siret", email: "siret@fia1.fr", siret: "incorrect" }),
    person({ sub: "bad-siret-fia2", idp_id: "fia2v2", email: "siret@fia2.fr", siret: "incorrect" }),
    person({ sub: "no-siret-fia2", idp_id: "fia2v2", email: "nosiret@fia2.fr", siret: undefined }),
  ],
  identityProviders: { fia1v2: { defaultSiret: "81801912700021" }, fia2v2: {} },
});

/** "le lien correspond à l'erreur Y500006 avec l'email …": the constraints, and what the FI sent. */
function expectInvalidEmailLink(html: string, sub: string, idpId: string) {
  const { body } = supportLinkOf(html);
  const constraints = /\[\s*\{[\s\S]*?\}\s*\]/.exec(body)?.[0];
  expect(JSON.parse(constraints!)).toEqual([{ isEmail: "email must be an email" }]);
  const target = /\{\s*"sub"[\s\S]*?\}/.exec(body)?.[0];
  const { organization: _organization, ...sent } = person({
    sub,
    idp_id: idpId,
    email: "incorrect",
  });
  const { idp_id: _idpId, ...fromFi } = sent;
  expect(JSON.parse(target!)).toEqual(fromFi);
}

async function refused(sub: string) {
  const { status, body, callback } = await login(emulator(), authorizeParams(), { sub });
  expect(callback).toBeUndefined();
  expect(errorPageOf(body).code).toBe("Y500006");
  return { status, body };
}

describe("connexion-identite-personnalisee.feature", () => {
  it(
    scenario(
      "connexion-identite-personnalisee",
      4,
      "Connexion d'un usager - claim phone_number non renvoyé si mauvais format",
    ),
    async () => {
      const { callback } = await login(emulator(), authorizeParams({ scope: ALL_SCOPES }), {
        sub: "bad-phone",
      });
      const { userinfo } = await redeem(emulator(), callback!);
      expectAllScopes(userinfo, person({ sub: "bad-phone", email: "phone@fia1.fr" }), {
        phone: false,
      });
      expect(userinfo).toMatchObject({
        roles: ["agent_public", "agent_public_territorial"],
        organization_label: "Commune de Nanterre",
      });
    },
  );

  it(
    scenario(
      "connexion-identite-personnalisee",
      14,
      "Connexion d'un usager - mauvais format d'email et vérification de l'erreur",
    ),
    async () => {
      const { body } = await refused("bad-email");
      expectInvalidEmailLink(body, "bad-email", "fia1v2");
    },
  );

  it(
    scenario("connexion-identite-personnalisee", 26, "Connexion d'un usager - pas d'email"),
    async () => {
      await refused("no-email");
    },
  );

  it(
    scenario(
      "connexion-identite-personnalisee",
      37,
      "Connexion d'un usager avec un FI sans supportEmail - mauvais format d'email et vérification de l'erreur",
    ),
    async () => {
      const { body } = await refused("bad-email-fia2");
      expectInvalidEmailLink(body, "bad-email-fia2", "fia2v2");
    },
  );

  it(
    scenario(
      "connexion-identite-personnalisee",
      50,
      "Connexion d'un usager - mauvais format de siret avec siret par défaut",
    ),
    async () => {
      const { callback } = await login(emulator(), authorizeParams({ scope: "openid siret" }), {
        sub: "bad-siret",
      });
      const { userinfo } = await redeem(emulator(), callback!);
      expect(userinfo.siret).toBe("81801912700021");
    },
  );

  it(
    scenario(
      "connexion-identite-personnalisee",
      60,
      "Connexion d'un usager - mauvais format de siret sans siret par défaut",
    ),
    async () => {
      await refused("bad-siret-fia2");
    },
  );

  it(
    scenario(
      "connexion-identite-personnalisee",
      71,
      "Connexion d'un usager - siret non fourni sans siret par défaut",
    ),
    async () => {
      await refused("no-siret-fia2");
    },
  );
});
