// ProConnect's acceptance suite (proconnect-gouv/federation, quality/cypress/integration/ at dffa09e5),
// replayed against the emulator. The cypress steps drive a real server through its test service
// providers (fixtures/fca-low/docker/); these helpers play those service providers at the HTTP level.
import { afterAll, beforeAll } from "vitest";
import {
  startProConnectEmulator,
  TestBrowser,
  type EmulatorClientInput,
  type EmulatorOptions,
  type NavigateOptions,
  type ProConnectEmulator,
} from "../../lib/testing/index.js";
import { CLIENT_SECRET, RP, testClient, toRp } from "../helpers/emulator.js";

/** The federation's commit the scenarios are ported from. */
export const FEDERATION_COMMIT = "dffa09e5";

/**
 * A test name that points at the scenario it ports: `api-authorize.feature:3 client_id=inconnu`.
 * Example rows add their values after the title.
 */
export const scenario = (feature: string, line: number, title: string): string =>
  `${feature}.feature:${line} ${title}`;

/**
 * The federation's test service providers, as its fixtures describe them (service-providers.json):
 * "par défaut" (all scopes), "second FS" (ES256 userinfo, accepts the private sector) and "troisième
 * FS" (RS256, not allowed `belonging_population`, an e-mail domain restriction).
 */
export const SP = {
  default: "fsa1-low",
  second: "fsa2-low",
  third: "fsa3-low",
} as const;

/** The userinfo's signing algorithm each of them registered (service-providers.json). */
export const USERINFO_ALG: Readonly<Record<string, "ES256" | "RS256">> = {
  [SP.default]: "ES256",
  [SP.second]: "ES256",
  [SP.third]: "RS256",
};

export const redirectUriOf = (clientId: string) => `${RP}/${clientId}/oidc-callback`;
export const postLogoutUriOf = (clientId: string) => `${RP}/${clientId}/logout-callback`;

function serviceProvider(
  clientId: string,
  overrides: Partial<EmulatorClientInput> = {},
): EmulatorClientInput {
  return testClient({
    clientId,
    redirectUris: [redirectUriOf(clientId)],
    postLogoutRedirectUris: [postLogoutUriOf(clientId)],
    ...overrides,
  });
}

/** The three service providers of the fixtures, with `overrides` per client id. */
export function federationClients(
  overrides: Record<string, Partial<EmulatorClientInput>> = {},
): EmulatorClientInput[] {
  return [
    serviceProvider(SP.default, overrides[SP.default]),
    serviceProvider(SP.second, {
      userinfoSignedResponseAlg: USERINFO_ALG[SP.second],
      ...overrides[SP.second],
    }),
    serviceProvider(SP.third, {
      userinfoSignedResponseAlg: USERINFO_ALG[SP.third],
      publicAgentsOnly: true,
      ...overrides[SP.third],
    }),
  ];
}

/**
 * Starts, for the test file, an emulator with the server's behaviour (not `strict`) and the fixtures'
 * service providers; `options` adds to or replaces them. Returns a getter, valid once `beforeAll` ran.
 */
export function useFederation(options: EmulatorOptions = {}): () => ProConnectEmulator {
  let emulator: ProConnectEmulator | undefined;
  beforeAll(async () => {
    emulator = await startProConnectEmulator({ clients: federationClients(), ...options });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  return () => {
    if (!emulator) throw new Error("the emulator has not started: call it inside a test");
    return emulator;
  };
}

/**
 * The authorize request of the fixtures (api-common.json, "authorize"): `scope=openid profile`,
 * `acr_values=eidas1`, `amr` essential, `prompt=login consent`, for the default service provider.
 * `set` replaces parameters, `remove` drops them (the steps "je mets" and "je retire").
 */
export function authorizeParams(
  set: Record<string, string> = {},
  remove: readonly string[] = [],
): URLSearchParams {
  const params = new URLSearchParams({
    scope: "openid profile",
    acr_values: "eidas1",
    claims: JSON.stringify({ id_token: { amr: { essential: true } } }),
    prompt: "login consent",
    client_id: SP.default,
    redirect_uri: redirectUriOf(SP.default),
    response_type: "code",
    state: "00919d38c2f28fd6aa362042ee987200b8e8fee50a1a04bd34d192e40fe1186b",
    nonce: "f23f6cebd994466d1de0975d21471294fd729a2a6e5b16dbf0d6f6247a2f6917",
  });
  for (const [name, value] of Object.entries(set)) params.set(name, value);
  for (const name of remove) params.delete(name);
  return params;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: string;
  /** The `Location` header as sent, undecoded: the steps compare it literally. */
  location: string | undefined;
}

/**
 * One request, as cypress's `cy.api` sends it with `followRedirect: false` ("je configure la requête
 * pour ne pas suivre les redirections"): no cookies, no redirect followed.
 */
export async function api(
  url: string | URL,
  init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const response = await fetch(url, {
    method: init.method ?? (init.form ? "POST" : "GET"),
    redirect: "manual",
    headers: {
      ...(init.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      ...init.headers,
    },
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: await response.text(),
    location: response.headers.get("location") ?? undefined,
  };
}

/** `GET /authorize` with the fixtures' parameters changed by `set` and `remove`, redirects not followed. */
export function authorize(
  emulator: ProConnectEmulator,
  set: Record<string, string> = {},
  remove: readonly string[] = [],
): Promise<ApiResponse> {
  return api(`${emulator.issuer}/authorize?${authorizeParams(set, remove).toString()}`);
}

/**
 * The parameters of a redirect to a service provider's callback, from its query or, for the response
 * types that call for it, its fragment ("l'url de callback du FS a un paramètre … égal à …").
 * `raw` is the query or fragment as sent, to check how it is encoded.
 */
export function callbackParams(location: string): { params: URLSearchParams; raw: string } {
  const url = new URL(location);
  const raw = url.hash ? url.hash.slice(1) : url.search.slice(1);
  return { params: new URLSearchParams(raw), raw };
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };
const unescapeHtml = (value: string) =>
  value.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name] ?? "");

/**
 * One of the emulator's error pages as ProConnect's steps read the server's: "le code d'erreur est …"
 * (`code`), "le message d'erreur est …" (`message`), "le titre de la page d'erreur est …" (`title`),
 * "le lien retour vers le FS (est|n'est pas) affiché" (`backLink`). `undefined` when the page has none.
 */
export function errorPageOf(html: string): {
  code?: string;
  message?: string;
  title?: string;
  backLink: boolean;
} {
  const attribute = (name: string) => {
    const value = new RegExp(`${name}="([^"]*)"`).exec(html)?.[1];
    return value === undefined ? undefined : unescapeHtml(value);
  };
  return {
    code: attribute("data-error-code"),
    message: attribute("data-error-message"),
    title: attribute("data-error-title"),
    backLink: html.includes("data-back-to-sp-link"),
  };
}

/**
 * A person's browser at a service provider: it sends the authorize request, signs `as` in on the
 * emulator's page (a `NavigateOptions` for anything more) and stops at the callback, whose URL it
 * returns with the browser (which keeps ProConnect's session for the next scenario step).
 */
export async function login(
  emulator: ProConnectEmulator,
  params: URLSearchParams,
  as: NavigateOptions = {},
  browser = new TestBrowser(),
): Promise<{ browser: TestBrowser; status: number; body: string; callback?: URL }> {
  const page = await browser.navigate(`${emulator.issuer}/authorize?${params.toString()}`, {
    ...as,
    stopAt: toRp,
  });
  return { browser, status: page.status, body: page.body, callback: page.location };
}

/**
 * The service provider's back channel after a callback: the code exchanged (`client_secret_post`) and
 * the userinfo read, decoded without verification (the emulator's signatures are tested elsewhere).
 */
export async function redeem(
  emulator: ProConnectEmulator,
  callback: URL,
  clientId: string = SP.default,
): Promise<{
  tokens: Record<string, unknown>;
  idToken: Record<string, unknown>;
  userinfo: Record<string, unknown>;
}> {
  const code = callback.searchParams.get("code");
  if (!code) throw new Error(`no code in the callback: ${callback.search}`);
  const token = await api(`${emulator.issuer}/token`, {
    form: {
      grant_type: "authorization_code",
      client_id: clientId,
      client_secret: CLIENT_SECRET,
      redirect_uri: redirectUriOf(clientId),
      code,
    },
  });
  if (token.status !== 200) throw new Error(`token endpoint: ${token.status} ${token.body}`);
  const tokens = JSON.parse(token.body) as Record<string, unknown>;
  const userinfo = await fetch(`${emulator.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${String(tokens.access_token)}` },
  });
  return {
    tokens,
    idToken: payloadOf(String(tokens.id_token)),
    userinfo: payloadOf(await userinfo.text()),
  };
}

/** A JWS's payload, unverified. */
export function payloadOf(jws: string): Record<string, unknown> {
  const part = jws.split(".")[1];
  if (part === undefined) throw new Error(`not a JWS: ${jws.slice(0, 80)}`);
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}
