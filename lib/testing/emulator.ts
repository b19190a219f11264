import { createServer } from "node:http";
import express from "express";
import { z } from "zod";
import type { SigningAlg } from "../algorithms.js";
import { fault, requestCounter } from "./back-channel.js";
import {
  errorHandler,
  frontChannelChecks,
  installNotFoundPage,
  installRedirectEncoding,
  securityHeaders,
  notFound,
} from "./front-channel.js";
import { fiCallbackRoutes } from "./fi-callback.js";
import { healthRoutes } from "./health.js";
import { Accounts } from "./accounts.js";
import { DEFAULT_IDENTITIES } from "./identities.js";
import { interactionRoutes, type InteractionSetup } from "./interactions.js";
import { generateSigningKeys } from "./keys.js";
import { close, listen, origin } from "./net.js";
import {
  emulatorClientSchema,
  emulatorOptionsSchema,
  type EmulatorClient,
  type EmulatorClientInput,
  type EmulatorIdentity,
  type EmulatorOptions,
  type EmulatorTamper,
} from "./options.js";
import { FAVICON_SVG } from "./pages.js";
import { PREFIX } from "./paths.js";
import { Mailbox, ProConnectSessions } from "./pc-session.js";
import { loadProvider, providerConfiguration, storeClient } from "./provider-config.js";
import { installSignedAnswerTamper, installSigning } from "./signing.js";
import { EmulatorStore } from "./store.js";

/** A running ProConnect emulator. */
export interface ProConnectEmulator {
  /**
   * The issuer, as `proconnect({ issuer })` expects it: `http://127.0.0.1:PORT/api/v2`, or the
   * `publicUrl` option's origin followed by `/api/v2`.
   */
  readonly issuer: string;
  /** The server's origin: `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The identities its login page offers. */
  readonly identities: readonly EmulatorIdentity[];
  /** Registers (or replaces) a service provider, as ProConnect's registration form would. */
  registerClient(client: EmulatorClientInput): EmulatorClient;
  /**
   * The last one-time code ProConnect sent by e-mail to `email` and still valid (its MFA step for an FI
   * that cannot do MFA), or `undefined`. `TestBrowser` types it by itself; the code page shows it in a
   * development notice, and the `onEmailCode` option gets each one as it is sent.
   */
  lastEmailCode(email: string): string | undefined;
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
  let tamper = config.tamper;
  const currentTamper = () => tamper;

  const store = new EmulatorStore();
  const clients = store.adapterFor("Client");
  const registered = new Map<string, EmulatorClient>();
  const registerClient = (input: EmulatorClientInput): EmulatorClient => {
    const result = emulatorClientSchema.safeParse(input);
    if (!result.success) {
      throw new TypeError(`Invalid emulator client:\n${z.prettifyError(result.error)}`);
    }
    void storeClient(clients, result.data);
    registered.set(result.data.clientId, result.data);
    return result.data;
  };
  config.clients.forEach(registerClient);

  // oidc-provider first: without it, nothing has started listening that would keep the process alive.
  const [oidcProvider, keys] = await Promise.all([loadProvider(), generateSigningKeys()]);
  const server = createServer();
  await listen(server, config.port, config.host);
  try {
    const url = origin(server, config.host);
    const issuer = `${config.publicUrl === undefined ? url : new URL(config.publicUrl).origin}${PREFIX}`;
    const sentClaims = new Map<string, Record<string, unknown>>();
    const accounts = new Accounts(config);
    const sessions = new ProConnectSessions(store, config.ttl.session);
    const mailbox = new Mailbox(config.onEmailCode);
    const provider = new oidcProvider.Provider(
      issuer,
      providerConfiguration({
        ttl: config.ttl,
        strict: config.strict,
        store,
        keys,
        identitiesBySub: new Map(identities.map((identity) => [identity.sub, identity])),
        accounts,
        sentClaims,
        tamper: currentTamper,
        interactionPolicy: oidcProvider.interactionPolicy,
      }),
    );
    // Order matters: Koa runs what follows `await next()` innermost first, so the 404 page, then the
    // tamper hooks, then the re-signing after a key rotation.
    // Behind the name of publicUrl, a proxy in front says the scheme and host the client used.
    if (config.publicUrl !== undefined) provider.proxy = true;
    const signing = installSigning(provider, keys, clients);
    installSignedAnswerTamper(provider, currentTamper);
    installNotFoundPage(provider);
    installRedirectEncoding(provider, config.redirectEncoding);

    const counter = requestCounter();
    const app = emulatorApp(config, counter, currentTamper, {
      provider,
      identities,
      idpIds: new Set([
        ...identities.map((identity) => identity.idp_id),
        ...Object.keys(config.identityProviders),
      ]),
      clients: registered,
      sessions,
      mailbox,
      sentClaims,
      accounts,
      identityProviders: config.identityProviders,
      sanitize: config,
    });
    server.on("request", app);

    return {
      issuer,
      url,
      identities,
      registerClient,
      lastEmailCode: (email) => mailbox.lastCode(email),
      setTamper(next) {
        tamper = next;
      },
      storeSize: () => store.size(),
      requestCounts: counter.counts,
      sign: signing.sign,
      rotateKeys: signing.rotateKeys,
      close: () => close(server),
    };
  } catch (error) {
    await close(server);
    throw error;
  }
}

/** The emulator's HTTP app: counting and faults first, ProConnect's own checks, the login pages, oidc-provider. */
function emulatorApp(
  config: { strict: boolean },
  counter: ReturnType<typeof requestCounter>,
  currentTamper: Parameters<typeof fault>[0],
  interactions: InteractionSetup,
): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(counter.middleware);
  app.use(fault(currentTamper));
  app.use(securityHeaders);
  app.get(["/favicon.ico", "/favicon.svg"], (_req, res) => {
    res.set("cache-control", "public, max-age=86400").type("image/svg+xml").send(FAVICON_SVG);
  });
  app.use(healthRoutes());
  app.use(fiCallbackRoutes(interactions.sessions));
  app.use(frontChannelChecks(config.strict, interactions.sessions));
  app.use(interactionRoutes(interactions));
  app.use(PREFIX, interactions.provider.callback());
  app.use(notFound);
  app.use(errorHandler(config.strict));
  return app;
}
