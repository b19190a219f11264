import { randomBytes } from "node:crypto";
import type { ResolvedOptions } from "../lib/options.js";
import { networkErrorCode } from "../lib/provider-errors.js";
import { optionName, type LoadedConfig } from "./config.js";
import { get, type Check, type Discovery, type DoctorDeps, type Fetched } from "./check.js";
import type { Translate } from "./i18n.js";
import { NOT_REGISTERED_CODE } from "./uris.js";

const FORM = "Demande de modification d'un Fournisseur de Services ProConnect";

/**
 * What ProConnect's answer says about the registration. Its error pages are oidc-provider's, rendered
 * by ProConnect's server (`code erreur : oidc-provider-rendered-error:invalid_redirect_uri`, and
 * oidc-provider's description); the emulator shows the same, or in strict mode the documented codes
 * (Y030031, Y030111).
 */
type Reading =
  /**
   * `error`: absent when ProConnect goes on into its login; the `error` it sends the browser back to the
   * redirect URI with otherwise (null for none), as for a scope beyond the client's (`invalid_scope`).
   */
  | { kind: "registered"; error?: string | null }
  | { kind: "unknown_client" }
  | { kind: "unregistered" }
  | { kind: "unclear"; why: string };

/** The error names and ProConnect codes an error page shows, as text (HTML-escaped or not). */
function errorsOf(body: string): { names: Set<string>; codes: Set<string>; text: string } {
  const text = body.replace(/&#39;|&#x27;/g, "'").replace(/&quot;/g, '"');
  const names = new Set(
    [...text.matchAll(/\b(invalid_client|invalid_redirect_uri|invalid_request|[a-z]+_[a-z_]+)\b/g)]
      .map((match) => match[1] ?? "")
      .filter((name) => /^(invalid|unauthorized|access|server|login|unsupported)_/.test(name)),
  );
  const codes = new Set([...text.matchAll(/\bY[0-9A-F]{6}\b/g)].map((match) => match[0]));
  return { names, codes, text };
}

/** Whether `location` is `uri` itself, with a query added (ProConnect sending the browser back). */
function isBackTo(location: URL, uri: string): boolean {
  const target = new URL(uri);
  return location.origin === target.origin && location.pathname === target.pathname;
}

function describeAnswer(fetched: Fetched): string {
  const { names, codes } = errorsOf(fetched.body);
  const found = [...codes, ...names];
  return `HTTP ${fetched.response.status}${found.length > 0 ? `, ${found.join(", ")}` : ""}`;
}

/** An authorization request for `scope`, as a browser following the app's login link would send it. */
function authorizeUrl(authorize: string, options: ResolvedOptions, scope: string): string {
  const url = new URL(authorize);
  const random = () => randomBytes(24).toString("base64url"); // 32 characters, the documented minimum
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    scope,
    state: random(),
    nonce: random(),
  }).toString();
  return url.href;
}

/**
 * Where a redirect sends the browser, if the answer is one: `null` for no redirect, `undefined` for a
 * `Location` that is no URL (which proves nothing).
 */
function redirectTarget(fetched: Fetched, requestUrl: string): URL | null | undefined {
  const { status, headers } = fetched.response;
  const location = headers.get("location");
  if (status < 300 || status >= 400 || location === null) return null;
  return URL.canParse(location, requestUrl) ? new URL(location, requestUrl) : undefined;
}

/** The authorize endpoint's answer: a redirect into the login flow, or an error page. */
function readAuthorize(fetched: Fetched, requestUrl: string, redirectUri: string): Reading {
  const { response } = fetched;
  const target = redirectTarget(fetched, requestUrl);
  if (target !== null) {
    // oidc-provider sends the browser back only to a redirect_uri it checked against the client's.
    if (target !== undefined && isBackTo(target, redirectUri)) {
      return { kind: "registered", error: target.searchParams.get("error") };
    }
    // Into ProConnect's own interaction pages, on its origin. A redirect elsewhere (a proxy's login
    // page, a maintenance site) says nothing of the client.
    if (target !== undefined && target.origin === new URL(requestUrl).origin) {
      return { kind: "registered" };
    }
    return {
      kind: "unclear",
      why: `HTTP ${response.status} → ${response.headers.get("location")}`,
    };
  }
  const { names, codes, text } = errorsOf(fetched.body);
  if (response.status >= 400) {
    if (names.has("invalid_client")) return { kind: "unknown_client" };
    if (
      names.has("invalid_redirect_uri") ||
      codes.has(NOT_REGISTERED_CODE.login) ||
      /redirect_uri did not match/.test(text)
    ) {
      return { kind: "unregistered" };
    }
  }
  return { kind: "unclear", why: describeAnswer(fetched) };
}

/** oidc-provider's logout form (`op.logoutForm`), which ProConnect's logout page carries: its `xsrf` field. */
const LOGOUT_FORM = /<form\b[^>]*>[\s\S]*?<input\b[^>]*\bname=["']?xsrf\b/i;

/**
 * The end_session endpoint's answer: its logout page (the form that confirms itself) or a redirect back
 * to the post-logout URI, or an error page. Any other answer, a 200 included, proves nothing.
 */
function readEndSession(fetched: Fetched, requestUrl: string, postLogoutUri: string): Reading {
  const { response } = fetched;
  const { names, codes, text } = errorsOf(fetched.body);
  if (response.status >= 400) {
    if (names.has("invalid_client")) return { kind: "unknown_client" };
    if (
      codes.has(NOT_REGISTERED_CODE.logout) ||
      /post_logout_redirect_uri not registered/.test(text)
    ) {
      return { kind: "unregistered" };
    }
  }
  const target = redirectTarget(fetched, requestUrl);
  if (target !== null) {
    if (target !== undefined && isBackTo(target, postLogoutUri)) return { kind: "registered" };
  } else if (response.status >= 200 && response.status < 300 && LOGOUT_FORM.test(fetched.body)) {
    return { kind: "registered" };
  }
  return { kind: "unclear", why: describeAnswer(fetched) };
}

function endpoint(document: Discovery, field: "authorization_endpoint" | "end_session_endpoint") {
  const value = document[field];
  return typeof value === "string" && URL.canParse(value) ? value : undefined;
}

async function ask(url: string, timeout: number, deps: DoctorDeps): Promise<Fetched | Error> {
  try {
    // As a browser: an HTML page, and redirects read rather than followed.
    return await get(url, timeout, deps, { accept: "text/html" });
  } catch (error) {
    return error as Error;
  }
}

function failure(error: Error, timeout: number, t: Translate): string {
  return error.name === "TimeoutError"
    ? t(`pas de réponse en ${timeout} ms`, `no answer in ${timeout} ms`)
    : (networkErrorCode(error) ?? error.name);
}

/** ProConnect's answer to an authorization request for `scope`, read as the scope's verdict. */
async function askScope(
  authorize: string,
  config: LoadedConfig,
  scope: string,
  timeout: number,
  deps: DoctorDeps,
): Promise<"allowed" | "refused" | string> {
  const url = authorizeUrl(authorize, config.options, scope);
  const answer = await ask(url, timeout, deps);
  if (answer instanceof Error) return answer.name;
  const reading = readAuthorize(answer, url, config.options.redirectUri);
  if (reading.kind !== "registered") return describeAnswer(answer);
  // Into the login (ProConnect's own pages): every scope asked is allowed.
  if (reading.error === undefined) return "allowed";
  return reading.error === "invalid_scope" ? "refused" : `error=${reading.error ?? "(none)"}`;
}

/**
 * Whether ProConnect lets this client ask for the scopes the app asks for: each client has an allow-list,
 * and a scope beyond it fails every login with `invalid_scope`, which does not say which scope. All of
 * them at once first; when refused, one at a time (beside `openid`) to name the missing ones.
 */
async function checkScopes(
  authorize: string,
  config: LoadedConfig,
  timeout: number,
  deps: DoctorDeps,
  t: Translate,
): Promise<Check> {
  const { scope, clientId } = config.options;
  const all = await askScope(authorize, config, scope, timeout, deps);
  if (all === "allowed") {
    return {
      status: "pass",
      text: t(
        `scopes autorisés pour ce client : ${scope}`,
        `scopes allowed for this client: ${scope}`,
      ),
    };
  }
  if (all !== "refused") return noConclusion("scopes", authorize, all, t);
  const missing: string[] = [];
  for (const each of scope.split(" ").filter((name) => name !== "openid")) {
    if ((await askScope(authorize, config, `openid ${each}`, timeout, deps)) === "refused") {
      missing.push(each);
    }
  }
  const names = missing.length > 0 ? missing.join(" ") : scope;
  return {
    status: "fail",
    text: t(
      `scopes non autorisés pour ce client (invalid_scope) : ${names}`,
      `scopes not allowed for this client (invalid_scope): ${names}`,
    ),
    details: [
      t(
        `Chaque connexion échouerait avec invalid_scope. Demandez à ProConnect d'autoriser ${names} pour le client ${clientId}`,
        `Every login would fail with invalid_scope. Ask ProConnect to allow ${names} for the client ${clientId}`,
      ),
      t(
        `(sp-config liste les scopes de l'application), ou retirez-les de l'option scopes de proconnect().`,
        `(sp-config lists the app's scopes), or take them out of proconnect()'s scopes option.`,
      ),
    ],
  };
}

/** The redirect URI a check is about: the login's (with the client id) or the logout's. */
type Redirect = "login" | "logout";

/** What the login or the logout check is about, as its lines start. */
function subject(redirect: Redirect, t: Translate): string {
  return redirect === "login"
    ? t("client id et URL de redirection de connexion", "client id and login redirect URI")
    : t("URL de redirection de déconnexion", "post-logout redirect URI");
}

/** A check without a verdict: `field` (the endpoint `what` is checked at) missing from the document. */
function missingEndpoint(what: string, field: string, t: Translate): Check {
  return {
    status: "skip",
    text: t(`${what} : ${field} absent du document`, `${what}: ${field} missing from the document`),
  };
}

/** A check without a verdict: `endpoint`'s answer (`why`: its status and error names) says nothing clear. */
function noConclusion(what: string, endpoint: string, why: string, t: Translate): Check {
  return {
    status: "skip",
    text: t(
      `${what} : réponse de ${endpoint} sans conclusion (${why})`,
      `${what}: no conclusion from ${endpoint}'s answer (${why})`,
    ),
  };
}

/** What to do about a client id ProConnect does not know: the options that choose it and its server. */
function unknownClient(config: LoadedConfig, t: Translate): Check {
  const { options, source } = config;
  const clientIdName = optionName(source, "clientId");
  return {
    status: "fail",
    text: t(
      `client id inconnu de ProConnect (invalid_client) : ${options.clientId}`,
      `client id unknown to ProConnect (invalid_client): ${options.clientId}`,
    ),
    details: [
      t(
        `ProConnect ne connaît pas ce client sur ${options.issuer}.`,
        `ProConnect does not know this client at ${options.issuer}.`,
      ),
      t(
        `Corrigez ${clientIdName} : le « CLIENT ID » que ProConnect vous a donné pour ce réseau et cet environnement`,
        `Fix ${clientIdName}: the « CLIENT ID » ProConnect gave you for this network and this environment`,
      ),
      t(
        "(un client d'intégration est inconnu en production, un client Internet l'est sur le RIE) ;",
        "(an integration client is unknown in production, an Internet client on the RIE);",
      ),
      t(
        `ou corrigez ${optionName(source, "environment")}, ${optionName(source, "network")} ou ${optionName(source, "issuer")} (voir proconnect-express sp-config).`,
        `or fix ${optionName(source, "environment")}, ${optionName(source, "network")} or ${optionName(source, "issuer")} (see proconnect-express sp-config).`,
      ),
    ],
  };
}

/**
 * A redirect URI ProConnect does not know (ProConnect's code for it, and oidc-provider's error for the
 * login's), and what to do: the form's field, and sp-config's answer.
 */
function unregistered(config: LoadedConfig, redirect: Redirect, t: Translate): Check {
  const { options, source } = config;
  const code = NOT_REGISTERED_CODE[redirect];
  const login = redirect === "login";
  const uri = login ? options.redirectUri : options.postLogoutRedirectUri;
  const text = login
    ? t(
        `URL de redirection de connexion non enregistrée (${code}, invalid_redirect_uri)`,
        `login redirect URI not registered (${code}, invalid_redirect_uri)`,
      )
    : t(
        `URL de redirection de déconnexion non enregistrée (${code})`,
        `post-logout redirect URI not registered (${code})`,
      );
  const [field, flag, route] = login
    ? ["CONNEXION", "--existing", "callback"]
    : ["DÉCONNEXION", "--existing-logout", "logoutCallback"];
  return {
    status: "fail",
    text: t(`${text} : ${uri}`, `${text}: ${uri}`),
    details: [
      t(
        `ProConnect compare à la lettre (la barre oblique finale compte). Ajoutez-la au champ`,
        `ProConnect compares to the letter (a trailing slash counts). Add it to the field`,
      ),
      t(
        `« URLs de redirection post ${field} » du formulaire « ${FORM} » :`,
        `« URLs de redirection post ${field} » of the form « ${FORM} »:`,
      ),
      t(
        `proconnect-express sp-config ${flag} <chaque URL déjà enregistrée> donne la liste complète à coller (une demande remplace la liste).`,
        `proconnect-express sp-config ${flag} <each URI already registered> gives the full list to paste (a request replaces the list).`,
      ),
      t(
        `Ou corrigez ${optionName(source, "baseUrl")} (ou routes.${route}) si c'est l'application qui se trompe.`,
        `Or fix ${optionName(source, "baseUrl")} (or routes.${route}) if the app is the one that is wrong.`,
      ),
    ],
  };
}

/** The check of an answer that does not say the redirect URI is registered, read at `endpoint`. */
function notRegistered(
  reading: Exclude<Reading, { kind: "registered" }>,
  redirect: Redirect,
  endpoint: string,
  config: LoadedConfig,
  t: Translate,
): Check {
  switch (reading.kind) {
    case "unknown_client":
      return unknownClient(config, t);
    case "unregistered":
      return unregistered(config, redirect, t);
    case "unclear":
      return noConclusion(subject(redirect, t), endpoint, reading.why, t);
  }
}

/** ProConnect's answer to `url`, read by `read`; none (a network failure, the timeout) reads as unclear. */
async function askAndRead(
  url: string,
  timeout: number,
  deps: DoctorDeps,
  t: Translate,
  read: (fetched: Fetched) => Reading,
): Promise<Reading> {
  const answer = await ask(url, timeout, deps);
  return answer instanceof Error
    ? { kind: "unclear", why: failure(answer, timeout, t) }
    : read(answer);
}

/**
 * Whether ProConnect knows the client id and its login redirect URI: the authorize endpoint's answer to a
 * login asking only `openid`. Its reading too, which decides the checks that follow.
 */
async function checkLogin(
  authorize: string | undefined,
  config: LoadedConfig,
  timeout: number,
  deps: DoctorDeps,
  t: Translate,
): Promise<{ check: Check; reading?: Reading }> {
  if (authorize === undefined) {
    return { check: missingEndpoint(subject("login", t), "authorization_endpoint", t) };
  }
  const { clientId, redirectUri } = config.options;
  const url = authorizeUrl(authorize, config.options, "openid");
  const reading = await askAndRead(url, timeout, deps, t, (answer) =>
    readAuthorize(answer, url, redirectUri),
  );
  if (reading.kind !== "registered") {
    return { check: notRegistered(reading, "login", authorize, config, t), reading };
  }
  const check: Check = {
    status: "pass",
    text: t(
      `client id et URL de redirection de connexion enregistrés : ${clientId}, ${redirectUri}`,
      `client id and login redirect URI registered: ${clientId}, ${redirectUri}`,
    ),
  };
  if (reading.error) {
    check.details = [
      t(
        `ProConnect renvoie vers l'application avec error=${reading.error}`,
        `ProConnect sends back to the app with error=${reading.error}`,
      ),
    ];
  }
  return { check, reading };
}

/**
 * Whether ProConnect knows the post-logout redirect URI: the end_session endpoint's answer to the client
 * id and that URI, without id_token_hint.
 */
async function checkLogout(
  endSession: string | undefined,
  config: LoadedConfig,
  timeout: number,
  deps: DoctorDeps,
  t: Translate,
): Promise<Check> {
  if (endSession === undefined) {
    return missingEndpoint(subject("logout", t), "end_session_endpoint", t);
  }
  const { clientId, postLogoutRedirectUri } = config.options;
  const url = new URL(endSession);
  url.search = new URLSearchParams({
    client_id: clientId,
    post_logout_redirect_uri: postLogoutRedirectUri,
  }).toString();
  const reading = await askAndRead(url.href, timeout, deps, t, (answer) =>
    readEndSession(answer, url.href, postLogoutRedirectUri),
  );
  if (reading.kind !== "registered") {
    return notRegistered(reading, "logout", endSession, config, t);
  }
  return {
    status: "pass",
    text: t(
      `URL de redirection de déconnexion enregistrée : ${postLogoutRedirectUri}`,
      `post-logout redirect URI registered: ${postLogoutRedirectUri}`,
    ),
  };
}

/**
 * Whether ProConnect knows the client id, its login redirect URI and its post-logout redirect URI: asks
 * as a browser would (the authorize endpoint with that client_id and redirect_uri; end_session with
 * client_id and post_logout_redirect_uri, without id_token_hint), never following a redirect, never
 * sending the secret, and reads the answer.
 */
export async function checkRegistration(
  document: Discovery,
  config: LoadedConfig,
  timeout: number,
  deps: DoctorDeps,
  t: Translate,
): Promise<Check[]> {
  const authorize = endpoint(document, "authorization_endpoint");
  const login = await checkLogin(authorize, config, timeout, deps, t);
  const checks = [login.check];
  // The scopes only once ProConnect sends the browser back to the app: its answer then says which.
  if (authorize !== undefined && login.reading?.kind === "registered") {
    checks.push(await checkScopes(authorize, config, timeout, deps, t));
  } else if (authorize !== undefined) {
    checks.push({
      status: "skip",
      text: t(
        "scopes autorisés pour ce client : vérification impossible tant que l'URL de redirection de connexion n'est pas reconnue",
        "scopes allowed for this client: cannot be checked until the login redirect URI is recognised",
      ),
    });
  }
  if (login.reading?.kind === "unknown_client") {
    checks.push({
      status: "skip",
      text: t(
        `URL de redirection de déconnexion : vérification impossible pour un client inconnu`,
        `post-logout redirect URI: cannot be checked for an unknown client`,
      ),
    });
  } else {
    checks.push(
      await checkLogout(endpoint(document, "end_session_endpoint"), config, timeout, deps, t),
    );
  }
  return checks;
}
