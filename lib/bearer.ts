// `requireBearer()`: an API protected as a ProConnect resource server, by introspection (RFC 7662).
import { createHash } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import {
  resolveBearerOptions,
  scopesSchema,
  type ResolvedBearerOptions,
} from "./bearer-options.js";
import { IntrospectionClient } from "./client.js";
import { ProConnectError, type ProConnectErrorCode } from "./errors.js";
import { publish } from "./events.js";
import { ExpiringCache } from "./expiring-cache.js";
import { Budget, judgeIntrospection, type Verdict } from "./introspection-verdict.js";
import { parseOptions } from "./options.js";
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

// RFC 6750 2.1: b64token. Longer than any access token ProConnect issues (43 characters, opaque).
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 4096;

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
  const server = resourceServer(resolved);
  const middleware = bearerHandler(server, resolved.scopes) as BearerHandler;
  Object.defineProperties(middleware, {
    withScopes: {
      value: (scopes: readonly string[]) => {
        const checked = parseOptions(scopesSchema, [...scopes], "withScopes()");
        return bearerHandler(server, [...new Set([...resolved.scopes, ...checked])]);
      },
    },
    cacheSize: { get: () => server.valid.size + server.refused.size, enumerable: true },
  });
  return middleware;
}

/** What one `requireBearer()` keeps: its introspection client, its verdicts and its budget. */
interface ResourceServer {
  /** Valid tokens and refused ones apart: refusals sent by anyone never push a valid token out. */
  valid: ExpiringCache<Verdict>;
  refused: ExpiringCache<Verdict>;
  /**
   * The verdict on `token` (`key`: its digest): known, or asked of ProConnect (one flight per token),
   * or `undefined` when the budget of introspections is spent.
   */
  verdictOf(token: string, key: string): Verdict | Promise<Verdict> | undefined;
  warn(error: ProConnectError): void;
  maxPerSecond: number;
}

function resourceServer(resolved: ResolvedBearerOptions): ResourceServer {
  const client = new IntrospectionClient({
    issuer: resolved.issuer,
    clientId: resolved.clientId,
    clientSecret: resolved.clientSecret,
    introspectionSignedResponseAlg: resolved.introspectionSignedResponseAlg,
    httpTimeout: resolved.httpTimeout,
    clockTolerance: resolved.clockTolerance,
  });
  const ttls: Required<BearerCacheOptions> =
    resolved.cache === false ? { maxEntries: 1, ttl: 0, negativeTtl: 0 } : resolved.cache;
  const valid = new ExpiringCache<Verdict>(ttls.maxEntries);
  const refused = new ExpiringCache<Verdict>(ttls.maxEntries);
  const pending = new Map<string, Promise<Verdict>>();
  const budget = new Budget(resolved.maxIntrospectionsPerSecond);
  const rules = {
    issuer: resolved.issuer,
    allowed: resolved.allowedClients ? new Set(resolved.allowedClients) : undefined,
    clockTolerance: resolved.clockTolerance,
    signed: resolved.introspectionSignedResponseAlg !== undefined,
  };

  /** The verdict on `token` from ProConnect, remembered as the cache allows. */
  async function introspect(token: string, key: string): Promise<Verdict> {
    const answer = await client.introspect(token);
    const now = Date.now();
    const verdict = judgeIntrospection(answer, rules, now);
    const ttl = verdict.valid ? ttls.ttl : ttls.negativeTtl;
    // Kept by the monotonic clock: a wall clock set back must not keep a verdict longer.
    const lasts = Math.min(verdict.until - now, ttl * 1000);
    if (lasts > 0) {
      (verdict.valid ? valid : refused).set(key, { ...verdict, until: performance.now() + lasts });
    }
    return verdict;
  }

  return {
    valid,
    refused,
    warn: throttledWarnings(resolved.logger),
    maxPerSecond: resolved.maxIntrospectionsPerSecond,
    verdictOf(token, key) {
      const now = performance.now();
      const known = valid.get(key, now) ?? refused.get(key, now) ?? pending.get(key);
      if (known) return known;
      // Tokens the cache does not know, as many as an anonymous caller likes: their introspections
      // are bounded, so that no one can make this API flood ProConnect.
      if (!budget.take(now)) return undefined;
      const flight = introspect(token, key).finally(() => pending.delete(key));
      pending.set(key, flight);
      return flight;
    },
  };
}

/** The middleware of `server` requiring `required` scopes. */
function bearerHandler(server: ResourceServer, required: readonly string[]): RequestHandler {
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
    const verdict = server.verdictOf(token, createHash("sha256").update(token).digest("base64url"));
    if (verdict === undefined) {
      res.set("Retry-After", "1");
      refuse(
        res,
        "introspection_unavailable",
        `more than ${server.maxPerSecond} unknown tokens a second to ask ProConnect about (maxIntrospectionsPerSecond): try again in a second`,
      );
      return;
    }
    if (!(verdict instanceof Promise)) {
      decide(verdict, required, req, res, next);
      return;
    }
    verdict
      .then(
        (known) => {
          // The app answered meanwhile (its own response timeout): nothing left to say, nor to run.
          if (!res.headersSent) decide(known, required, req, res, next);
        },
        (error: unknown) => {
          const failure =
            error instanceof ProConnectError
              ? error
              : new ProConnectError("introspection_unavailable", "the introspection failed", {
                  cause: error,
                });
          server.warn(failure);
          if (res.headersSent) return;
          refuse(
            res,
            failure.code === "invalid_token" ? "invalid_token" : "introspection_unavailable",
            failure.message,
          );
        },
      )
      // Whatever else throws after the wait goes to the app, never to an unhandled rejection.
      .catch(next);
  };
}

/** Lets the request through with its token, or answers why not. */
function decide(
  verdict: Verdict,
  required: readonly string[],
  req: Request,
  res: Response,
  next: (error?: unknown) => void,
): void {
  if (!verdict.valid) {
    refuse(res, "invalid_token", verdict.reason, undefined, verdict.clientId);
    return;
  }
  const { token } = verdict;
  if (required.some((scope) => !token.scopes.includes(scope))) {
    const wanted = required.join(" ");
    const plural = required.length > 1 ? "s" : "";
    const message = `this route requires the scope${plural} ${wanted}`;
    refuse(res, "insufficient_scope", message, wanted, token.client_id);
    return;
  }
  publish("bearerAccept", () => ({ sub: token.sub, client_id: token.client_id }));
  (res.locals as Locals)[TOKEN] = verdict.token;
  // On this request only, whatever copy of Express made it.
  req.proconnectToken = verdict.token;
  // An answer about the person behind the token is theirs: no shared cache may keep it.
  if (!res.hasHeader("cache-control")) res.setHeader("Cache-Control", "private, no-store");
  next();
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

/** The RFC 6750 answer: status, `WWW-Authenticate` and the JSON body; the refusal's event. */
function refuse(
  res: Response,
  code: ProConnectErrorCode,
  message: string,
  scope?: string,
  clientId?: string,
): void {
  publish("bearerRefuse", () => ({
    code,
    ...(clientId === undefined ? {} : { client_id: clientId }),
  }));
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

/** One warning per code per 10 s: an outage must not flood the logs. */
function throttledWarnings(logger: ProConnectLogger) {
  const last = new Map<string, number>();
  return (error: ProConnectError) => {
    const now = Date.now();
    if ((last.get(error.code) ?? -Infinity) > now - 10_000) return;
    last.set(error.code, now);
    logger.warn({ code: error.code }, `requireBearer(): ${error.message}`);
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
