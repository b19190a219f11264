// usager/connexion-usager-multi-fi.feature
// An address whose domain is attached to several FIs: ProConnect shows its FI selection page, then the
// chosen FI's. The selection page is not reproduced (set aside): the person has an identity at each FI,
// and picks the one of the chosen FI on the emulator's login page.
import { describe, expect, it } from "vitest";
import { ALL_SCOPES, expectAllScopes, person } from "./fi-people.js";
import { authorizeParams, login, redeem, scenario, useFederation } from "./harness.js";

const AT = {
  fia1v2: person({ sub: "polyfi-fia1", email: "test@polyfi.fr" }),
  fia2v2: person({ sub: "polyfi-fia2", idp_id: "fia2v2", email: "test@polyfi.fr" }),
};

const emulator = useFederation({ identities: Object.values(AT) });

const ROWS = [
  {
    line: 26,
    label: "Identity Provider 1 - eIDAS faible - ES256",
    idp: "par défaut",
    idpId: "fia1v2",
  },
  {
    line: 27,
    label: "Identity Provider 2 - eIDAS faible - RS256",
    idp: "second FI",
    idpId: "fia2v2",
  },
] as const;

describe("connexion-usager-multi-fi.feature", () => {
  for (const { line, label, idp, idpId } of ROWS) {
    it(
      scenario(
        "connexion-usager-multi-fi",
        line,
        `Connexion d'un usager au FI ${label} (${idp}, tous les scopes)`,
      ),
      async () => {
        const sent = AT[idpId];
        const { callback } = await login(emulator(), authorizeParams({ scope: ALL_SCOPES }), {
          sub: sent.sub,
        });
        expect(callback?.searchParams.get("code")).toBeTruthy();
        const { userinfo } = await redeem(emulator(), callback!);
        expectAllScopes(userinfo, sent, { phone: true });
      },
    );
  }
});
