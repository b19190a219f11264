import { randomBytes, type JsonWebKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from "jose";
import express, { type NextFunction, type Request, type Response } from "express";
import type { AdapterPayload, Configuration } from "oidc-provider";
import { z } from "zod";
import { ACR_VALUES } from "../acr.js";
import { SIGNING_ALGS, type SigningAlg } from "../scopes.js";
import { checkAuthorizeParams } from "./authorize-params.js";
import { identityClaims, PROCONNECT_CLAIMS } from "./claims.js";
import { DEFAULT_IDENTITIES } from "./identities.js";
import { generateSigningKeys } from "./keys.js";
import {
  emulatorClientSchema,
  emulatorOptionsSchema,
  type EmulatorClient,
  type EmulatorClientInput,
  type EmulatorIdentity,
  type EmulatorOptions,
  type EmulatorTamper,
  type BackChannelEndpoint,
} from "./options.js";
import { errorPage, loggedOutPage, loginPage, logoutPage } from "./pages.js";
import { EmulatorStore } from "./store.js";

const PREFIX = "/api/v2";

/** A running ProConnect emulator. */
export interface ProConnectEmulator {
  /** The issuer, as `proconnect({ issuer })` expects it: `http://127.0.0.1:PORT/api/v2`. */
  readonly issuer: string;
  /** The server's origin: `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The identities its login page offers. */
  readonly identities: readonly EmulatorIdentity[];
  /** Registers (or replaces) a service provider, as ProConnect's registration form would. */
  registerClient(client: EmulatorClientInput): EmulatorClient;
  /** Sets, or with `undefined` removes, the hooks that make the emulator misbehave on purpose. */
  setTamper(tamper: EmulatorTamper | undefined): void;
  /** Live entries of its store per kind (sessions, codes, tokens…), to check that state stays bounded. */
  storeSize(): Record<string, number>;
  /**
   * Requests received so far, per path (`/api/v2/token`, `/api/v2/userinfo`…), random segments shown as
   * `:id` (`/api/v2/interaction/:id`): lets a test count a client's back-channel calls.
   */
  requestCounts(): Record<string, number>;
  /**
   * Signs `payload` as the emulator signs its id_tokens and userinfo: with its own ES256 or RS256 key
   * (its `kid` in the header), or for HS256 with the secret of `clientId`. For tamper hooks that need a
   * genuine signature over wrong claims.
   */
  sign(
    payload: Record<string, unknown>,
    options: { alg: SigningAlg; clientId?: string },
  ): Promise<string>;
  /**
   * Rotates the signing keys, as a provider does: new ES256 and RS256 keys (new `kid`s) sign every
   * id_token and userinfo from now on, and the JWKS lists them first, followed by the previous ones.
   */
  rotateKeys(): Promise<void>;
  /** Stops the server and drops every session. */
  close(): Promise<void>;
}

/**
 * Starts a local ProConnect on `oidc-provider`, the engine ProConnect itself runs, configured like
 * ProConnect: its routes under `/api/v2`, its scopes and claims, signed userinfo, its acr values, its
 * authorize-parameter rules, automatic logout confirmation and a login page listing test identities.
 *
 * @example
 * import { startProConnectEmulator } from "proconnect-express/testing";
 *
 * const emulator = await startProConnectEmulator({
 *   strict: true,
 *   clients: [{
 *     clientId: "my-app",
 *     clientSecret: "a-secret-of-at-least-thirty-two-characters",
 *     redirectUris: ["http://localhost:3000/callback"],
 *     postLogoutRedirectUris: ["http://localhost:3000/logout/callback"],
 *   }],
 * });
 * // … proconnect({ issuer: emulator.issuer, clientId: "my-app", … })
 * await emulator.close();
 */
export async function startProConnectEmulator(
  options: EmulatorOptions = {},
): Promise<ProConnectEmulator> {
  const parsed = emulatorOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new TypeError(`Invalid ProConnect emulator options:\n${z.prettifyError(parsed.error)}`);
  }
  const config = parsed.data;
  const identities = Object.freeze([...(config.identities ?? DEFAULT_IDENTITIES)]);
  const identitiesBySub = new Map(identities.map((identity) => [identity.sub, identity]));
  let tamper = config.tamper;

  const [Provider, keys, server] = await Promise.all([
    loadProvider(),
    generateSigningKeys(),
    listen(config.port, config.host),
  ]);
  const { port } = server.address() as AddressInfo;
  const hostname = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${hostname}:${port}`;
  const issuer = `${url}${PREFIX}`;

  const store = new EmulatorStore();
  const clients = store.adapterFor("Client");
  const registerClient = (input: EmulatorClientInput): EmulatorClient => {
    const result = emulatorClientSchema.safeParse(input);
    if (!result.success) {
      throw new TypeError(`Invalid emulator client:\n${z.prettifyError(result.error)}`);
    }
    void clients.upsert(result.data.clientId, clientMetadata(result.data), 0);
    return result.data;
  };
  config.clients.forEach(registerClient);

  const configuration: Configuration = {
    adapter: (name: string) => store.adapterFor(name),
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      id_token_signed_response_alg: "ES256",
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
    clientAuthMethods: ["client_secret_post", "private_key_jwt"],
    claims: structuredClone(PROCONNECT_CLAIMS) as Configuration["claims"],
    scopes: ["openid"],
    acrValues: [...ACR_VALUES],
    responseTypes: ["code"],
    extraParams: ["idp_hint", "siret_hint"],
    pkce: { required: () => false },
    enabledJWA: {
      idTokenSigningAlgValues: [...SIGNING_ALGS],
      userinfoSigningAlgValues: [...SIGNING_ALGS],
      clientAuthSigningAlgValues: ["ES256", "RS256", "PS256"],
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
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
    },
    routes: {
      authorization: "/authorize",
      token: "/token",
      userinfo: "/userinfo",
      end_session: "/session/end",
      jwks: "/jwks",
    },
    interactions: { url: (_ctx, interaction) => `${PREFIX}/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    ttl: {
      AuthorizationCode: config.ttl.authorizationCode,
      AccessToken: config.ttl.accessToken,
      IdToken: config.ttl.idToken,
      RefreshToken: config.ttl.session,
      Session: config.ttl.session,
      Grant: config.ttl.session,
      Interaction: 3600,
    },
    findAccount: async (ctx, sub) => {
      const identity = identitiesBySub.get(sub);
      if (!identity) return undefined;
      return {
        accountId: sub,
        claims: async (use) => {
          const claims = { ...identityClaims(identity), sub };
          const hook = tamper?.claims;
          if (!hook) return claims;
          const clientId = ctx.oidc.client?.clientId ?? "";
          return hook(claims, {
            use: use as "id_token" | "userinfo",
            identity,
            clientId,
          }) as typeof claims;
        },
      };
    },
    jwks: { keys: keys as NonNullable<Configuration["jwks"]>["keys"] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    renderError: async (ctx, out) => {
      ctx.type = "html";
      ctx.body = errorPage(out.error, out.error_description ?? "");
    },
  };
  const provider = new Provider(issuer, configuration);
  /** Keys added by rotateKeys(), newest first: they sign instead of the keys oidc-provider was built with. */
  let rotatedKeys: JsonWebKey[] = [];
  async function resign(jws: string): Promise<string> {
    const alg = decodeProtectedHeader(jws).alg;
    const jwk = rotatedKeys.find((key) => key.alg === alg);
    if (!jwk || alg === undefined) return jws;
    return new SignJWT(decodeJwt(jws))
      .setProtectedHeader({ alg, kid: jwk.kid as string })
      .sign(await importJWK(jwk as JWK, alg));
  }
  // After a rotation, oidc-provider's own keys step aside: answers are re-signed with the new ones.
  provider.use(async (ctx, next) => {
    await next();
    if (rotatedKeys.length === 0 || ctx.status !== 200) return;
    const body: unknown = ctx.body;
    if (ctx.path === "/token" && isTokenResponse(body)) {
      ctx.body = { ...body, id_token: await resign(body.id_token) };
    } else if (ctx.path === "/userinfo" && typeof body === "string") {
      ctx.body = await resign(body);
      ctx.type = "application/jwt; charset=utf-8";
    } else if (ctx.path === "/jwks" && isJwks(body)) {
      ctx.body = { keys: [...rotatedKeys.map(publicJwk), ...body.keys] };
    }
  });
  // Tamper hooks that replace whole signed answers run after oidc-provider has built them.
  provider.use(async (ctx, next) => {
    await next();
    if (!tamper || ctx.status !== 200) return;
    const context = { clientId: ctx.oidc?.client?.clientId ?? "" };
    const body: unknown = ctx.body;
    if (ctx.path === "/token" && tamper.idToken && isTokenResponse(body)) {
      ctx.body = { ...body, id_token: await tamper.idToken(body.id_token, context) };
    } else if (ctx.path === "/userinfo" && tamper.userinfo && typeof body === "string") {
      const replaced = await tamper.userinfo(body, context);
      const { body: text, contentType } =
        typeof replaced === "string"
          ? { body: replaced, contentType: "application/jwt; charset=utf-8" }
          : replaced;
      ctx.body = text;
      ctx.type = contentType;
    }
  });
  // ProConnect shows its own page, code Y000404, for unknown routes under /api/v2.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404;
      ctx.type = "html";
      ctx.body = errorPage("not_found", `no route ${ctx.method} ${ctx.path}`, "Y000404");
    }
  });

  const app = express();
  app.disable("x-powered-by");
  const counts = new Map<string, number>();
  app.use((req, _res, next) => {
    // Interaction ids become :id: one key per route, however many logins a long-running emulator sees.
    const route = req.path.replace(/(\/(?:interaction|authorize)\/)[^/]+/, "$1:id");
    counts.set(route, (counts.get(route) ?? 0) + 1);
    next();
  });
  const form = express.urlencoded({ extended: false, limit: "64kb" });

  const BACK_CHANNEL: Record<string, BackChannelEndpoint> = {
    [`${PREFIX}/.well-known/openid-configuration`]: "discovery",
    [`${PREFIX}/jwks`]: "jwks",
    [`${PREFIX}/token`]: "token",
    [`${PREFIX}/userinfo`]: "userinfo",
  };
  app.use((req, res, next) => {
    const endpoint = BACK_CHANNEL[req.path];
    const fault = endpoint === undefined ? undefined : tamper?.fault?.(endpoint);
    if (fault === undefined) next();
    else if (fault === "reset") req.socket.destroy();
    else if (fault !== "hang") {
      res.status(fault.status).type(fault.contentType ?? "application/json");
      if (fault.contentEncoding !== undefined) res.set("Content-Encoding", fault.contentEncoding);
      // Express sends a Buffer as bytes but a plain Uint8Array as JSON: wrap it, without a copy.
      const { body } = fault;
      res.send(
        typeof body === "string"
          ? body
          : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      );
    }
    // "hang": never answer; close() ends the connection.
  });

  // ProConnect validates authorize parameters itself before oidc-provider sees them.
  app.all(`${PREFIX}/authorize`, form, (req, res, next) => {
    const checked = checkAuthorizeParams(requestParams(req), config.strict);
    if (!checked.ok) {
      res
        .status(400)
        .type("html")
        .send(errorPage("invalid_request", checked.description, "Y000400"));
      return;
    }
    // POST is turned into the equivalent GET so oidc-provider reads the filtered parameters only.
    req.method = "GET";
    req.url = req.originalUrl = `${PREFIX}/authorize?${checked.params}`;
    next();
  });

  // ProConnect requires id_token_hint on logout, where oidc-provider makes it optional.
  app.get(`${PREFIX}/session/end`, (req, res, next) => {
    if (!requestParams(req).get("id_token_hint")) {
      res
        .status(400)
        .type("html")
        .send(errorPage("invalid_request", "id_token_hint is required", "Y000400"));
      return;
    }
    next();
  });

  const interactionAction = (uid: string) => `${PREFIX}/interaction/${uid}/login`;

  app.get(`${PREFIX}/interaction/:uid`, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const params = details.params as Record<string, string | undefined>;
      if (details.prompt.name === "consent") {
        // ProConnect asks no consent: grant what the service provider asked for.
        const grantId = await saveGrant(details, details.session?.accountId ?? "");
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      // idp_hint sends the user straight to that identity provider: no e-mail page.
      const hinted = identities.filter((identity) => identity.idp_id === params.idp_hint);
      const hint = params.login_hint?.toLowerCase();
      const identity =
        hinted.find((i) => hint !== undefined && i.email?.toLowerCase() === hint) ?? hinted[0];
      if (identity) {
        await finishLogin(req, res, details, identity);
        return;
      }
      res.type("html").send(
        loginPage({
          action: interactionAction(details.uid),
          loginHint: params.login_hint,
          identities,
        }),
      );
    } catch (error) {
      next(error);
    }
  });

  app.post(`${PREFIX}/interaction/:uid/login`, form, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : undefined;
      const identity =
        typeof body.sub === "string"
          ? identitiesBySub.get(body.sub)
          : identities.find((candidate) => email && candidate.email?.toLowerCase() === email);
      if (!identity) {
        const page = loginPage({
          action: interactionAction(details.uid),
          loginHint: email,
          identities,
          error: "Aucune identité de test ne correspond à cette adresse e-mail.",
        });
        res.status(400).type("html").send(page);
        return;
      }
      await finishLogin(req, res, details, identity);
    } catch (error) {
      next(error);
    }
  });

  app.use(PREFIX, provider.callback());
  app.use((req, res) => {
    res
      .status(404)
      .type("html")
      .send(errorPage("not_found", `no route ${req.method} ${req.path}`, "Y000404"));
  });
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    // A missing or expired interaction cookie is ProConnect's Y030110; anything else is a bug here.
    const missingSession = error.name === "SessionNotFound";
    const status = missingSession ? 400 : 500;
    const description = missingSession
      ? "interaction session cookie missing or expired"
      : error.message;
    res
      .status(status)
      .type("html")
      .send(errorPage(missingSession ? "session_not_found" : "server_error", description));
  });

  type Details = Awaited<ReturnType<typeof provider.interactionDetails>>;

  async function saveGrant(details: Details, accountId: string): Promise<string> {
    const clientId = String(details.params.client_id);
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant =
      existing && existing.accountId === accountId
        ? existing
        : new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(details.params.scope ?? "openid"));
    const requested = requestedClaims(details.params.claims);
    if (requested.length > 0) grant.addOIDCClaims(requested);
    return grant.save();
  }

  async function finishLogin(
    req: Request,
    res: Response,
    details: Details,
    identity: EmulatorIdentity,
  ) {
    const acr = chooseAcr(identity, details.params as Record<string, unknown>);
    if (acr === undefined) {
      await provider.interactionFinished(
        req,
        res,
        {
          error: "access_denied",
          error_description: "the identity provider cannot satisfy the essential acr requested",
        },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grantId = await saveGrant(details, identity.sub);
    await provider.interactionFinished(
      req,
      res,
      {
        login: { accountId: identity.sub, acr, amr: identity.amr, remember: true },
        consent: { grantId },
      },
      { mergeWithLastSubmission: false },
    );
  }

  server.on("request", app);

  return {
    issuer,
    url,
    identities,
    registerClient,
    setTamper(next) {
      tamper = next;
    },
    storeSize: () => store.size(),
    requestCounts: () => Object.fromEntries(counts),
    async sign(payload, { alg, clientId }) {
      if (alg === "HS256") {
        const client = clientId === undefined ? undefined : await clients.find(clientId);
        if (typeof client?.client_secret !== "string")
          throw new Error(`sign(): no client ${clientId} for HS256`);
        return new SignJWT(payload)
          .setProtectedHeader({ alg })
          .sign(new TextEncoder().encode(client.client_secret));
      }
      const jwk = [...rotatedKeys, ...keys].find((key) => key.alg === alg);
      if (!jwk) throw new Error(`sign(): the emulator has no ${alg} key`);
      return new SignJWT(payload)
        .setProtectedHeader({ alg, kid: jwk.kid as string })
        .sign(await importJWK(jwk as JWK, alg));
    },
    async rotateKeys() {
      const fresh = await generateSigningKeys();
      rotatedKeys = [...fresh, ...rotatedKeys];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function isJwks(body: unknown): body is { keys: JsonWebKey[] } {
  return (
    typeof body === "object" && body !== null && Array.isArray((body as { keys?: unknown }).keys)
  );
}

/** The public half of a private JWK: what a JWKS may show. */
function publicJwk({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }: JsonWebKey) {
  return rest;
}

function isTokenResponse(body: unknown): body is { id_token: string } {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { id_token?: unknown }).id_token === "string"
  );
}

async function loadProvider() {
  try {
    const module = await import("oidc-provider");
    return module.default;
  } catch (cause) {
    throw new Error(
      "proconnect-express/testing needs the oidc-provider package: npm install --save-dev oidc-provider@9",
      { cause },
    );
  }
}

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

function requestParams(req: Request): URLSearchParams {
  if (req.method === "POST" && req.body && typeof req.body === "object") {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(req.body as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
    }
    return params;
  }
  return new URL(req.originalUrl, "http://emulator.invalid").searchParams;
}

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
    ...(client.jwks ? { jwks: client.jwks as AdapterPayload["jwks"] } : {}),
  };
}

interface AcrRequest {
  essential?: boolean;
  value?: string;
  values?: string[];
}

function parseClaims(
  raw: unknown,
): Record<string, Record<string, unknown> | undefined> | undefined {
  if (typeof raw !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object"
      ? (parsed as Record<string, Record<string, unknown>>)
      : undefined;
  } catch {
    return undefined; // oidc-provider has already refused a malformed claims parameter.
  }
}

function requestedClaims(raw: unknown): string[] {
  const claims = parseClaims(raw);
  return [...Object.keys(claims?.id_token ?? {}), ...Object.keys(claims?.userinfo ?? {})];
}

/**
 * The acr of this login: an essential acr the identity cannot reach gives `undefined` (ProConnect then
 * answers access_denied); otherwise the first requested value the identity reaches, else its usual one.
 */
function chooseAcr(
  identity: EmulatorIdentity,
  params: Record<string, unknown>,
): string | undefined {
  const request = parseClaims(params.claims)?.id_token?.acr as AcrRequest | undefined;
  const wanted = request?.values ?? (request?.value ? [request.value] : []);
  const reachable = (value: string) => (identity.acr as readonly string[]).includes(value);
  const granted = wanted.find(reachable);
  if (request?.essential && wanted.length > 0) return granted;
  const acrValues = typeof params.acr_values === "string" ? params.acr_values.split(" ") : [];
  return granted ?? acrValues.find(reachable) ?? identity.acr[0];
}
