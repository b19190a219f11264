// usager/connexion-scope.feature
import { describe, expect, it } from "vitest";
import { EMULATOR_SCOPES } from "../../lib/testing/claims.js";
import { TestBrowser, type EmulatorIdentityInput } from "../../lib/testing/index.js";
import { federationClients, scenario, SP, useFederation } from "./harness.js";
import { defaultCustomParams } from "./service-provider.js";
import { expectSpError, redeemAt, spRequest, toCallback } from "./sp-requests.js";

// identity-providers.json: the id of the FI "par défaut" (fia1), which the userinfo's idp_id must be.
const FIA1 = "9c716f61-b8a1-435c-a407-ef4d677ec270";

/** The FI mock's default user (user-helper.ts getDefaultUser), whom "test@fia1.fr" signs in as. */
const DEFAULT_USER = {
  belonging_population: "agent",
  "chorusdt:matricule": "USER_AGC",
  "chorusdt:societe": "CHT",
  custom: { email_verified: false, phone_number_verified: false },
  given_name: "John",
  organizational_unit: "comptabilite",
  phone_number: "+49 000 000000",
  siren: "219200235",
  siret: "21920023500014",
  uid: "1",
  usual_name: "Doe",
  roles: ["agent_public", "agent_public_territorial"],
  organization_label: "Commune de clamart - Mairie",
};

const person: EmulatorIdentityInput = {
  sub: "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1",
  idp_id: FIA1,
  email: "test@fia1.fr",
  given_name: DEFAULT_USER.given_name,
  usual_name: DEFAULT_USER.usual_name,
  uid: DEFAULT_USER.uid,
  siret: DEFAULT_USER.siret,
  siren: DEFAULT_USER.siren,
  organizational_unit: DEFAULT_USER.organizational_unit,
  belonging_population: DEFAULT_USER.belonging_population,
  phone_number: DEFAULT_USER.phone_number,
  "chorusdt:matricule": DEFAULT_USER["chorusdt:matricule"],
  "chorusdt:societe": DEFAULT_USER["chorusdt:societe"],
  custom: DEFAULT_USER.custom,
  organization: { kind: "territoriale", label: DEFAULT_USER.organization_label },
};

// service-providers.json: the third FS is "non habilité à demander le scope belonging_population".
const emulator = useFederation({
  identities: [person],
  clients: federationClients({
    [SP.third]: {
      publicAgentsOnly: false,
      // Every scope but belonging_population.
      scopes: EMULATOR_SCOPES.filter((scope) => scope !== "belonging_population"),
    },
  }),
});

/** scopes.json, by description. */
const SCOPES: Record<string, string> = {
  "tous les scopes":
    "openid uid given_name usual_name email siren siret organizational_unit belonging_population phone chorusdt idp_id idp_acr custom roles organization_label",
  obligatoires: "openid uid given_name usual_name email",
  "obligatoires et siren/siret": "openid uid given_name usual_name email siren siret",
  "obligatoires et organizational_unit/phone":
    "openid uid given_name usual_name email organizational_unit phone",
  "obligatoires et belonging_population":
    "openid uid given_name usual_name email belonging_population",
  "obligatoires et idp_id": "openid uid given_name usual_name email idp_id",
  "obligatoires et idp_acr": "openid uid given_name usual_name email idp_acr",
  "obligatoires sans openid": "uid given_name usual_name email",
  chorusdt: "openid chorusdt",
  "email avec scope inconnu": "openid email inconnu",
  email: "openid email",
  anonyme: "openid",
  vide: "",
};

// sp-claims-helper.ts getClaims: a scope's claims.
const ALIASES: Record<string, string[]> = {
  chorusdt: ["chorusdt:matricule", "chorusdt:societe"],
  openid: ["sub"],
  phone: ["phone_number"],
};
const claimsOf = (scopes: string) => [
  ...new Set(scopes.split(" ").flatMap((scope) => ALIASES[scope] ?? [scope])),
];

/** "je clique sur le bouton ProConnect" with the scopes of `description` in the custom params. */
const withScopes = (description: string) => ({
  ...defaultCustomParams(),
  scope: SCOPES[description],
});

async function signInWithScopes(description: string) {
  const request = await spRequest(emulator(), { custom: withScopes(description) });
  const callback = await toCallback(new TestBrowser(), request, { email: "test@fia1.fr" });
  return redeemAt(request, callback);
}

/**
 * "le fournisseur de service « par défaut » a accès aux informations des scopes … en provenance du FI
 * « par défaut »" (checkExpectedUserClaims, checkNoExtraClaims): each claim of the scopes (but sub and
 * email) has the default user's value, with the FI's idp_id and idp_acr; no other claim than those and
 * the signed userinfo's own.
 */
function expectScopes(userinfo: Record<string, unknown>, description: string) {
  const expected = claimsOf(SCOPES[description] ?? "");
  const values: Record<string, unknown> = { ...DEFAULT_USER, idp_id: FIA1, idp_acr: "eidas1" };
  for (const claim of expected.filter((name) => name !== "sub" && name !== "email")) {
    expect(userinfo[claim], claim).toEqual(values[claim]);
  }
  const own = ["aud", "exp", "iat", "iss", "sub"];
  expect(
    Object.keys(userinfo).filter((key) => !own.includes(key) && !expected.includes(key)),
  ).toEqual([]);
  expect(userinfo.sub).toEqual(expect.any(String));
}

describe("connexion-scope.feature", () => {
  for (const description of [
    "tous les scopes",
    "obligatoires",
    "obligatoires et siren/siret",
    "obligatoires et organizational_unit/phone",
    "obligatoires et belonging_population",
    "obligatoires et idp_id",
    "obligatoires et idp_acr",
    "email",
    "chorusdt",
  ]) {
    it(scenario("connexion-scope", 5, `Connexion d'un usager - scope ${description}`), async () => {
      const { userinfo } = await signInWithScopes(description);
      expectScopes(userinfo, description);
    });
  }

  it(scenario("connexion-scope", 31, "Connexion d'un usager - scope anonyme"), async () => {
    const { userinfo } = await signInWithScopes("anonyme");
    expectScopes(userinfo, "anonyme");
  });

  it(scenario("connexion-scope", 41, "attribut scope inconnu ignoré"), async () => {
    const { userinfo } = await signInWithScopes("email avec scope inconnu");
    expectScopes(userinfo, "email");
  });

  it(scenario("connexion-scope", 51, "erreur scope vide"), async () => {
    const request = await spRequest(emulator(), { custom: withScopes("vide") });
    expect(request.url.searchParams.has("scope")).toBe(false);
    const page = await new TestBrowser().navigate(request.url);
    expect(page.status).toBe(400);
    expect(page.body).toContain('data-error-code="Y000400"');
  });

  it(scenario("connexion-scope", 59, "erreur scope openid manquant"), async () => {
    const request = await spRequest(emulator(), { custom: withScopes("obligatoires sans openid") });
    const callback = await toCallback(new TestBrowser(), request);
    expectSpError(
      callback,
      "invalid_request",
      "openid%20scope%20must%20be%20requested%20when%20using%20the%20claims%20parameter",
    );
  });

  it(scenario("connexion-scope", 68, "erreur FS non habilité pour ce scope"), async () => {
    const request = await spRequest(emulator(), {
      clientId: SP.third,
      custom: withScopes("obligatoires et belonging_population"),
    });
    const callback = await toCallback(new TestBrowser(), request);
    expectSpError(callback, "invalid_scope", "requested%20scope%20is%20not%20allowed");
  });
});
