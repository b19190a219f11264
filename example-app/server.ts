import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Store } from "express-session";
import {
  auditLog,
  ProConnectError,
  proconnectIssuer,
  type ProConnectLogger,
  type ProConnectOptions,
} from "proconnect-express";
import {
  startProConnectEmulator,
  type EmailCodeSent,
  type ProConnectEmulator,
} from "proconnect-express/testing";
import { createExampleApp, EXAMPLE_SCOPES } from "./app.js";
import { ConfigError, credentialsOf, parseEnv } from "./config.js";
import { connectRedisSessions, REDIS_KEY_PREFIX, type RedisSessions } from "./redis.js";

/** The client the example registers with its own emulator. */
const EMULATOR_CLIENT_ID = "proconnect-express-example";
/** The example's API (a resource server): a client of its own, as ProConnect recommends. */
const EMULATOR_API_CLIENT_ID = "proconnect-express-example-api";

export interface RunningExample {
  /** Where the app is: `APP_BASE_URL`, or http://localhost:PORT. */
  url: string;
  /** Where the server listens, seen from this machine (differs from `url` behind a proxy). */
  localUrl: string;
  mode: "emulator" | "proconnect";
  /** Where sessions live: this process's memory, Redis (`REDIS_URL`), or the `store` option. */
  sessions: "memory" | "redis" | "store";
  issuer: string;
  /** The local emulator, in emulator mode. */
  emulator?: ProConnectEmulator;
  /** What to print at start-up: the mode, the addresses and the test account. */
  banner: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Interface to listen on (default: all, as Express does). */
  host?: string;
  /** A shared session store; it wins over `REDIS_URL`. The default keeps sessions in this process. */
  store?: Store;
  /** How long start-up waits for Redis, in milliseconds (default 3000). */
  redisConnectTimeout?: number;
  /** Where errors are logged (default: the console). */
  logger?: Pick<Console, "warn" | "error">;
  /**
   * Where the audit trail goes (who signed in, who failed and why, who signed out), through
   * `auditLog()`; none by default. `npm start` gives pino on the standard output.
   */
  audit?: ProConnectLogger;
  /**
   * In emulator mode, called with each one-time code the emulator sends for MFA (« Espace sécurisé »):
   * `npm start` prints it. The emulator's code page shows it too.
   */
  onEmailCode?: (sent: EmailCodeSent) => void;
}

async function listen(server: Server, port: number, host: string | undefined, what: string) {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new ConfigError(
              `${what}: port ${port} is already in use; stop the other program or set ${what === "app" ? "PORT" : "EMULATOR_PORT"}`,
            )
          : error,
      ),
    );
    server.listen(port, host, resolve);
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the example app from environment variables: against the real ProConnect when
 * `PROCONNECT_CLIENT_ID` and `PROCONNECT_CLIENT_SECRET` are set, else against a local emulator started
 * beside it. A wrong setting rejects with a {@link ConfigError} naming every wrong variable.
 */
export async function startExample(
  env: Record<string, string | undefined>,
  options: StartOptions = {},
): Promise<RunningExample> {
  const config = parseEnv(env);
  const credentials = credentialsOf(config);
  const logger = options.logger ?? console;

  // Redis first: when it cannot be reached, nothing else has started.
  let redis: RedisSessions | undefined;
  if (config.REDIS_URL !== undefined && options.store === undefined) {
    redis = await connectRedisSessions(config.REDIS_URL, {
      timeoutMs: options.redisConnectTimeout,
      logger,
    });
  }
  const store = options.store ?? redis?.store;

  // Listen first: with PORT=0 the address, and so the redirect URIs, are known only now.
  const server = createServer();
  await listen(server, config.PORT, options.host, "app").catch(async (error: unknown) => {
    await redis?.close();
    throw error;
  });
  const localUrl = `http://localhost:${(server.address() as AddressInfo).port}`;
  const url = config.APP_BASE_URL ?? localUrl;

  // The audit trail in one line: every sign-in, failure and sign-out as a log line of its own.
  const stopAudit = options.audit ? auditLog(options.audit) : undefined;
  let emulator: ProConnectEmulator | undefined;
  // With the real ProConnect, the API part needs a client of its own, registered as a resource server.
  let api: { clientId: string; clientSecret: string; localUrl: string } | undefined =
    env.PROCONNECT_API_CLIENT_ID && env.PROCONNECT_API_CLIENT_SECRET
      ? {
          clientId: env.PROCONNECT_API_CLIENT_ID,
          clientSecret: env.PROCONNECT_API_CLIENT_SECRET,
          localUrl,
        }
      : undefined;
  try {
    let proconnectOptions: ProConnectOptions & { issuer: string };
    if (credentials) {
      proconnectOptions = {
        ...credentials,
        baseUrl: url,
        environment: config.PROCONNECT_ENVIRONMENT,
        network: config.PROCONNECT_NETWORK,
        // Explicit, so that the banner and the CSP name the very issuer the middleware uses.
        issuer:
          config.PROCONNECT_ISSUER ??
          proconnectIssuer(
            config.PROCONNECT_ENVIRONMENT ?? "integration",
            config.PROCONNECT_NETWORK ?? "internet",
          ),
      };
    } else {
      // A fresh secret each start: only this process and its emulator ever need it.
      const clientSecret = randomBytes(32).toString("base64url");
      const apiSecret = randomBytes(32).toString("base64url");
      api = { clientId: EMULATOR_API_CLIENT_ID, clientSecret: apiSecret, localUrl };
      emulator = await startProConnectEmulator({
        port: config.EMULATOR_PORT,
        strict: true,
        ...(options.onEmailCode ? { onEmailCode: options.onEmailCode } : {}),
        clients: [
          {
            clientId: EMULATOR_CLIENT_ID,
            clientSecret,
            redirectUris: [`${url}/callback`],
            postLogoutRedirectUris: [`${url}/logout/callback`],
          },
          {
            // A resource server registers as a service provider; it only calls the introspection.
            clientId: EMULATOR_API_CLIENT_ID,
            clientSecret: apiSecret,
            redirectUris: [`${url}/ressources/callback`],
          },
        ],
      }).catch((error: unknown) => {
        throw (error as NodeJS.ErrnoException).code === "EADDRINUSE"
          ? new ConfigError(
              `emulator: port ${config.EMULATOR_PORT} is already in use; stop the other program or set EMULATOR_PORT`,
            )
          : error;
      });
      proconnectOptions = {
        clientId: EMULATOR_CLIENT_ID,
        clientSecret,
        baseUrl: url,
        issuer: emulator.issuer,
      };
    }

    let app;
    try {
      app = createExampleApp({
        proconnect: {
          ...proconnectOptions,
          scopes: [...EXAMPLE_SCOPES],
          claims: { id_token: { amr: { essential: true } } },
          // Kept server-side, in the session: /documents calls the API with the access token.
          storeTokens: true,
          // Instances sharing Redis refresh a session's tokens once between them.
          ...(redis ? { refreshLock: redis.refreshLock } : {}),
        },
        ...(api ? { api } : {}),
        sessionSecret: config.SESSION_SECRET ?? randomBytes(32).toString("base64url"),
        trustProxy: config.TRUST_PROXY,
        store,
        logger,
        emulatorUrl: emulator?.issuer,
        // Without APP_BASE_URL nothing stands between the browser and the app: localhost is the one host.
        redirectToBaseUrl: config.APP_BASE_URL === undefined,
      });
    } catch (error) {
      if (error instanceof ProConnectError && error.code === "invalid_options") {
        throw new ConfigError(
          `${error.message}\n(baseUrl is APP_BASE_URL, clientId PROCONNECT_CLIENT_ID, issuer PROCONNECT_ISSUER)`,
        );
      }
      throw error;
    }
    server.on("request", app);

    const issuer = proconnectOptions.issuer;
    const lines = emulator
      ? [
          `Example app: ${url}`,
          `Mode: local ProConnect emulator (no credentials configured), ${emulator.issuer}`,
          "Sign in as test@fia1.fr (the emulator's login page lists the other test identities).",
          `« Espace sécurisé » asks for a one-time code (MFA): the emulator's page shows it${options.onEmailCode ? ", and it is printed here when sent" : ""}.`,
          "To use the real ProConnect, set PROCONNECT_CLIENT_ID, PROCONNECT_CLIENT_SECRET, PROCONNECT_ENVIRONMENT and PROCONNECT_NETWORK.",
        ]
      : [
          `Example app: ${url}`,
          `Mode: ProConnect ${config.PROCONNECT_ENVIRONMENT}, ${config.PROCONNECT_NETWORK} network, ${issuer}`,
          config.PROCONNECT_ENVIRONMENT === "integration"
            ? "Sign in as test@fia1.fr (ProConnect's test identity provider; the password is the same)."
            : "Sign in with a real professional account.",
          `Register with ProConnect: redirect URI ${url}/callback, post-logout redirect URI ${url}/logout/callback`,
        ];
    lines.push(
      redis
        ? `Sessions: in Redis at ${redis.where} (keys ${REDIS_KEY_PREFIX}…), shared by every instance.`
        : options.store
          ? "Sessions: in the store given to startExample()."
          : "Sessions: in this process's memory, for one instance only (set REDIS_URL to share them).",
    );
    if (config.SESSION_SECRET === undefined) {
      lines.push(
        "SESSION_SECRET is not set: a random one is used, so sessions end when the app stops.",
      );
    }

    return {
      url,
      localUrl,
      mode: emulator ? "emulator" : "proconnect",
      sessions: redis ? "redis" : options.store ? "store" : "memory",
      issuer,
      emulator,
      banner: lines.join("\n"),
      async close() {
        stopAudit?.();
        await close(server);
        await emulator?.close();
        await redis?.close();
      },
    };
  } catch (error) {
    stopAudit?.();
    await close(server);
    await emulator?.close();
    await redis?.close();
    throw error;
  }
}
