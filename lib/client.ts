// The only file that talks to openid-client: discovery, the code exchange, the userinfo, refresh and
// introspection, and the signatures. The HTTP requests themselves go through back-channel.ts.
import { BODY_LIMITS } from "./body-limits.js";
import {
  compactVerify,
  createRemoteJWKSet,
  customFetch,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import * as oidc from "openid-client";
import type { SigningAlg } from "./algorithms.js";
import { boundedFetch } from "./back-channel.js";
import { ProConnectError } from "./errors.js";
import type { LoginProgress } from "./events.js";
import { isLoopback } from "./hosts.js";
import type { ResolvedOptions } from "./options.js";
import {
  DecidedFailure,
  discoveryError,
  introspectionError,
  signatureError,
  toProConnectError,
} from "./provider-errors.js";

/** How long the provider's JWKS is trusted before it is fetched again (an unknown `kid` refetches it). */
const JWKS_MAX_AGE_MS = 10 * 60 * 1000;

interface Discovered {
  config: oidc.Configuration;
  /** The provider's public keys, fetched on first use and again when a `kid` is unknown. */
  jwks: JWTVerifyGetKey;
}

/** What a successful callback yields, every signature and claim verified. */
export interface VerifiedLogin {
  idToken: string;
  idTokenClaims: Record<string, unknown>;
  userinfo: Record<string, unknown>;
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
}

/** What a refresh yields: the new access token, and the refresh token to use next time. */
export interface RefreshedTokens {
  accessToken: string;
  /** ProConnect's new refresh token when it rotated it, else the one that was used. */
  refreshToken: string;
  expiresAt?: number;
}

export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** ProConnect as seen by one `proconnect()` middleware: discovery once, then token and userinfo calls. */
export class ProviderClient {
  readonly #options: ResolvedOptions;
  readonly #secret: Uint8Array;
  #discovery: Promise<Discovered> | undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#secret = new TextEncoder().encode(options.clientSecret);
  }

  /**
   * Discovery happens once per process, lazily, shared by concurrent first requests. A failure is not
   * kept: the next request tries again.
   */
  discover(): Promise<Discovered> {
    this.#discovery ??= this.#discover().catch((error: unknown) => {
      this.#discovery = undefined;
      throw error;
    });
    return this.#discovery;
  }

  /** A fresh state and nonce (43 characters each, above ProConnect's 32) and PKCE S256 pair. */
  async newAttempt(): Promise<AuthorizationChecks & { codeChallenge: string }> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    return {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    };
  }

  /** A fresh random value for the logout's `state`. */
  randomState(): string {
    return oidc.randomState();
  }

  async authorizationUrl(parameters: Record<string, string>): Promise<URL> {
    const { config } = await this.discover();
    return oidc.buildAuthorizationUrl(config, parameters);
  }

  async endSessionUrl(parameters: Record<string, string>): Promise<URL> {
    const { config } = await this.discover();
    return oidc.buildEndSessionUrl(config, parameters);
  }

  /**
   * Exchanges the code and fetches the userinfo, verifying both answers fully. `progress` says how far
   * it went (`token`, then `userinfo` with who ProConnect vouched for), for a failure's event.
   */
  async verifyCallback(
    callbackUrl: URL,
    checks: AuthorizationChecks,
    progress: LoginProgress = { step: "token" },
  ): Promise<VerifiedLogin> {
    progress.step = "token";
    const discovered = await this.discover();
    const alg = this.#options.idTokenSignedResponseAlg;

    // openid-client checks the id_token's claims (iss, aud, azp, exp, nonce…), jose its signature.
    const tokens = await oidc
      .authorizationCodeGrant(discovered.config, callbackUrl, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
      })
      .catch((error: unknown) => {
        throw toProConnectError(error, "token");
      });
    const idToken = tokens.id_token;
    const idTokenClaims = tokens.claims();
    if (!idToken || !idTokenClaims)
      throw new ProConnectError("invalid_id_token", "ProConnect sent no id_token");
    const only = { algorithms: [alg] };
    await (
      alg === "HS256"
        ? compactVerify(idToken, this.#secret, only)
        : compactVerify(idToken, discovered.jwks, only)
    ).catch((cause: unknown) => {
      throw signatureError(cause, "invalid_id_token", `the id_token (${alg})`);
    });
    // Neither library refuses an id_token issued in the future: a provider clock ahead beyond the
    // tolerance, or a token minted for later.
    if (idTokenClaims.iat > Math.floor(Date.now() / 1000) + this.#options.clockTolerance) {
      throw new ProConnectError(
        "invalid_id_token",
        `the id_token's iat is in the future beyond the clock tolerance (${this.#options.clockTolerance} s)`,
      );
    }

    // ProConnect has vouched for this person: a failure from here on can say who.
    progress.step = "userinfo";
    progress.sub = identifier(idTokenClaims.sub);
    const userinfo = await this.#userinfo(discovered, tokens.access_token, idTokenClaims.sub);
    progress.idp_id = identifier(userinfo.idp_id); // ProConnect sends it in the userinfo only

    return {
      idToken,
      idTokenClaims: { ...idTokenClaims },
      userinfo: { ...userinfo },
      accessToken: tokens.access_token,
      ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
      ...(tokens.expires_in
        ? { expiresAt: Math.floor(Date.now() / 1000) + tokens.expires_in }
        : {}),
    };
  }

  /**
   * The refresh grant (`grant_type=refresh_token`) at ProConnect's token endpoint, within
   * `httpTimeout`. ProConnect refusing the refresh token (`invalid_grant`: expired, revoked, already
   * used) is `reauthentication_required`; the rest as for the code exchange (`timeout`,
   * `provider_unavailable`, `provider_error`). The id_token of the answer is checked by openid-client
   * and not kept: the session's, from the login, stays the logout's `id_token_hint`.
   */
  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    const { config } = await this.discover();
    const tokens = await oidc.refreshTokenGrant(config, refreshToken).catch((error: unknown) => {
      throw toProConnectError(error, "refresh");
    });
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? refreshToken,
      ...(tokens.expires_in
        ? { expiresAt: Math.floor(Date.now() / 1000) + tokens.expires_in }
        : {}),
    };
  }

  async #discover(): Promise<Discovered> {
    const options = this.#options;
    const { httpTimeout } = options;
    const metadata: Partial<oidc.ClientMetadata> = {
      id_token_signed_response_alg: options.idTokenSignedResponseAlg,
      userinfo_signed_response_alg: options.userinfoSignedResponseAlg,
      [oidc.clockTolerance]: options.clockTolerance,
    };
    const config = await oidc
      .discovery(
        new URL(options.issuer),
        options.clientId,
        metadata,
        oidc.ClientSecretPost(options.clientSecret),
        discoveryOptions(options.issuer, httpTimeout),
      )
      .catch((error: unknown) => {
        throw discoveryError(error, options.issuer);
      });
    config.timeout = httpTimeout / 1000;
    const { jwks_uri: jwksUri, userinfo_endpoint: userinfoEndpoint } = config.serverMetadata();
    // openid-client calls only the token and userinfo endpoints through this configuration.
    const userinfoUrl = userinfoEndpoint === undefined ? undefined : new URL(userinfoEndpoint).href;
    const tokenFetch = boundedFetch("token", "token endpoint", BODY_LIMITS.token, httpTimeout);
    const userinfoFetch = boundedFetch(
      "userinfo",
      "userinfo endpoint",
      BODY_LIMITS.userinfo,
      httpTimeout,
    );
    config[oidc.customFetch] = (url, init) =>
      (url === userinfoUrl ? userinfoFetch : tokenFetch)(url, init);
    if (!jwksUri) {
      throw new ProConnectError(
        "provider_unavailable",
        `ProConnect's discovery at ${options.issuer} has no jwks_uri`,
      );
    }
    // Signatures are verified here with jose rather than by openid-client, whose JWKS cache refuses to
    // look for a new key until the cached set is 60 s old: a key rotation would fail logins meanwhile.
    // Refetching on every unknown kid is safe because only ProConnect, over TLS, sends these tokens.
    return { config, jwks: remoteJwks(jwksUri, httpTimeout) };
  }

  /** The signed userinfo: fetched as a protected resource, its signature and claims verified here. */
  async #userinfo({ config, jwks }: Discovered, accessToken: string, sub: string) {
    const alg = this.#options.userinfoSignedResponseAlg;
    const endpoint = config.serverMetadata().userinfo_endpoint;
    if (!endpoint)
      throw new ProConnectError(
        "provider_error",
        "ProConnect's discovery has no userinfo_endpoint",
      );
    const response = await oidc
      .fetchProtectedResource(
        config,
        accessToken,
        new URL(endpoint),
        "GET",
        undefined,
        new Headers({ accept: "application/jwt" }),
      )
      .catch((error: unknown) => {
        throw toProConnectError(error, "userinfo");
      });
    if (response.status !== 200) {
      throw new ProConnectError(
        "provider_error",
        `ProConnect's userinfo answered HTTP ${response.status}`,
      );
    }
    const type = response.headers.get("content-type") ?? "";
    if (/^application\/json\b/i.test(type)) {
      throw new ProConnectError(
        "invalid_userinfo",
        "the userinfo is plain JSON, not the signed JWT (application/jwt) registered",
      );
    }
    if (!/^application\/jwt\b/i.test(type)) {
      // An HTML page or the like: a proxy's or a maintenance page, not an OpenID Connect answer.
      throw new ProConnectError(
        "provider_error",
        `ProConnect's userinfo answered ${type || "no content type"}, not a signed JWT`,
      );
    }
    const body = await response.text().catch((error: unknown) => {
      throw toProConnectError(error, "userinfo");
    });
    const expected = {
      algorithms: [alg],
      issuer: this.#options.issuer,
      audience: this.#options.clientId,
      clockTolerance: this.#options.clockTolerance,
    };
    // HS256 is verified with the client secret, ES256 and RS256 with ProConnect's published keys.
    const { payload } = await (
      alg === "HS256" ? jwtVerify(body, this.#secret, expected) : jwtVerify(body, jwks, expected)
    ).catch((cause: unknown) => {
      throw signatureError(cause, "invalid_userinfo", `the userinfo (${alg})`);
    });
    if (payload.sub !== sub) {
      throw new ProConnectError("invalid_userinfo", "the userinfo's sub is not the id_token's");
    }
    return payload;
  }
}

/** How a resource server calls ProConnect's introspection endpoint. */
export interface IntrospectionSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The algorithm of the signed answers registered with ProConnect; plain JSON answers without it. */
  introspectionSignedResponseAlg?: SigningAlg | undefined;
  httpTimeout: number;
  clockTolerance: number;
}

/** An introspection answer, after every check openid-client and jose make: `active` is a boolean. */
export type IntrospectionAnswer = { active: boolean } & Record<string, unknown>;

/**
 * Discovery documents per issuer (and timeout), shared by every resource server of the process: the
 * document is the issuer's, whoever the client is. A failure is not kept: the next request tries again.
 */
const sharedDiscovery = new Map<string, Promise<oidc.ServerMetadata>>();
/** ProConnect's keys per `jwks_uri`, shared the same way, for the signed introspection answers. */
const sharedJwks = new Map<string, JWTVerifyGetKey>();

function discoverIssuer(issuer: string, clientId: string, httpTimeout: number) {
  const key = `${issuer} ${httpTimeout}`;
  let found = sharedDiscovery.get(key);
  if (!found) {
    found = oidc
      .discovery(
        new URL(issuer),
        clientId,
        undefined,
        undefined,
        discoveryOptions(issuer, httpTimeout),
      )
      .then((config) => config.serverMetadata())
      .catch((error: unknown) => {
        sharedDiscovery.delete(key);
        throw discoveryError(error, issuer);
      });
    sharedDiscovery.set(key, found);
  }
  return found;
}

function jwksOf(jwksUri: string, httpTimeout: number): JWTVerifyGetKey {
  const key = `${jwksUri} ${httpTimeout}`;
  let jwks = sharedJwks.get(key);
  if (!jwks) {
    jwks = remoteJwks(jwksUri, httpTimeout);
    sharedJwks.set(key, jwks);
  }
  return jwks;
}

/** How every discovery asks: bounded in time and size, over http only for a local emulator. */
function discoveryOptions(issuer: string, httpTimeout: number): oidc.DiscoveryRequestOptions {
  const url = new URL(issuer);
  // http is only ever allowed for a local emulator (the options refuse any other http issuer).
  const insecure = url.protocol === "http:" && isLoopback(url.hostname);
  return {
    timeout: httpTimeout / 1000,
    [oidc.customFetch]: boundedFetch(
      "discovery",
      `discovery at ${issuer}`,
      BODY_LIMITS.discovery,
      httpTimeout,
    ),
    ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
  };
}

/** ProConnect's keys at `jwksUri`: cached, fetched again on an unknown `kid`, each request bounded. */
function remoteJwks(jwksUri: string, httpTimeout: number): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: httpTimeout,
    cooldownDuration: 0,
    cacheMaxAge: JWKS_MAX_AGE_MS,
    [customFetch]: boundedFetch("jwks", "JWKS", BODY_LIMITS.jwks, httpTimeout),
  });
}

const INTROSPECTION_JWT = /^application\/token-introspection\+jwt\b/i;

/**
 * ProConnect's introspection endpoint (RFC 7662) as one resource server sees it: discovery shared per
 * issuer, every request within `httpTimeout` and its answer within a size limit, client authentication
 * by `client_secret_post` (ProConnect's). A signed answer's signature is verified here with jose (the
 * secret for HS256, ProConnect's JWKS otherwise, in the registered algorithm only) before openid-client
 * checks its `typ`, `iss`, `aud` and times; a plain answer is refused when a signed one is registered.
 */
export class IntrospectionClient {
  readonly #settings: IntrospectionSettings;
  readonly #secret: Uint8Array;
  #config: Promise<oidc.Configuration> | undefined;

  constructor(settings: IntrospectionSettings) {
    this.#settings = settings;
    this.#secret = new TextEncoder().encode(settings.clientSecret);
  }

  /**
   * The answer for `token`. Rejects with `introspection_unavailable` (discovery, network, timeout, the
   * endpoint refusing the credentials, an answer that is not an introspection answer) or
   * `invalid_token` (a signed answer whose signature, `iss` or `aud` is wrong).
   */
  async introspect(token: string): Promise<IntrospectionAnswer> {
    const config = await this.#configuration();
    const answer = await oidc.tokenIntrospection(config, token).catch((error: unknown) => {
      // ProConnect refuses to introspect what is not one of its access tokens (an id_token, a JWT of
      // another issuer) with a 400: for the API that token is simply not active, not an outage.
      const failure = introspectionError(error, this.#settings.httpTimeout);
      if (failure === undefined) return { active: false };
      throw failure;
    });
    return answer as IntrospectionAnswer;
  }

  #configuration(): Promise<oidc.Configuration> {
    this.#config ??= this.#configure().catch((error: unknown) => {
      this.#config = undefined;
      throw error;
    });
    return this.#config;
  }

  async #configure(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret, httpTimeout, clockTolerance } = this.#settings;
    const alg = this.#settings.introspectionSignedResponseAlg;
    const server = await discoverIssuer(issuer, clientId, httpTimeout).catch((error: unknown) => {
      throw unavailable((error as Error).message, error);
    });
    if (!server.introspection_endpoint) {
      throw unavailable(`ProConnect's discovery at ${issuer} has no introspection_endpoint`);
    }
    const jwksUri = server.jwks_uri;
    if (alg !== undefined && alg !== "HS256" && !jwksUri) {
      throw unavailable(`ProConnect's discovery at ${issuer} has no jwks_uri`);
    }
    const config = new oidc.Configuration(
      server,
      clientId,
      {
        ...(alg ? { introspection_signed_response_alg: alg } : {}),
        [oidc.clockTolerance]: clockTolerance,
      },
      oidc.ClientSecretPost(clientSecret),
    );
    config.timeout = httpTimeout / 1000;
    const url = new URL(issuer);
    if (url.protocol === "http:" && isLoopback(url.hostname)) oidc.allowInsecureRequests(config);
    const fetchAnswer = boundedFetch(
      "introspection",
      "introspection endpoint",
      BODY_LIMITS.introspection,
      httpTimeout,
    );
    const keys =
      alg === undefined || alg === "HS256" || !jwksUri ? undefined : jwksOf(jwksUri, httpTimeout);
    // This configuration calls the introspection endpoint only.
    config[oidc.customFetch] = async (target, init) => {
      const response = await fetchAnswer(target, init);
      if (alg === undefined || response.status !== 200) return response;
      const type = response.headers.get("content-type") ?? "";
      if (!INTROSPECTION_JWT.test(type)) {
        await response.body?.cancel().catch(() => undefined);
        throw new DecidedFailure(
          unavailable(
            `ProConnect's introspection endpoint answered ${type || "no content type"}, not the answer signed with ${alg} that is registered (introspection_signed_response_alg)`,
          ),
        );
      }
      const body = await response.text();
      const only = { algorithms: [alg] };
      await (
        keys ? compactVerify(body, keys, only) : compactVerify(body, this.#secret, only)
      ).catch((cause: unknown) => {
        const error = signatureError(
          cause,
          "invalid_token",
          `the signed introspection answer (${alg})`,
        );
        throw new DecidedFailure(
          error.code === "invalid_token" ? error : unavailable(error.message, cause),
        );
      });
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    };
    return config;
  }
}

/** A claim that identifies (`sub`, `idp_id`), for an event: a short string, or nothing. */
function identifier(value: unknown): string | undefined {
  return typeof value === "string" && value.length <= 256 ? value : undefined;
}

function unavailable(message: string, cause?: unknown): ProConnectError {
  return new ProConnectError("introspection_unavailable", message, { cause });
}
