// The people of the federation's FI mocks (quality/cypress: the mock identity provider's default user,
// changed on its page by "j'utilise l'identité avec le sub …", "… avec email incorrect"…), as emulator
// identities, and a service provider's sign-in and logout for the usager features.
import { expect } from "vitest";
import {
  TestBrowser,
  type EmulatorIdentityInput,
  type NavigateOptions,
  type ProConnectEmulator,
} from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { authorizeParams, login, postLogoutUriOf, redeem, redirectUriOf, SP } from "./harness.js";

/** The FI mocks' user (its validation target in connexion-identite-personnalisee's support e-mail). */
export function person(overrides: Partial<EmulatorIdentityInput> = {}): EmulatorIdentityInput {
  return {
    sub: "1",
    idp_id: "fia1v2",
    given_name: "John",
    usual_name: "Doe",
    email: "test@fia1.fr",
    uid: "1",
    siret: "21920023500014",
    siren: "219200235",
    organizational_unit: "comptabilite",
    belonging_population: "agent",
    phone_number: "+49 000 000000",
    "chorusdt:matricule": "USER_AGC",
    "chorusdt:societe": "CHT",
    organization: { kind: "territoriale", label: "Commune de Nanterre" },
    ...overrides,
  };
}

/** The service providers' names in the fixtures (service-providers.json). */
export const SP_NAMES: Record<string, string> = {
  [SP.default]: "FSA - FSA1-LOW",
  [SP.second]: "FSA - FSA2-LOW",
  [SP.third]: "FSA - FSA3-LOW",
};

/**
 * A person signs in at the service provider `clientId` as `as` ("je clique sur le bouton ProConnect",
 * "j'entre l'email", "je m'authentifie") and is signed in there ("je suis connecté au fournisseur de
 * service": its code exchanged, its userinfo read, whose `sub` is the id_token's).
 */
export async function signInAt(
  emulator: ProConnectEmulator,
  as: NavigateOptions,
  clientId: string = SP.default,
  browser = new TestBrowser(),
) {
  const params = authorizeParams({
    client_id: clientId,
    redirect_uri: redirectUriOf(clientId),
    scope: "openid given_name usual_name email uid siret idp_id custom",
  });
  const { callback, status, body } = await login(emulator, params, as, browser);
  if (!callback) throw new Error(`no callback: ${status} ${body.slice(0, 300)}`);
  expect(callback.searchParams.get("error")).toBeNull();
  const redeemed = await redeem(emulator, callback, clientId);
  expect(redeemed.userinfo.sub).toBe(redeemed.idToken.sub);
  return { browser, ...redeemed, sub: String(redeemed.idToken.sub) };
}

/** "je clique sur le bouton de déconnexion", then "je suis déconnecté du fournisseur de service". */
export async function signOut(
  emulator: ProConnectEmulator,
  browser: TestBrowser,
  idToken: string,
  clientId: string = SP.default,
) {
  const url = new URL(`${emulator.issuer}/session/end`);
  url.searchParams.set("id_token_hint", idToken);
  url.searchParams.set("post_logout_redirect_uri", postLogoutUriOf(clientId));
  const page = await browser.navigate(url, { stopAt: toRp });
  expect(page.location?.href).toBe(postLogoutUriOf(clientId));
}

/** The fixtures' "tous les scopes" (scopes.json). */
export const ALL_SCOPES =
  "openid uid given_name usual_name email siren siret organizational_unit belonging_population phone chorusdt idp_id idp_acr custom roles organization_label";

/**
 * "le fournisseur de service a accès aux informations du scope « tous les scopes » (or « … sauf phone »)
 * en provenance du FI …": the person's values, the FI's `idp_id` and `idp_acr`, and no other claim
 * than the signed userinfo's own.
 */
export function expectAllScopes(
  userinfo: Record<string, unknown>,
  sent: EmulatorIdentityInput,
  { phone }: { phone: boolean },
) {
  const fromFi = [
    "uid",
    "given_name",
    "usual_name",
    "email",
    "siren",
    "siret",
    "organizational_unit",
    "belonging_population",
    "chorusdt:matricule",
    "chorusdt:societe",
    ...(phone ? ["phone_number"] : []),
  ] as const;
  const values = sent as Record<string, unknown>;
  for (const claim of fromFi) expect(userinfo[claim], claim).toEqual(values[claim]);
  expect(userinfo).toMatchObject({ idp_id: sent.idp_id, idp_acr: "eidas1", custom: {} });
  expect(Object.keys(userinfo).sort()).toEqual(
    [
      ...["aud", "exp", "iat", "iss", "sub", ...fromFi],
      ...["idp_id", "idp_acr", "custom", "roles", "organization_label"],
    ].sort(),
  );
}

/** "le lien vers le support est affiché": the error page's link to ProConnect's support, decoded. */
export function supportLinkOf(html: string): { subject: string; body: string } {
  const href = /<a href="(mailto:[^"]+)" data-contact-link>/
    .exec(html)?.[1]
    ?.replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
  expect(href).toContain(`mailto:${encodeURIComponent("support+federation@proconnect.gouv.fr")}`);
  const match = /subject=([^&]+)&body=([^&]+)/.exec(href!);
  expect(match).toHaveLength(3);
  return { subject: decodeURIComponent(match![1]!), body: decodeURIComponent(match![2]!) };
}
