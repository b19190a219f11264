import { z } from "zod";
import { ACR_VALUES, removedAcr } from "./acr.js";
import { ProConnectError } from "./errors.js";
import { isLoopback } from "./hosts.js";
import { proconnectIssuer } from "./issuers.js";
import { REDIRECT_URI_PROBLEMS, redirectUriProblems } from "./redirect-uris.js";
import { SIGNING_ALGS } from "./algorithms.js";
import { DEFAULT_SCOPES, PROCONNECT_SCOPES, type ProConnectScope } from "./scopes.js";
import type { Request } from "express";
import type { OnLogin, OnLogout, ProConnectLogger, ProConnectOptions } from "./types.js";
import type { RefreshLock } from "./refresh-lock.js";

/** The routes' paths under `baseUrl`'s path, unless `routes` says otherwise. */
const DEFAULT_ROUTES = Object.freeze({
  login: "/login",
  callback: "/callback",
  logout: "/logout",
  logoutCallback: "/logout/callback",
});
/** Always asked for, whatever `scopes` says: `req.proconnectUser` always has `sub`, `siret` and `idp_id`. */
const ALWAYS_ASKED: readonly ProConnectScope[] = ["openid", "siret", "idp_id"];

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

/** pino's, bunyan's or `console`: `warn(details, message)`, and `info`/`debug` only as functions. */
export const loggerSchema = z
  .custom<ProConnectLogger>(
    (value) => {
      const logger = value as Record<string, unknown> | null | undefined;
      return (
        typeof logger?.warn === "function" &&
        ["info", "debug"].every((level) => ["function", "undefined"].includes(typeof logger[level]))
      );
    },
    { error: "must have a warn(details, message) method (pino, bunyan or console)" },
  )
  .default(console);

/** `client_id` or `client_secret`: missing, empty and of another type each say so. */
function credential(name: "client_id" | "client_secret") {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `is required: the ${name} ProConnect gave you`
          : `must be a string: the ${name} ProConnect gave you`,
    })
    .min(1, `is empty: the ${name} ProConnect gave you (an environment variable set but empty?)`);
}

/**
 * The options of `proconnect()`: this schema is the contract, with every default and rule; their
 * documentation is on {@link ProConnectOptions}, which the schema is checked against (below, and in
 * test/types.test-d.ts the other way round).
 */
export const optionsSchema = z
  .strictObject({
    clientId: credential("client_id"),
    clientSecret: credential("client_secret"),
    baseUrl: z.url({ protocol: /^https?$/, error: "must be an absolute http:// or https:// URL" }),
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,31}$/,
        "must be 1 to 32 lowercase letters, digits or -, starting with a letter",
      )
      .optional(),
    environment: z.enum(["integration", "production"]).default("integration"),
    network: z.enum(["internet", "rie"]).default("internet"),
    issuer: z
      .url({ protocol: /^https?$/, error: "must be an absolute http:// or https:// URL" })
      .optional(),
    scopes: z
      .array(z.enum(PROCONNECT_SCOPES as [ProConnectScope, ...ProConnectScope[]]))
      .default([...DEFAULT_SCOPES]),
    routes: z
      .strictObject({
        login: path.default(DEFAULT_ROUTES.login),
        callback: path.default(DEFAULT_ROUTES.callback),
        logout: path.default(DEFAULT_ROUTES.logout),
        logoutCallback: path.default(DEFAULT_ROUTES.logoutCallback),
      })
      .default(DEFAULT_ROUTES),
    idTokenSignedResponseAlg: z.enum(SIGNING_ALGS).default("ES256"),
    userinfoSignedResponseAlg: z.enum(SIGNING_ALGS).default("ES256"),
    acrValues: z
      .array(
        z.enum(ACR_VALUES, {
          error: (issue) =>
            (typeof issue.input === "string" ? removedAcr(issue.input) : undefined) ??
            `must be one of ${ACR_VALUES.join(", ")}`,
        }),
      )
      .optional(),
    claims: z
      .strictObject({
        id_token: z.record(z.string(), claimRequest).optional(),
        userinfo: z.record(z.string(), claimRequest).optional(),
      })
      .optional(),
    postLoginRedirect: relativePath.default("/"),
    postLogoutRedirect: relativePath.default("/"),
    httpTimeout: z.number().int().positive().max(60_000).default(5_000),
    sessionTimeout: z.number().int().positive().max(60_000).default(3_000),
    maxUserSize: z.number().int().min(4096).max(1_048_576).default(16_384),
    clockTolerance: z.number().int().min(0).max(300).default(10),
    loginTimeout: z.number().int().positive().max(3600).default(600),
    maxPendingLogins: z.number().int().min(1).max(20).default(5),
    allowedIdps: z.array(z.string().min(1)).min(1).optional(),
    storeTokens: z.boolean().default(false),
    refreshLock: functionOf<RefreshLock>(
      "(key, ttlMs) => Promise<release | undefined>, e.g. redisRefreshLock(redisClient)",
    ).optional(),
    onLogin: functionOf<OnLogin>("(user, { req, res, session }) => user").optional(),
    onLogout: functionOf<OnLogout>("(user, { req, res, session }) => void").optional(),
    keepSessionKeys: z
      .array(
        z
          .string()
          .min(1)
          .refine(
            (key) =>
              key !== "cookie" &&
              key !== "__proto__" &&
              key !== "proconnect" &&
              !key.startsWith("proconnect:"),
            "must be a key of the app's own (not cookie, __proto__, proconnect or proconnect:<name>)",
          ),
      )
      .optional(),
    returnTo: functionOf<(req: Request) => string | undefined>(
      "(req) => string | undefined",
    ).optional(),
    logger: loggerSchema,
  })
  .superRefine(
    (options, ctx) => {
      // Run even when other fields failed (`when` below), so that every problem is listed at once: the
      // values here may then be anything, hence the guards.
      if (typeof options !== "object" || options === null) return;
      if (typeof options.baseUrl === "string" && URL.canParse(options.baseUrl)) {
        // baseUrl's path gets the routes appended: a query would end up in the middle.
        if (new URL(options.baseUrl).search) {
          ctx.addIssue({ code: "custom", path: ["baseUrl"], message: "must have no query" });
        }
        // The redirect URIs are baseUrl plus a path: ProConnect's rules for them apply to it.
        const environment = options.environment === "production" ? "production" : "integration";
        const problems = redirectUriProblems(options.baseUrl, environment);
        // A malformed one is already said by the field's own rule.
        for (const problem of problems.filter((found) => found !== "malformed")) {
          ctx.addIssue({
            code: "custom",
            path: ["baseUrl"],
            message: REDIRECT_URI_PROBLEMS[problem],
          });
        }
      }
      checkIssuer(options.issuer, ctx);
      // An acr asked for through `claims` is sent as is: a removed one would end every login.
      const acr = (options.claims as { id_token?: { acr?: unknown } } | undefined)?.id_token?.acr;
      if (typeof acr === "object" && acr !== null) {
        const { value, values } = acr as { value?: unknown; values?: unknown };
        for (const asked of [value, ...(Array.isArray(values) ? values : [])]) {
          const removed = typeof asked === "string" ? removedAcr(asked) : undefined;
          if (removed) {
            ctx.addIssue({
              code: "custom",
              path: ["claims", "id_token", "acr"],
              message: `${asked}: ${removed}`,
            });
          }
        }
      }
      if (options.refreshLock !== undefined && options.storeTokens !== true) {
        ctx.addIssue({
          code: "custom",
          path: ["refreshLock"],
          message:
            "serves getAccessToken()'s refresh only, which needs storeTokens: true: add it, or remove refreshLock",
        });
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

// What a user may write is exactly the documented interface: the schema accepts nothing it does not say.
optionsSchema satisfies z.ZodType<unknown, ProConnectOptions>;

/** The options once validated, with what is derived from them. */
export type ResolvedOptions = z.output<typeof optionsSchema> & {
  issuer: string;
  scope: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** Paths as the browser sees them (the base URL's path prefix included). */
  paths: { login: string; callback: string; logout: string; logoutCallback: string };
};

/**
 * An explicit `issuer` over http is refused unless it is a local emulator (loopback): the rule of every
 * options schema that takes an issuer. Runs on a possibly invalid value, hence the guards.
 */
export function checkIssuer(issuer: unknown, ctx: z.RefinementCtx): void {
  if (typeof issuer !== "string" || !URL.canParse(issuer)) return;
  const url = new URL(issuer);
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    ctx.addIssue({
      code: "custom",
      path: ["issuer"],
      message: "must use https:// (http:// only for a local emulator on localhost or 127.0.0.1)",
    });
  }
}

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
  const paths = Object.fromEntries(
    Object.entries(options.routes).map(([route, path]) => [route, prefix + path]),
  ) as ResolvedOptions["paths"];
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
