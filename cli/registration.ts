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

/** The authorize endpoint's answer: a redirect into the login flow, or an error page. */
function readAuthorize(fetched: Fetched, requestUrl: string, redirectUri: string): Reading {
  const { response } = fetched;
  const location = response.headers.get("location");
  if (response.status >= 300 && response.status < 400 && location !== null) {
    const target = new URL(location, requestUrl);
    // oidc-provider sends the browser back only to a redirect_uri it checked against the client's.
    return isBackTo(target, redirectUri)
      ? { kind: "registered", error: target.searchParams.get("error") }
      : { kind: "registered" };
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

/** The end_session endpoint's answer: its logout page (or a redirect), or an error page. */
function readEndSession(fetched: Fetched): Reading {
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
    return { kind: "unclear", why: describeAnswer(fetched) };
  }
  // oidc-provider's logout page (a form that confirms itself), or a redirect: the URI was accepted.
  return { kind: "registered" };
}

function endpoint(document: Discovery, field: "authorization_endpoint" | "end_session_endpoint") {
  const value = document[field];
  return typeof value === "string" && URL.canParse(value) ? value : undefined;
}

async function ask(url: string, timeout: number, deps: DoctorDeps): Promise<Fetched | Error> {
  try {
    // As a browser: an HTML page, and redirects read rather than followed.
    return await get(url, timeout, deps, { redirect: "manual", accept: "text/html" });
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
  if (all !== "refused") {
    return {
      status: "skip",
      text: t(
        `scopes : réponse de ${authorize} sans conclusion (${all})`,
        `scopes: no conclusion from ${authorize}'s answer (${all})`,
      ),
    };
  }
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
  const { options, source } = config;
  const clientIdName = optionName(source, "clientId");
  const baseUrlName = optionName(source, "baseUrl");
  const spConfig = (flag: string) =>
    t(
      `proconnect-express sp-config ${flag} <chaque URL déjà enregistrée> donne la liste complète à coller (une demande remplace la liste).`,
      `proconnect-express sp-config ${flag} <each URI already registered> gives the full list to paste (a request replaces the list).`,
    );
  const unknownClient = (): Check => ({
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
  });

  // What to do about a redirect URI ProConnect does not know: the form's field, and sp-config's answer.
  const unregisteredFix = (
    field: "CONNEXION" | "DÉCONNEXION",
    flag: "--existing" | "--existing-logout",
    route: "callback" | "logoutCallback",
  ): string[] => [
    t(
      `ProConnect compare à la lettre (la barre oblique finale compte). Ajoutez-la au champ`,
      `ProConnect compares to the letter (a trailing slash counts). Add it to the field`,
    ),
    t(
      `« URLs de redirection post ${field} » du formulaire « ${FORM} » :`,
      `« URLs de redirection post ${field} » of the form « ${FORM} »:`,
    ),
    spConfig(flag),
    t(
      `Ou corrigez ${baseUrlName} (ou routes.${route}) si c'est l'application qui se trompe.`,
      `Or fix ${baseUrlName} (or routes.${route}) if the app is the one that is wrong.`,
    ),
  ];

  const checks: Check[] = [];
  const authorize = endpoint(document, "authorization_endpoint");
  let clientUnknown = false;
  let loginRegistered = false;
  if (authorize === undefined) {
    checks.push({
      status: "skip",
      text: t(
        "client id et URL de redirection de connexion : authorization_endpoint absent du document",
        "client id and login redirect URI: authorization_endpoint missing from the document",
      ),
    });
  } else {
    const url = authorizeUrl(authorize, options, "openid");
    const answer = await ask(url, timeout, deps);
    const reading: Reading =
      answer instanceof Error
        ? { kind: "unclear", why: failure(answer, timeout, t) }
        : readAuthorize(answer, url, options.redirectUri);
    const uri = options.redirectUri;
    switch (reading.kind) {
      case "registered":
        loginRegistered = true;
        checks.push({
          status: "pass",
          text: t(
            `client id et URL de redirection de connexion enregistrés : ${options.clientId}, ${uri}`,
            `client id and login redirect URI registered: ${options.clientId}, ${uri}`,
          ),
          ...(reading.error
            ? {
                details: [
                  t(
                    `ProConnect renvoie vers l'application avec error=${reading.error}`,
                    `ProConnect sends back to the app with error=${reading.error}`,
                  ),
                ],
              }
            : {}),
        });
        break;
      case "unknown_client":
        clientUnknown = true;
        checks.push(unknownClient());
        break;
      case "unregistered":
        checks.push({
          status: "fail",
          text: t(
            `URL de redirection de connexion non enregistrée (${NOT_REGISTERED_CODE.login}, invalid_redirect_uri) : ${uri}`,
            `login redirect URI not registered (${NOT_REGISTERED_CODE.login}, invalid_redirect_uri): ${uri}`,
          ),
          details: unregisteredFix("CONNEXION", "--existing", "callback"),
        });
        break;
      case "unclear":
        checks.push({
          status: "skip",
          text: t(
            `client id et URL de redirection de connexion : réponse de ${authorize} sans conclusion (${reading.why})`,
            `client id and login redirect URI: no conclusion from ${authorize}'s answer (${reading.why})`,
          ),
        });
        break;
    }
  }

  // The scopes only once ProConnect sends the browser back to the app: its answer then says which.
  if (authorize !== undefined && loginRegistered) {
    checks.push(await checkScopes(authorize, config, timeout, deps, t));
  }

  const endSession = endpoint(document, "end_session_endpoint");
  const logoutUri = options.postLogoutRedirectUri;
  if (clientUnknown) {
    checks.push({
      status: "skip",
      text: t(
        `URL de redirection de déconnexion : vérification impossible pour un client inconnu`,
        `post-logout redirect URI: cannot be checked for an unknown client`,
      ),
    });
  } else if (endSession === undefined) {
    checks.push({
      status: "skip",
      text: t(
        "URL de redirection de déconnexion : end_session_endpoint absent du document",
        "post-logout redirect URI: end_session_endpoint missing from the document",
      ),
    });
  } else {
    const url = new URL(endSession);
    url.search = new URLSearchParams({
      client_id: options.clientId,
      post_logout_redirect_uri: logoutUri,
    }).toString();
    const answer = await ask(url.href, timeout, deps);
    const reading: Reading =
      answer instanceof Error
        ? { kind: "unclear", why: failure(answer, timeout, t) }
        : readEndSession(answer);
    switch (reading.kind) {
      case "registered":
        checks.push({
          status: "pass",
          text: t(
            `URL de redirection de déconnexion enregistrée : ${logoutUri}`,
            `post-logout redirect URI registered: ${logoutUri}`,
          ),
        });
        break;
      case "unknown_client":
        checks.push(unknownClient());
        break;
      case "unregistered":
        checks.push({
          status: "fail",
          text: t(
            `URL de redirection de déconnexion non enregistrée (${NOT_REGISTERED_CODE.logout}) : ${logoutUri}`,
            `post-logout redirect URI not registered (${NOT_REGISTERED_CODE.logout}): ${logoutUri}`,
          ),
          details: unregisteredFix("DÉCONNEXION", "--existing-logout", "logoutCallback"),
        });
        break;
      case "unclear":
        checks.push({
          status: "skip",
          text: t(
            `URL de redirection de déconnexion : réponse de ${endSession} sans conclusion (${reading.why})`,
            `post-logout redirect URI: no conclusion from ${endSession}'s answer (${reading.why})`,
          ),
        });
        break;
    }
  }
  return checks;
}
