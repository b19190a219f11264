// The mock service provider's authorize requests as its buttons send them (mock-service-provider/src/
// app.ts): "je clique sur le bouton ProConnect" (its custom-params box), "… ProConnect PKCE" (its
// default parameters with an S256 challenge), and what the usager steps check of its callback.
import * as client from "openid-client";
import { expect } from "vitest";
import type { NavigateOptions, ProConnectEmulator, TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { redirectUriOf, SP } from "./harness.js";
import { defaultCustomParams, MockServiceProvider, type SignedIn } from "./service-provider.js";

export interface SpRequest {
  sp: MockServiceProvider;
  url: URL;
  state: string;
  nonce: string;
  verifier?: string;
}

/**
 * The authorize URL the mock builds (its objToUrlParams: objects as JSON, empty values left out).
 * `pkce` adds a challenge and `code_challenge_method=S256`, as its PKCE button does; `custom` replaces
 * parameters (`undefined` removes one, as the steps' interception of the request does).
 */
export async function spRequest(
  emulator: ProConnectEmulator,
  {
    clientId = SP.default,
    custom = defaultCustomParams(),
    pkce = false,
    set = {},
  }: {
    clientId?: string;
    custom?: Record<string, unknown>;
    pkce?: boolean;
    set?: Record<string, string | undefined>;
  } = {},
): Promise<SpRequest> {
  const sp = new MockServiceProvider(emulator, clientId);
  const config = await sp.config();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = pkce ? client.randomPKCECodeVerifier() : undefined;
  const params: Record<string, string> = { nonce, state, redirect_uri: redirectUriOf(clientId) };
  for (const [name, value] of Object.entries(custom)) {
    if (value) params[name] = typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  if (verifier) {
    params.code_challenge = await client.calculatePKCECodeChallenge(verifier);
    params.code_challenge_method = "S256";
  }
  const url = client.buildAuthorizationUrl(config, params);
  for (const [name, value] of Object.entries(set)) {
    if (value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return { sp, url, state, nonce, verifier };
}

/**
 * The person's browser goes through the request, signing in `as` on the emulator's page when it
 * shows, up to the service provider's callback: "je suis redirigé vers … fournisseur de service".
 */
export async function toCallback(
  browser: TestBrowser,
  request: SpRequest,
  as: NavigateOptions = {},
): Promise<URL> {
  const page = await browser.navigate(request.url, { ...as, stopAt: toRp });
  if (!page.location) {
    throw new Error(
      `no redirect to the service provider: ${page.status} ${page.body.match(/data-error-[a-z]+="[^"]*"/g)?.join(" ")}`,
    );
  }
  return page.location;
}

/** The mock's /oidc-callback: the code exchanged (with the PKCE verifier) and the userinfo read. */
export async function redeemAt(request: SpRequest, callback: URL): Promise<SignedIn> {
  const config = await request.sp.config();
  const tokens = await client.authorizationCodeGrant(config, callback, {
    expectedNonce: request.nonce,
    expectedState: request.state,
    pkceCodeVerifier: request.verifier,
  });
  const idToken = tokens.claims();
  if (!idToken) throw new Error("no id_token");
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  return { tokens, idToken, userinfo };
}

/**
 * "je suis redirigé vers la page erreur du fournisseur de service", "le titre de l'erreur … est" and
 * "la description de l'erreur … est": the callback's URL as the browser shows it holds
 * `/oidc-callback?error=`, `error=<error>` and `error_description=<description>`, as written (encoded).
 */
export function expectSpError(callback: URL, error: string, encodedDescription: string): void {
  expect(callback.href).toContain("/oidc-callback?error=");
  expect(callback.href).toContain(`error=${error}`);
  expect(callback.href).toContain(`error_description=${encodedDescription}`);
}
