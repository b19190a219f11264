import { z } from "zod";
import { ACR_VALUES } from "./acr.js";
import { ProConnectError } from "./errors.js";
import { isLoopback } from "./hosts.js";
import { proconnectIssuer } from "./issuers.js";
import { PROCONNECT_SCOPES, SIGNING_ALGS, type ProConnectScope } from "./scopes.js";
import type { ProConnectUser } from "./user.js";
import type { Request } from "express";

/** Scopes asked for by default: the data ProConnect always provides. */
export const DEFAULT_SCOPES: readonly ProConnectScope[] = Object.freeze([
  "openid",
  "email",
  "given_name",
  "usual_name",
  "uid",
  "siret",
  "idp_id",
]);
/** Always asked for, whatever `scopes` says: `req.proconnectUser` always has `sub`, `siret` and `idp_id`. */
const ALWAYS_ASKED: readonly ProConnectScope[] = ["openid", "siret", "idp_id"];

/** Something that receives the warnings of the middleware (an invalid optional claim dropped…). */
export interface ProConnectLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/**
 * Called after every check, before the session is written: return the user (possibly enriched, e.g.
 * with your account id after reconciliation on `sub`), or throw to refuse the login (`login_rejected`,
 * unless you throw a `ProConnectError` yourself).
 */
export type OnLogin = (
  user: ProConnectUser,
  req: Request,
) => ProConnectUser | Promise<ProConnectUser>;

// Plain segments only: Express would read ":", "(", "{", "*"… as a route pattern, or refuse them.
const path = z
  .string()
  .regex(
    /^\/(?:[\w.~-]+\/?)*$/,
    "must be a plain path starting with / (letters, digits, . _ ~ -; no :param, pattern, query or fragment)",
  );

const relativePath = z
  .string()
  .refine(
    (value) => value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\"),
    "must be a same-origin path starting with a single /",
  );

const claimRequest = z.union([
  z.null(),
  z.strictObject({
    essential: z.boolean().optional(),
    value: z.string().optional(),
    values: z.array(z.string()).optional(),
  }),
]);

const functionOf = <T>(description: string) =>
  z.custom<T>((value) => typeof value === "function", {
    error: `must be a function ${description}`,
  });

/** The options of `proconnect()`: this schema is the contract, with every default. */
export const optionsSchema = z
  .strictObject({
    /** The `client_id` ProConnect gave your service provider. */
    clientId: z.string({ error: "is required: the client_id ProConnect gave you" }).min(1),
    /** The `client_secret` ProConnect gave your service provider. Never logged. */
    clientSecret: z.string({ error: "is required: the client_secret ProConnect gave you" }).min(1),
    /** Your app's public origin (and path prefix, if any): redirect URIs are derived from it. */
    baseUrl: z.url({ protocol: /^https?$/, error: "must be an absolute http:// or https:// URL" }),
    environment: z.enum(["integration", "production"]).default("integration"),
    network: z.enum(["internet", "rie"]).default("internet"),
    /** Explicit issuer (e.g. the local emulator's); wins over `environment` and `network`. */
    issuer: z
      .url({ protocol: /^https?$/, error: "must be an absolute http:// or https:// URL" })
      .optional(),
    /** Scopes to ask for; `openid`, `siret` and `idp_id` are always added. */
    scopes: z
      .array(z.enum(PROCONNECT_SCOPES as [ProConnectScope, ...ProConnectScope[]]))
      .default([...DEFAULT_SCOPES]),
    routes: z
      .strictObject({
        login: path.default("/login"),
        callback: path.default("/callback"),
        logout: path.default("/logout"),
        logoutCallback: path.default("/logout/callback"),
      })
      .default({
        login: "/login",
        callback: "/callback",
        logout: "/logout",
        logoutCallback: "/logout/callback",
      }),
    /** As registered with ProConnect (ES256 is ProConnect's default). */
    idTokenSignedResponseAlg: z.enum(SIGNING_ALGS).default("ES256"),
    userinfoSignedResponseAlg: z.enum(SIGNING_ALGS).default("ES256"),
    /** `acr_values` sent with every login (a preference, not a requirement). */
    acrValues: z.array(z.enum(ACR_VALUES)).optional(),
    /** The `claims` parameter sent with every login, e.g. `{ id_token: { amr: { essential: true } } }`. */
    claims: z
      .strictObject({
        id_token: z.record(z.string(), claimRequest).optional(),
        userinfo: z.record(z.string(), claimRequest).optional(),
      })
      .optional(),
    /** Where to go after login when no `returnTo` was given. */
    postLoginRedirect: relativePath.default("/"),
    /** Where to go after logout. */
    postLogoutRedirect: relativePath.default("/"),
    /** Milliseconds to wait for ProConnect on each back-channel request (discovery, token, userinfo). */
    httpTimeout: z.number().int().positive().max(60_000).default(5_000),
    /**
     * Milliseconds each session store call of proconnect-express may take (removing the old session,
     * writing the new one, at login and logout); past it, or when the store fails, the request ends with
     * `session_store_unavailable` (503) and nobody is signed in or left signed in half-way.
     */
    sessionTimeout: z.number().int().positive().max(60_000).default(3_000),
    /**
     * Bytes of JSON the signed-in user may take in the session (loaded on every request): beyond it the
     * largest `custom` attributes, then other optional claims, are dropped with a warning.
     */
    maxUserSize: z.number().int().min(4096).max(1_048_576).default(16_384),
    /** Seconds of clock difference tolerated when checking token times. */
    clockTolerance: z.number().int().min(0).max(300).default(10),
    /** Seconds a login attempt (state, nonce, PKCE verifier) stays valid. */
    loginTimeout: z.number().int().positive().max(3600).default(600),
    /** Login attempts at once per browser (tabs, one cookie each); the oldest is dropped beyond it. */
    maxPendingLogins: z.number().int().min(1).max(20).default(5),
    /** Only these identity providers (`idp_id`) may sign in; any by default. */
    allowedIdps: z.array(z.string().min(1)).min(1).optional(),
    /** Keep the access and refresh tokens in the session (off: only the user and the id_token are kept). */
    storeTokens: z.boolean().default(false),
    onLogin: functionOf<OnLogin>("(user, req) => user").optional(),
    /** Receives warnings (an invalid optional claim dropped); `console` by default. */
    logger: z
      .custom<ProConnectLogger>(
        (value) => typeof (value as ProConnectLogger | null)?.warn === "function",
        {
          error: "must have a warn(message, details) method",
        },
      )
      .default(console),
  })
  .superRefine(
    (options, ctx) => {
      // Run even when other fields failed (`when` below), so that every problem is listed at once: the
      // values here may then be anything, hence the guards.
      if (typeof options !== "object" || options === null) return;
      if (typeof options.baseUrl === "string" && URL.canParse(options.baseUrl)) {
        const base = new URL(options.baseUrl);
        if (base.search || base.hash || options.baseUrl.includes("*")) {
          ctx.addIssue({
            code: "custom",
            path: ["baseUrl"],
            message: "must have no wildcard, query or fragment",
          });
        }
        if (options.environment === "production") {
          if (base.protocol !== "https:") {
            ctx.addIssue({
              code: "custom",
              path: ["baseUrl"],
              message:
                "must use https:// in production: ProConnect refuses http redirect URIs (Y04A586)",
            });
          }
          if (isLoopback(base.hostname)) {
            ctx.addIssue({
              code: "custom",
              path: ["baseUrl"],
              message: "must not be localhost in production: ProConnect refuses it (Y04A586)",
            });
          }
        }
      }
      if (typeof options.issuer === "string" && URL.canParse(options.issuer)) {
        const issuer = new URL(options.issuer);
        if (issuer.protocol === "http:" && !isLoopback(issuer.hostname)) {
          ctx.addIssue({
            code: "custom",
            path: ["issuer"],
            message:
              "must use https:// (http:// only for a local emulator on localhost or 127.0.0.1)",
          });
        }
      }
      if (typeof options.routes === "object" && options.routes !== null) {
        const paths = Object.values(options.routes);
        if (new Set(paths).size !== paths.length) {
          ctx.addIssue({ code: "custom", path: ["routes"], message: "must all be different" });
        }
      }
    },
    { when: () => true },
  );

/** The options of `proconnect()`, as you write them (every default applied for what you leave out). */
export type ProConnectOptions = z.input<typeof optionsSchema>;

/** The options once validated, with what is derived from them. */
export type ResolvedOptions = z.output<typeof optionsSchema> & {
  issuer: string;
  scope: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** Paths as the browser sees them (the base URL's path prefix included). */
  paths: { login: string; callback: string; logout: string; logoutCallback: string };
};

/** Parses the options of `what` (a function's name) or throws one `invalid_options` listing every problem. */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ProConnectError(
      "invalid_options",
      `Invalid ${what} options:\n${z.prettifyError(result.error)}`,
      { cause: result.error },
    );
  }
  return result.data;
}

/** Validates the options once, at start-up: every problem is listed in one `invalid_options` error. */
export function resolveOptions(input: unknown): ResolvedOptions {
  const options = parseOptions(optionsSchema, input, "proconnect()");
  const prefix = new URL(options.baseUrl).pathname.replace(/\/+$/, "");
  const origin = new URL(options.baseUrl).origin;
  const paths = {
    login: prefix + options.routes.login,
    callback: prefix + options.routes.callback,
    logout: prefix + options.routes.logout,
    logoutCallback: prefix + options.routes.logoutCallback,
  };
  const scopes = [...new Set([...ALWAYS_ASKED, ...options.scopes])];
  return {
    ...options,
    issuer: (options.issuer ?? proconnectIssuer(options.environment, options.network)).replace(
      /\/+$/,
      "",
    ),
    scope: scopes.join(" "),
    redirectUri: origin + paths.callback,
    postLogoutRedirectUri: origin + paths.logoutCallback,
    paths,
  };
}
