import type { Request, RequestHandler } from "express";
import { ACR_VALUES, isProConnectAcr } from "../acr.js";
import type { Context } from "../context.js";
import { ProConnectError } from "../errors.js";
import { publish } from "../events.js";
import { isLoginHint } from "../login-hint.js";
import { safeReturnTo } from "../return-to.js";
import { requireSettableCookie } from "../session.js";

const PROMPTS = new Set(["login", "consent", "none"]);

/** The query of `/login`: only these are read, only ProConnect's parameters are forwarded. */
interface LoginQuery {
  returnTo?: string;
  idp_hint?: string;
  login_hint?: string;
  siret_hint?: string;
  prompt?: string;
  /** Space-separated acr values to require (sent by `requireAuth({ acr })`). */
  acr?: string;
}

/**
 * Characters the query of `/login` may have. Every value it can carry is bounded on its own (a `returnTo`
 * of 2048 once normalized, hints of 256, seven acr values…); beyond this the request is not one an app or
 * a browser makes, and refusing it keeps the redirect's headers far below what proxies accept.
 */
const MAX_QUERY_LENGTH = 8192;

function readQuery(query: unknown, url: string): LoginQuery {
  const at = url.indexOf("?");
  if (at !== -1 && url.length - at - 1 > MAX_QUERY_LENGTH) {
    throw new ProConnectError(
      "invalid_login_request",
      `the query of /login is longer than ${MAX_QUERY_LENGTH} characters`,
    );
  }
  const raw = (query ?? {}) as Record<string, unknown>;
  const read: Record<string, string> = {};
  for (const name of [
    "returnTo",
    "idp_hint",
    "login_hint",
    "siret_hint",
    "prompt",
    "acr",
  ] as const) {
    const value = raw[name];
    if (value === undefined || value === "") continue;
    if (typeof value !== "string") {
      throw new ProConnectError(
        "invalid_login_request",
        `${name} must be given once, as a plain value`,
      );
    }
    read[name] = value;
  }
  const bad = (message: string) => new ProConnectError("invalid_login_request", message);
  if (read.login_hint !== undefined && !isLoginHint(read.login_hint))
    throw bad("login_hint must be an e-mail address");
  if (read.siret_hint !== undefined && !/^\d{14}$/.test(read.siret_hint))
    throw bad("siret_hint must be 14 digits");
  if (read.idp_hint !== undefined && !/^[\x21-\x7e]{1,256}$/.test(read.idp_hint))
    throw bad("idp_hint is not an idp_id");
  if (read.prompt !== undefined && !PROMPTS.has(read.prompt))
    throw bad("prompt must be login, consent or none");
  if (read.acr !== undefined) {
    const values = read.acr.split(" ");
    // Each distinct value at most once: a list of any length would go into the authorization URL.
    if (values.length > ACR_VALUES.length || new Set(values).size !== values.length) {
      throw bad(`acr lists at most ${ACR_VALUES.length} distinct values`);
    }
    if (!values.every(isProConnectAcr)) {
      throw bad("acr must be acr values ProConnect knows, separated by spaces");
    }
  }
  return read;
}

/**
 * Where the login goes back to: the app's `returnTo(req)` when it gives a value, else the query's; only
 * a safe one (see `safeReturnTo`), else `undefined` for `postLoginRedirect`.
 */
function returnToOf(
  req: Request,
  query: LoginQuery,
  fromApp: ((req: Request) => string | undefined) | undefined,
): string | undefined {
  const given = fromApp?.(req);
  return safeReturnTo(given === undefined || given === "" ? query.returnTo : given);
}

/** `GET /login`: a fresh state, nonce and PKCE verifier for each attempt, then off to ProConnect. */
export function loginRoute({ options, provider, loginCookies, name }: Context): RequestHandler {
  return async (req, res, next) => {
    try {
      // Read-only here, but the login ends in a session: a missing express-session, or a session cookie
      // this request cannot set, is said now rather than after ProConnect.
      requireSettableCookie(req);
      const query = readQuery(req.query, req.originalUrl);
      const attempt = await provider.newAttempt();
      const claims = structuredClone(options.claims ?? {});
      if (query.acr)
        claims.id_token = {
          ...claims.id_token,
          acr: { essential: true, values: query.acr.split(" ") },
          // How the person proved it (an e-mail code, a key…): what a page that required a level shows.
          amr: claims.id_token?.amr ?? null,
        };

      const parameters: Record<string, string> = {
        redirect_uri: options.redirectUri,
        scope: options.scope,
        state: attempt.state,
        nonce: attempt.nonce,
        code_challenge: attempt.codeChallenge,
        code_challenge_method: "S256",
      };
      for (const name of ["idp_hint", "login_hint", "siret_hint", "prompt"] as const) {
        if (query[name] !== undefined) parameters[name] = query[name];
      }
      // Not beside a required acr: ProConnect's oidc-provider 7 would take acr_values as its essential
      // values, and the login would come back below the level required.
      if (options.acrValues && !query.acr) parameters.acr_values = options.acrValues.join(" ");
      if (Object.keys(claims).length > 0) parameters.claims = JSON.stringify(claims);

      // Discovery first: when ProConnect is down, the browser gets no cookie.
      const url = await provider.authorizationUrl(parameters);
      // In its own cookie, not in the session: see login-cookie.ts.
      loginCookies.write(req, res, attempt.state, {
        nonce: attempt.nonce,
        codeVerifier: attempt.codeVerifier,
        returnTo: returnToOf(req, query, options.returnTo) ?? options.postLoginRedirect,
        expiresAt: Date.now() + options.loginTimeout * 1000,
        ...(query.prompt === "none" ? { silent: true } : {}),
      });
      publish("loginStart", () => {
        const acr = query.acr?.split(" ") ?? options.acrValues;
        return {
          instance: name,
          ...(acr ? { acr: [...acr] } : {}),
          ...(query.prompt === "none" ? { silent: true as const } : {}),
        };
      });
      res.redirect(303, url.href);
    } catch (error) {
      next(error);
    }
  };
}
