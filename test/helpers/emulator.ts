import { randomBytes } from "node:crypto";
import * as client from "openid-client";
import {
  startProConnectEmulator,
  TestBrowser,
  type BackChannelEndpoint,
  type EmulatorClientInput,
  type EmulatorFault,
  type EmulatorOptions,
  type ProConnectEmulator,
} from "../../lib/testing/index.js";

export const CLIENT_SECRET = "emulator-test-secret-of-more-than-32-characters";
// Nothing listens on port 9 (discard): the flows stop before following a redirect there.
export const RP = "http://127.0.0.1:9";
export const REDIRECT_URI = `${RP}/callback`;
export const POST_LOGOUT_REDIRECT_URI = `${RP}/logout/callback`;
export const toRp = (url: URL) => url.origin === RP;
/** A TestBrowser's `stopAt` for the redirects to `emulator`: where a login or a logout reaches ProConnect. */
export const toEmulator = (emulator: ProConnectEmulator) => (url: URL) =>
  url.origin === emulator.url;

export function testClient(overrides: Partial<EmulatorClientInput> = {}): EmulatorClientInput {
  return {
    clientId: "test-app",
    clientSecret: CLIENT_SECRET,
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [POST_LOGOUT_REDIRECT_URI],
    ...overrides,
  };
}

/**
 * Registers with `emulator` the app whose routes are under `base`, as `clientId`: its callback and
 * post-logout URIs there, and `overrides`.
 */
export function registerApp(
  emulator: ProConnectEmulator,
  clientId: string,
  base: string,
  overrides: Partial<EmulatorClientInput> = {},
): void {
  emulator.registerClient(
    testClient({
      clientId,
      redirectUris: [`${base}/callback`],
      postLogoutRedirectUris: [`${base}/logout/callback`],
      ...overrides,
    }),
  );
}

/**
 * Registers a resource server (an API that introspects the tokens it is sent) as `clientId`: it never
 * signs anyone in, so its redirect URI is one nothing serves.
 */
export function registerResourceServer(
  emulator: ProConnectEmulator,
  clientId: string,
  overrides: Partial<EmulatorClientInput> = {},
): void {
  emulator.registerClient({
    clientId,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${RP}/unused`],
    ...overrides,
  });
}

/** Makes `emulator` answer `fault` on its `endpoint` alone, until its tamper hooks are reset. */
export function failOnly(
  emulator: ProConnectEmulator,
  endpoint: BackChannelEndpoint,
  fault: EmulatorFault,
): void {
  emulator.setTamper({ fault: (called) => (called === endpoint ? fault : undefined) });
}

/** A strict emulator (ProConnect's documented rules) with the test client registered. */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<ProConnectEmulator> {
  return startProConnectEmulator({ strict: true, clients: [testClient()], ...options });
}

export async function discover(
  emulator: ProConnectEmulator,
  metadata: Partial<client.ClientMetadata> = {},
  auth: client.ClientAuth = client.ClientSecretPost(CLIENT_SECRET),
): Promise<client.Configuration> {
  const config = await client.discovery(new URL(emulator.issuer), "test-app", metadata, auth, {
    execute: [client.allowInsecureRequests],
  });
  return config;
}

/** Documented minimum is 32 characters: 43 random base64url characters. */
export const random = () => randomBytes(32).toString("base64url");

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

export async function authorizationRequest(
  config: client.Configuration,
  params: Record<string, string> = {},
): Promise<AuthorizationRequest> {
  const state = random();
  const nonce = random();
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid email given_name usual_name uid siret siren idp_id idp_acr",
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...params,
  });
  return { url, state, nonce, verifier };
}

export function exchange(
  config: client.Configuration,
  callback: URL,
  request: AuthorizationRequest,
) {
  return client.authorizationCodeGrant(config, callback, {
    expectedState: request.state,
    expectedNonce: request.nonce,
    pkceCodeVerifier: request.verifier,
  });
}

/** Authorizes with `params`, signs `email` in on the emulator's page, and returns the app's callback URL. */
export async function callbackFor(
  config: client.Configuration,
  email: string,
  params: Record<string, string> = {},
  browser = new TestBrowser(),
) {
  const request = await authorizationRequest(config, params);
  const page = await browser.navigate(request.url, { email, stopAt: toRp });
  if (!page.location)
    throw new Error(`no redirect to the app: ${page.status} ${page.body.slice(0, 200)}`);
  return { request, callback: page.location };
}

/** A whole login: {@link callbackFor}, then the code exchanged for tokens. */
export async function signIn(
  config: client.Configuration,
  email: string,
  params: Record<string, string> = {},
  browser = new TestBrowser(),
) {
  const { request, callback } = await callbackFor(config, email, params, browser);
  return { request, callback, tokens: await exchange(config, callback, request) };
}

/** What a promise rejects with (undefined when it resolves), to assert on errors' fields. */
export const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** The ProConnect error code (Y000400…) an emulator error page shows. */
export const errorCode = (html: string): string | undefined =>
  /data-error-code="([^"]+)"/.exec(html)?.[1];
