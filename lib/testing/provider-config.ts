import { randomBytes, type JsonWebKey } from "node:crypto";
import type {
  Adapter,
  AdapterPayload,
  Configuration,
  interactionPolicy as InteractionPolicy,
} from "oidc-provider";
import { proconnectPolicy } from "./acr-policy.js";
import type { Accounts } from "./accounts.js";
import { ACR_VALUES } from "../acr.js";
import { SIGNING_ALGS } from "../algorithms.js";
import { EMULATOR_SCOPES, PROCONNECT_CLAIMS } from "./claims.js";
import { serverDescription } from "./descriptions.js";
import type {
  EmulatorClient,
  EmulatorIdentity,
  EmulatorTamper,
  ResolvedEmulatorOptions,
} from "./options.js";
import { errorPage, loggedOutPage, logoutPage, proconnectErrorCode } from "./pages.js";
import { interactionPath } from "./paths.js";
import type { EmulatorStore } from "./store.js";

/** The hooks in force now: `setTamper()` changes them while the emulator runs. */
export type CurrentTamper = () => EmulatorTamper | undefined;

export interface ProviderConfigInput {
  ttl: ResolvedEmulatorOptions["ttl"];
  strict: boolean;
  store: EmulatorStore;
  keys: readonly JsonWebKey[];
  identitiesBySub: ReadonlyMap<string, EmulatorIdentity>;
  /** ProConnect's accounts: who last signed in to each. */
  accounts: Accounts;
  /** What ProConnect last sent for each person, after its clean-up: its userinfo answers that. */
  sentClaims: ReadonlyMap<string, Record<string, unknown>>;
  tamper: CurrentTamper;
  /** oidc-provider's interaction policy helpers, from the module {@link loadProvider} imported. */
  interactionPolicy: typeof InteractionPolicy;
}

/**
 * oidc-provider's configuration for ProConnect, after its server's
 * (back/libs/oidc-provider/src/services/oidc-provider-config.service.ts and
 * back/apps/core-fca-low/src/config/oidc-provider.ts): its routes, scopes, claims and acr values,
 * client authentication by secret or `private_key_jwt`, signed userinfo, introspection (plain or signed)
 * and revocation, a refresh token always, a grant always loaded (no consent, ever), its token
 * lifetimes, and none of the features ProConnect lacks (dev interactions, DPoP, PAR, resource
 * indicators, back-channel logout).
 */
export function providerConfiguration(input: ProviderConfigInput): Configuration {
  const { ttl, store } = input;
  return {
    adapter: (name: string) => store.adapterFor(name),
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      id_token_signed_response_alg: "ES256",
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    claims: structuredClone(PROCONNECT_CLAIMS) as Configuration["claims"],
    scopes: ["openid"],
    acrValues: [...ACR_VALUES],
    responseTypes: ["code"],
    extraParams: ["idp_hint", "siret_hint"],
    pkce: { required: () => false },
    enabledJWA: {
      idTokenSigningAlgValues: [...SIGNING_ALGS],
      userinfoSigningAlgValues: [...SIGNING_ALGS],
      introspectionSigningAlgValues: [...SIGNING_ALGS],
      clientAuthSigningAlgValues: [...CLIENT_AUTH_SIGNING_ALGS],
    },
    features: FEATURES,
    discovery: SERVER_DISCOVERY,
    routes: {
      authorization: "/authorize",
      token: "/token",
      userinfo: "/userinfo",
      end_session: "/session/end",
      jwks: "/jwks",
      introspection: "/token/introspection",
      revocation: "/token/revocation",
    },
    interactions: {
      url: (_ctx, interaction) => interactionPath(interaction.uid),
      // The login prompt's acr checks as oidc-provider 7 has them.
      policy: proconnectPolicy(input.interactionPolicy),
    },
    issueRefreshToken: async () => true,
    loadExistingGrant,
    ttl: {
      AuthorizationCode: ttl.authorizationCode,
      AccessToken: ttl.accessToken,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Session: ttl.session,
      Grant: ttl.session,
      Interaction: 3600,
    },
    findAccount: findAccount(input),
    jwks: { keys: input.keys as NonNullable<Configuration["jwks"]>["keys"] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      const description = serverDescription(out.error_description ?? "");
      // ProConnect's server shows oidc-provider's error under its own name; its documentation, codes.
      const code = input.strict
        ? proconnectErrorCode(out.error, description)
        : `oidc-provider-rendered-error:${out.error}`;
      ctx.body = errorPage(out.error, description, code);
    },
  };
}

const CLIENT_AUTH_METHODS = ["client_secret_post", "private_key_jwt"] as const;
const CLIENT_AUTH_SIGNING_ALGS = ["ES256", "RS256", "PS256"] as const;
// oidc-provider-config.service.ts's enabledJWA for encryption.
const ENCRYPTION = { alg: ["ECDH-ES", "RSA-OAEP"], enc: ["A256GCM"] };

/**
 * What ProConnect's discovery document has and oidc-provider 9 does not write: its server's encryption
 * (`features.encryption`) and request objects (oidc-provider 7's defaults: no `request`, `request_uri`
 * registered), and oidc-provider 7's auth methods of the introspection and revocation endpoints, those
 * of the token endpoint. Advertised only, as by the server, where a service provider cannot register
 * keys to use them; `request_uri_parameter_supported` stays false (the server's oidc-provider 7 says
 * true): the emulator fetches no request URI.
 */
const SERVER_DISCOVERY = {
  id_token_encryption_alg_values_supported: ENCRYPTION.alg,
  id_token_encryption_enc_values_supported: ENCRYPTION.enc,
  userinfo_encryption_alg_values_supported: ENCRYPTION.alg,
  userinfo_encryption_enc_values_supported: ENCRYPTION.enc,
  introspection_encryption_alg_values_supported: ENCRYPTION.alg,
  introspection_encryption_enc_values_supported: ENCRYPTION.enc,
  request_object_encryption_alg_values_supported: ENCRYPTION.alg,
  request_object_encryption_enc_values_supported: ENCRYPTION.enc,
  request_object_signing_alg_values_supported: [...SIGNING_ALGS],
  request_parameter_supported: false,
  require_request_uri_registration: true,
  introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
  introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_AUTH_SIGNING_ALGS],
  revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
  revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_AUTH_SIGNING_ALGS],
};

/**
 * ProConnect's loadExistingGrant: always a grant, with the scopes and claims asked for now, so that
 * oidc-provider never asks for consent (no `consent_required`, no consent page).
 */
const loadExistingGrant: NonNullable<Configuration["loadExistingGrant"]> = async (ctx) => {
  const { session, client, params } = ctx.oidc;
  if (!session?.accountId || !client || !params) return undefined;
  const grantId = session.grantIdFor(client.clientId);
  const grant =
    (grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined) ??
    new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope(String(params.scope ?? "openid"));
  grant.addOIDCClaims([...(ctx.oidc.requestParamClaims ?? [])]);
  await grant.save();
  return grant;
};

const FEATURES: Configuration["features"] = {
  devInteractions: { enabled: false },
  claimsParameter: { enabled: true },
  userinfo: { enabled: true },
  jwtUserinfo: { enabled: true },
  introspection: { enabled: true },
  jwtIntrospection: { enabled: true },
  revocation: { enabled: true },
  backchannelLogout: { enabled: false },
  dPoP: { enabled: false },
  pushedAuthorizationRequests: { enabled: false },
  resourceIndicators: { enabled: false },
  rpInitiatedLogout: {
    enabled: true,
    logoutSource: async (ctx, form) => {
      ctx.type = "html";
      ctx.body = logoutPage(form);
    },
    postLogoutSuccessSource: async (ctx) => {
      ctx.type = "html";
      ctx.body = loggedOutPage();
    },
  },
};

/**
 * The test identities as accounts: their claims are what ProConnect last sent for them (its
 * findAccount reads the person's latest session). The `claims` tamper hook sees them just before
 * signing.
 */
function findAccount({
  identitiesBySub,
  accounts,
  sentClaims,
  tamper,
}: ProviderConfigInput): NonNullable<Configuration["findAccount"]> {
  return async (ctx, sub) => {
    const identity = accounts.identityOf(sub) ?? identitiesBySub.get(sub);
    if (!identity) return undefined;
    return {
      accountId: sub,
      claims: async (use) => {
        const claims = { ...sentClaims.get(sub), sub };
        const hook = tamper()?.claims;
        if (!hook) return claims;
        const clientId = ctx.oidc.client?.clientId ?? "";
        return hook(claims, {
          use: use as "id_token" | "userinfo",
          identity,
          clientId,
        }) as typeof claims;
      },
    };
  };
}

/**
 * Writes a registered client to oidc-provider's store as ProConnect loads its service providers: only
 * the active ones, so that a deactivated one is an unknown client.
 */
export function storeClient(adapter: Adapter, client: EmulatorClient): Promise<unknown> {
  return client.active
    ? adapter.upsert(client.clientId, clientMetadata(client), 0)
    : adapter.destroy(client.clientId);
}

/** A registered client as oidc-provider stores it. */
function clientMetadata(client: EmulatorClient): AdapterPayload {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    userinfo_signed_response_alg: client.userinfoSignedResponseAlg,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    // openid always: the allow-list is of the scopes that release claims.
    scope: [...new Set(["openid", ...(client.scopes ?? EMULATOR_SCOPES)])].join(" "),
    ...(client.introspectionSignedResponseAlg
      ? { introspection_signed_response_alg: client.introspectionSignedResponseAlg }
      : {}),
    ...(client.jwks ? { jwks: client.jwks as AdapterPayload["jwks"] } : {}),
  };
}

/**
 * oidc-provider, an optional peer dependency: imported on demand so that the package works without it
 * for whoever does not use the emulator. Its class, and its interaction policy helpers.
 */
export async function loadProvider() {
  try {
    const module = await import("oidc-provider");
    return { Provider: module.default, interactionPolicy: module.interactionPolicy };
  } catch (cause) {
    throw new MissingProviderError(cause);
  }
}

/**
 * oidc-provider could not be loaded: it is not installed, or the module loader cannot import ES modules
 * (Jest's CommonJS sandbox without Node.js's --experimental-vm-modules).
 */
export class MissingProviderError extends Error {
  override readonly name = "MissingProviderError";

  constructor(cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(
      code === "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING" ||
        code === "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG"
        ? "proconnect-express/testing: the emulator imports oidc-provider, an ES module, which Jest's CommonJS tests can import only with Node.js's --experimental-vm-modules: run NODE_OPTIONS=--experimental-vm-modules jest (docs/testing.md, Jest)"
        : "proconnect-express/testing needs the oidc-provider package: npm install --save-dev oidc-provider@9",
      { cause },
    );
  }
}
