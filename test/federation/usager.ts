// Steps of the usager features shared by their ports: the mock service provider's authorize request
// (its custom-params box) and the emulator's login page, which stands for ProConnect's interaction
// page and the FI's login page.
import { randomBytes } from "node:crypto";
import {
  DEFAULT_IDENTITIES,
  TestBrowser,
  type EmulatorIdentityInput,
  type NavigateOptions,
  type ProConnectEmulator,
} from "../../lib/testing/index.js";
import { redirectUriOf, SP } from "./harness.js";
import { customParams, defaultCustomParams, MockServiceProvider } from "./service-provider.js";

/**
 * The authorize request of the fixtures' mock service provider, "je clique sur le bouton ProConnect":
 * its default custom params (scopes, `claims` asking for `amr`, no `acr_values`, no `prompt`), a new
 * state and nonce. `custom` changes them as its custom-params box does: objects are sent as JSON, and
 * an empty or `undefined` value removes the parameter (its objToUrlParams).
 */
export function spAuthorizeParams(
  clientId: string = SP.default,
  custom: Record<string, unknown> = {},
): URLSearchParams {
  const all: Record<string, unknown> = {
    nonce: randomBytes(16).toString("hex"),
    state: randomBytes(16).toString("hex"),
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUriOf(clientId),
    ...defaultCustomParams(),
    ...custom,
  };
  return new URLSearchParams(customParams(all));
}

/**
 * The action of the emulator's login page, "je suis redirigé vers la page interaction" (and the FI's
 * login page); undefined on any other page.
 */
export function loginFormOf(html: string): string | undefined {
  const action = /<form method="post" action="([^"]*\/interaction\/[^"]+\/login)"/.exec(html)?.[1];
  return action?.replace(/&amp;/g, "&");
}

/**
 * A person of the fixtures' FI mocks as an emulator identity: the default agent (test@fia1.fr's
 * claims) with `email`, at `idp_id`, reaching the acr values `acr` (the FI answers the first one asked
 * for that it can reach, else the first).
 */
export function agent(
  email: string,
  idp_id = "fia1v2",
  overrides: Partial<EmulatorIdentityInput> = {},
): EmulatorIdentityInput {
  const [base] = DEFAULT_IDENTITIES;
  if (!base) throw new Error("the emulator has no default identity");
  return {
    ...base,
    label: email,
    sub: `${idp_id}:${email}`,
    idp_id,
    email,
    acr: ["eidas1"],
    amr: ["pwd"],
    ...overrides,
  };
}

/** The e-mail code page's form ("je suis redirigé vers la page de vérification de l'email"). */
export function codeFormOf(html: string): string | undefined {
  const action = /<form method="post" action="([^"]*\/verification-email)"/.exec(html)?.[1];
  return action?.replace(/&amp;/g, "&");
}

export interface SignInAtOptions {
  /** Who signs in if the login page shows (ProConnect's session may sign the person in at once). */
  as?: NavigateOptions;
  /** The service provider's custom params, over its defaults (as {@link spAuthorizeParams} takes them). */
  custom?: Record<string, unknown>;
  /** The person's browser, which keeps ProConnect's session from one service provider to the next. */
  browser?: TestBrowser;
}

/**
 * "je clique sur le bouton ProConnect … je suis connecté au fournisseur de service", at the mock
 * service provider `clientId`: its sign-in, `custom` over its default custom params.
 */
export async function signInAt(
  emulator: ProConnectEmulator,
  clientId: string,
  { as = {}, custom = {}, browser = new TestBrowser() }: SignInAtOptions = {},
) {
  const provider = new MockServiceProvider(emulator, clientId);
  const signedIn = await provider.signIn(browser, as, { ...defaultCustomParams(), ...custom });
  return { browser, ...signedIn };
}
