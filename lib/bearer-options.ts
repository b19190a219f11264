// requireBearer()'s options: the contract (documented on RequireBearerOptions), validated once.
import { z } from "zod";
import { SIGNING_ALGS } from "./algorithms.js";
import { proconnectIssuer } from "./issuers.js";
import { checkIssuer, loggerSchema, parseOptions } from "./options.js";
import type { RequireBearerOptions } from "./types.js";

const DEFAULT_CACHE = { maxEntries: 10_000, ttl: 300, negativeTtl: 10 } as const;

// RFC 6749 3.3: scope-token.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Scopes an API requires: `scopes`, and those given to `withScopes()`. */
export const scopesSchema = z.array(
  z.string().regex(SCOPE_TOKEN, "must be a scope: printable, no space or quote"),
);

const url = z.url({ protocol: /^https?$/, error: "must be an absolute http:// or https:// URL" });

/** The options of `requireBearer()`: the contract, documented on {@link RequireBearerOptions}. */
const bearerOptionsSchema = z
  .strictObject({
    clientId: z
      .string({ error: "is required: the resource server's client_id at ProConnect" })
      .min(1),
    clientSecret: z
      .string({ error: "is required: the resource server's client_secret at ProConnect" })
      .min(1),
    environment: z.enum(["integration", "production"]).default("integration"),
    network: z.enum(["internet", "rie"]).default("internet"),
    issuer: url.optional(),
    scopes: scopesSchema.default([]),
    allowedClients: z.array(z.string().min(1)).min(1).optional(),
    allowAnyClient: z.literal(true).optional(),
    introspectionSignedResponseAlg: z.enum(SIGNING_ALGS).optional(),
    cache: z
      .union([
        z.literal(false),
        z.strictObject({
          maxEntries: z.number().int().min(1).max(1_000_000).default(DEFAULT_CACHE.maxEntries),
          ttl: z.number().int().min(0).max(3600).default(DEFAULT_CACHE.ttl),
          negativeTtl: z.number().int().min(0).max(300).default(DEFAULT_CACHE.negativeTtl),
        }),
      ])
      .default({ ...DEFAULT_CACHE }),
    maxIntrospectionsPerSecond: z.number().int().min(1).max(100_000).default(100),
    httpTimeout: z.number().int().positive().max(60_000).default(5_000),
    clockTolerance: z.number().int().min(0).max(300).default(10),
    logger: loggerSchema,
  })
  .superRefine(
    (options, ctx) => {
      if (typeof options !== "object" || options === null) return;
      checkIssuer(options.issuer, ctx);
      // Who may call is the API's decision, never a default: any client's token, or one stolen from
      // another service, would otherwise be accepted.
      const { allowedClients, allowAnyClient } = options as Record<string, unknown>;
      if (allowedClients === undefined && allowAnyClient === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["allowedClients"],
          message:
            'is required: the client_ids of the services whose access tokens this API accepts, e.g. allowedClients: ["client-id-of-the-service-that-calls-you"] (or allowAnyClient: true to accept a token issued to any client of ProConnect)',
        });
      } else if (allowedClients !== undefined && allowAnyClient !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["allowAnyClient"],
          message: "cannot go with allowedClients: give one of them",
        });
      }
    },
    { when: () => true },
  );

bearerOptionsSchema satisfies z.ZodType<unknown, RequireBearerOptions>;

export type ResolvedBearerOptions = z.output<typeof bearerOptionsSchema> & { issuer: string };

/** Validates `requireBearer()`'s options: every problem in one `invalid_options` error. */
export function resolveBearerOptions(input: unknown): ResolvedBearerOptions {
  const options = parseOptions(bearerOptionsSchema, input, "requireBearer()");
  return {
    ...options,
    issuer: (options.issuer ?? proconnectIssuer(options.environment, options.network)).replace(
      /\/+$/,
      "",
    ),
  };
}
