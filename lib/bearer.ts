// `requireBearer()`: an API protected as a ProConnect resource server, by introspection (RFC 7662).
import { createHash } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { SIGNING_ALGS } from "./algorithms.js";
import { IntrospectionClient, type IntrospectionAnswer } from "./client.js";
import { ProConnectError, type ProConnectErrorCode } from "./errors.js";
import { proconnectIssuer } from "./issuers.js";
import { checkIssuer, parseOptions } from "./options.js";
import type {
  BearerCacheOptions,
  ProConnectLogger,
  ProConnectToken,
  RequireBearerOptions,
} from "./types.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * What ProConnect said of the request's Bearer token, behind `requireBearer()`: its `sub`,
       * `client_id`, `scope`… undefined elsewhere.
       */
      proconnectToken?: ProConnectToken;
    }
  }
}

const DEFAULT_CACHE = { maxEntries: 10_000, ttl: 300, negativeTtl: 10 } as const;

// RFC 6750 2.1: b64token. Longer than any access token ProConnect issues (43 characters, opaque).
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 4096;
// RFC 6749 3.3: scope-token.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

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
    scopes: z
      .array(z.string().regex(SCOPE_TOKEN, "must be a scope: printable, no space or quote"))
      .default([]),
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
    logger: z
      .custom<ProConnectLogger>(
        (value) => typeof (value as ProConnectLogger | null)?.warn === "function",
        { error: "must have a warn(message, details) method" },
      )
      .default(console),
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

type ResolvedBearerOptions = z.output<typeof bearerOptionsSchema> & { issuer: string };

/** Validates `requireBearer()`'s options: every problem in one `invalid_options` error. */
function resolveBearerOptions(input: unknown): ResolvedBearerOptions {
  const options = parseOptions(bearerOptionsSchema, input, "requireBearer()");
  return {
    ...options,
    issuer: (options.issuer ?? proconnectIssuer(options.environment, options.network)).replace(
      /\/+$/,
      "",
    ),
  };
}

/** What is known of a token: valid (with its facts) or refused (with the reason), and until when. */
type Verdict =
  | { valid: true; token: ProConnectToken; until: number }
  | { valid: false; reason: string; until: number };

/** A bounded map of verdicts by token digest, least recently used first. */
class VerdictCache {
  readonly #entries = new Map<string, Verdict>();
  constructor(readonly max: number) {}

  get(key: string, now: number): Verdict | undefined {
    const found = this.#entries.get(key);
    if (found === undefined) return undefined;
    this.#entries.delete(key);
    if (found.until <= now) return undefined;
    this.#entries.set(key, found); // most recently used: last
    return found;
  }

  set(key: string, verdict: Verdict): void {
    this.#entries.delete(key);
    this.#entries.set(key, verdict);
    if (this.#entries.size > this.max) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * A token bucket: `perSecond` introspections a second, and as many at once after a quiet second. A
 * count in this process only: each instance of an API has its own.
 */
class Budget {
  #tokens: number;
  #at = 0;
  constructor(readonly perSecond: number) {
    this.#tokens = perSecond;
  }

  take(now: number): boolean {
    this.#tokens = Math.min(
      this.perSecond,
      this.#tokens + ((now - this.#at) / 1000) * this.perSecond,
    );
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** What `requireBearer()` returns: the middleware, and the same check with other scopes. */
export interface BearerHandler extends RequestHandler {
  /**
   * The same resource server (its cache, its introspection client) requiring other scopes, e.g. per
   * route: `app.post("/rooms", bearer.withScopes(["rooms:create"]), create)`.
   */
  withScopes(scopes: readonly string[]): RequestHandler;
  /** Tokens in the cache now, valid or refused. */
  readonly cacheSize: number;
}

// Registered: getProConnectToken() of either build reads what requireBearer() of the other set.
const TOKEN = Symbol.for("proconnect-express: the request's Bearer token");
type Locals = { [TOKEN]?: ProConnectToken };

/**
 * Protects an API as a ProConnect resource server. Reads `Authorization: Bearer <token>`, asks
 * ProConnect's introspection endpoint about it (RFC 7662, authenticated with the resource server's own
 * client id and secret; a signed answer verified with ProConnect's JWKS, or the secret for HS256, its
 * `iss` and `aud` checked), remembers the answer (valid ones until the cache's `ttl`, never beyond the
 * token's `exp`; refused ones `negativeTtl`), and puts what ProConnect said on `req.proconnectToken`.
 * The options are validated now: a wrong one throws `invalid_options` listing every problem.
 *
 * Answers itself, in JSON `{ error, message }` with a stable code, per RFC 6750:
 * 401 `unauthenticated` (no Bearer token, `WWW-Authenticate: Bearer`), 401 `invalid_token`
 * (`WWW-Authenticate: Bearer error="invalid_token"`), 403 `insufficient_scope`, and 503
 * `introspection_unavailable` when ProConnect cannot answer within `httpTimeout` or answers garbage:
 * a token is never let through without ProConnect's word.
 *
 * @example
 * import { requireBearer } from "proconnect-express";
 *
 * const bearer = requireBearer({
 *   clientId: process.env.API_CLIENT_ID!,
 *   clientSecret: process.env.API_CLIENT_SECRET!,
 *   environment: "production",
 *   introspectionSignedResponseAlg: "RS256",
 * });
 * app.get("/api/documents", bearer, (req, res) => res.json(documentsOf(req.proconnectToken!.sub)));
 */
export function requireBearer(options: RequireBearerOptions): BearerHandler {
  const resolved = resolveBearerOptions(options);
  const client = new IntrospectionClient({
    issuer: resolved.issuer,
    clientId: resolved.clientId,
    clientSecret: resolved.clientSecret,
    introspectionSignedResponseAlg: resolved.introspectionSignedResponseAlg,
    httpTimeout: resolved.httpTimeout,
    clockTolerance: resolved.clockTolerance,
  });
  const cacheOptions: Required<BearerCacheOptions> =
    resolved.cache === false ? { maxEntries: 1, ttl: 0, negativeTtl: 0 } : resolved.cache;
  const cache = new VerdictCache(cacheOptions.maxEntries);
  const pending = new Map<string, Promise<Verdict>>();
  const allowed = resolved.allowedClients ? new Set(resolved.allowedClients) : undefined;
  const warn = throttledWarnings(resolved.logger);
  const budget = new Budget(resolved.maxIntrospectionsPerSecond);

  /** The verdict on `token` from ProConnect, remembered as the cache allows. */
  async function introspect(token: string, key: string): Promise<Verdict> {
    const answer = await client.introspect(token);
    const verdict = judge(answer, Date.now());
    const ttl = verdict.valid ? cacheOptions.ttl : cacheOptions.negativeTtl;
    if (ttl > 0) {
      const until = Math.min(verdict.until, Date.now() + ttl * 1000);
      if (until > Date.now()) cache.set(key, { ...verdict, until });
    }
    return verdict;
  }

  /** ProConnect's answer, checked: what makes a token valid for this API. */
  function judge(answer: IntrospectionAnswer, now: number): Verdict {
    const refuse = (reason: string): Verdict => ({ valid: false, reason, until: Infinity });
    if (answer.active !== true) {
      return refuse("the access token is not active: expired, revoked or unknown to ProConnect");
    }
    const { sub, client_id: clientId, scope, exp, iat, iss, sid, token_type: type } = answer;
    if (typeof type !== "string" || type.toLowerCase() !== "bearer") {
      return refuse("the token is not an access token (a refresh token?)");
    }
    if (typeof sub !== "string" || sub === "") return refuse("the token names no person (no sub)");
    if (typeof clientId !== "string" || clientId === "") {
      return refuse("the token names no client (no client_id)");
    }
    if (iss !== undefined && iss !== resolved.issuer) {
      return refuse("the token was issued by another issuer than the one configured");
    }
    if (allowed && !allowed.has(clientId)) {
      return refuse("the token was issued to a client this API does not accept (allowedClients)");
    }
    if (exp !== undefined && typeof exp !== "number")
      return refuse("the token's exp is not a number");
    if (typeof exp === "number" && exp * 1000 <= now - resolved.clockTolerance * 1000) {
      return refuse("the access token has expired");
    }
    const granted = typeof scope === "string" ? scope : "";
    const token: ProConnectToken = {
      sub,
      client_id: clientId,
      scope: granted,
      scopes: Object.freeze(granted.split(" ").filter((each) => each !== "")),
      ...(typeof exp === "number" ? { exp } : {}),
      ...(typeof iat === "number" ? { iat } : {}),
      ...(typeof iss === "string" ? { iss } : {}),
      ...(typeof sid === "string" ? { sid } : {}),
      token_type: type,
      signed: resolved.introspectionSignedResponseAlg !== undefined,
    };
    Object.freeze(token);
    return {
      valid: true,
      token,
      // Until exp: ProConnect is asked again then, and says whether it is still valid.
      until: typeof exp === "number" ? exp * 1000 : Infinity,
    };
  }

  function handler(required: readonly string[]): RequestHandler {
    const challengeScope = required.join(" ");
    const decide = (
      verdict: Verdict,
      req: Request,
      res: Response,
      next: (error?: unknown) => void,
    ) => {
      if (!verdict.valid) {
        refuse(res, "invalid_token", verdict.reason);
        return;
      }
      const granted = verdict.token.scopes;
      for (const scope of required) {
        if (!granted.includes(scope)) {
          refuse(
            res,
            "insufficient_scope",
            `this route requires the scope${required.length > 1 ? "s" : ""} ${challengeScope}`,
            challengeScope,
          );
          return;
        }
      }
      (res.locals as Locals)[TOKEN] = verdict.token;
      // On this request only, whatever copy of Express made it.
      req.proconnectToken = verdict.token;
      // An answer about the person behind the token is theirs: no shared cache may keep it.
      if (!res.hasHeader("cache-control")) res.setHeader("Cache-Control", "private, no-store");
      next();
    };

    return function proconnectBearer(req, res, next) {
      const token = bearerTokenOf(req);
      if (token === undefined) {
        refuse(res, "unauthenticated", "send the ProConnect access token as Authorization: Bearer");
        return;
      }
      if (token === null) {
        refuse(res, "invalid_token", "the Authorization header's Bearer token is malformed");
        return;
      }
      const key = createHash("sha256").update(token).digest("base64url");
      const known = cache.get(key, Date.now());
      if (known) {
        decide(known, req, res, next);
        return;
      }
      let flight = pending.get(key);
      if (!flight) {
        // Tokens the cache does not know, as many as an anonymous caller likes: their introspections
        // are bounded, so that no one can make this API flood ProConnect.
        if (!budget.take(Date.now())) {
          res.set("Retry-After", "1");
          refuse(
            res,
            "introspection_unavailable",
            `more than ${resolved.maxIntrospectionsPerSecond} unknown tokens a second to ask ProConnect about (maxIntrospectionsPerSecond): try again in a second`,
          );
          return;
        }
        flight = introspect(token, key).finally(() => pending.delete(key));
        pending.set(key, flight);
      }
      flight.then(
        (verdict) => decide(verdict, req, res, next),
        (error: unknown) => {
          const failure =
            error instanceof ProConnectError
              ? error
              : new ProConnectError("introspection_unavailable", "the introspection failed", {
                  cause: error,
                });
          warn(failure);
          if (failure.code === "invalid_token") refuse(res, "invalid_token", failure.message);
          else refuse(res, "introspection_unavailable", failure.message);
        },
      );
    };
  }

  const middleware = handler(resolved.scopes) as BearerHandler;
  Object.defineProperties(middleware, {
    withScopes: {
      value: (scopes: readonly string[]) => {
        const checked = parseOptions(
          z.array(z.string().regex(SCOPE_TOKEN, "must be a scope: printable, no space or quote")),
          [...scopes],
          "withScopes()",
        );
        return handler([...new Set([...resolved.scopes, ...checked])]);
      },
    },
    cacheSize: { get: () => cache.size, enumerable: true },
  });
  return middleware;
}

/**
 * The request's Bearer token: `undefined` without one (no Authorization header, or another scheme),
 * `null` when it is malformed.
 */
function bearerTokenOf(req: Request): string | null | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const space = header.indexOf(" ");
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") return undefined;
  const token = header.slice(space + 1).trim();
  if (space === -1 || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) return null;
  return token;
}

/** The RFC 6750 answer: status, `WWW-Authenticate` and the JSON body. */
function refuse(res: Response, code: ProConnectErrorCode, message: string, scope?: string): void {
  const error = new ProConnectError(code, message);
  const challenge =
    code === "invalid_token" || code === "insufficient_scope"
      ? `Bearer error="${code}", error_description="${quotable(message)}"${scope ? `, scope="${scope}"` : ""}`
      : code === "unauthenticated"
        ? "Bearer"
        : undefined;
  if (challenge) res.set("WWW-Authenticate", challenge);
  if (!res.hasHeader("cache-control")) res.setHeader("Cache-Control", "private, no-store");
  res.status(error.status).json({ error: code, message });
}

/** RFC 6750 3: error_description is printable ASCII without `"` or `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, " ");
}

/** One warning per message per 10 s: an outage must not flood the logs. */
function throttledWarnings(logger: ProConnectLogger) {
  const last = new Map<string, number>();
  return (error: ProConnectError) => {
    if (error.code === "invalid_token" && !/signed/.test(error.message)) return;
    const now = Date.now();
    if ((last.get(error.message) ?? -Infinity) > now - 10_000) return;
    if (last.size > 100) last.clear();
    last.set(error.message, now);
    logger.warn(`requireBearer(): ${error.message}`, { code: error.code });
  };
}

/**
 * What ProConnect said of the Bearer token of a request that went through `requireBearer()`: the same as
 * `req.proconnectToken`, read from where `requireBearer()` keeps it (`res.locals`), which the app's own
 * code cannot set by mistake.
 *
 * @example
 * app.get("/api/documents", bearer, (req, res) => res.json(documentsOf(getProConnectToken(req)!.sub)));
 */
export function getProConnectToken(req: { res?: unknown }): ProConnectToken | undefined {
  return ((req.res as Response | undefined)?.locals as Locals | undefined)?.[TOKEN];
}
