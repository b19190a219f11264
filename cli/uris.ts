import type { ProConnectEnvironment } from "../lib/issuers.js";
import {
  PROBLEM_PROCONNECT_CODES,
  redirectUriProblems,
  type RedirectUriProblem,
} from "../lib/redirect-uris.js";
import { translator, type Lang, type Translate } from "./i18n.js";

/** The two lists of the form: login redirect URIs and post-logout redirect URIs. */
export type UriList = "login" | "logout";

/** Why a URI deserves attention. See the README's table. */
export type WarningCode =
  | "wildcard"
  | "malformed"
  | "query"
  | "http_in_production"
  | "localhost_in_production"
  | "duplicate"
  | "trailing_slash"
  | "near_duplicate"
  | "not_registered"
  | "wrong_list";

export interface UriWarning {
  code: WarningCode;
  /** In the run's language, says what ProConnect would do and what is done with the URI. */
  message: string;
  uri?: string;
  /** The error ProConnect would show for it (Y030031, Y030111, Y04A586). */
  proconnectCode?: string;
}

/** The error ProConnect shows when a URI is missing from each list. */
export const NOT_REGISTERED_CODE: Record<UriList, string> = { login: "Y030031", logout: "Y030111" };
/** The form's two fields, as it names them (in French), and in English. */
export const LIST_NAMES: Record<Lang, Record<UriList, string>> = {
  fr: {
    login: "URLs de redirection post CONNEXION",
    logout: "URLs de redirection post DÉCONNEXION",
  },
  en: { login: "login redirect URIs", logout: "post-logout redirect URIs" },
};

/** What each problem of {@link redirectUriProblems} says. */
const PROBLEM_MESSAGES = (hostname: string, t: Translate): Record<RedirectUriProblem, string> => ({
  wildcard: t(
    "contient un joker (*) : ProConnect n'accepte pas les wildcards",
    "contains a wildcard (*): ProConnect accepts none",
  ),
  malformed: t("n'est pas une URL absolue http(s)://", "is not an absolute http(s):// URL"),
  fragment: t(
    "contient un fragment (#) : interdit dans une URL de redirection",
    "has a fragment (#): not allowed in a redirect URI",
  ),
  http_in_production: t(
    "en http:// : ProConnect refuse http en production",
    "uses http://: ProConnect refuses http in production",
  ),
  localhost_in_production: t(
    `sur ${hostname} : ProConnect refuse localhost en production`,
    `on ${hostname}: ProConnect refuses localhost in production`,
  ),
});

/**
 * What ProConnect cannot accept in a registered URI, in the given environment (the rules are
 * lib/redirect-uris.ts's). An empty list means the URI can be registered; any problem means it cannot.
 */
export function uriProblems(
  uri: string,
  environment: ProConnectEnvironment,
  lang: Lang = "fr",
): Omit<UriWarning, "uri">[] {
  const messages = PROBLEM_MESSAGES(
    URL.canParse(uri) ? new URL(uri).hostname : "",
    translator(lang),
  );
  return redirectUriProblems(uri, environment).map((problem) => ({
    // The form's warnings call a fragment malformed, as they always did.
    code: problem === "fragment" ? "malformed" : problem,
    message: messages[problem],
    ...(PROBLEM_PROCONNECT_CODES[problem]
      ? { proconnectCode: PROBLEM_PROCONNECT_CODES[problem] }
      : {}),
  }));
}

/** Same URI up to a trailing `/`, the case of the host or a default port: ProConnect sees two URIs. */
function looseKey(uri: string): string {
  const url = new URL(uri);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}${url.search}`;
}

const withoutTrailingSlash = (uri: string) => uri.replace(/\/+(?=$|\?)/, "");

export interface MergeInput {
  environment: ProConnectEnvironment;
  /** The URIs the app sends: its redirect URI and its post-logout redirect URI. */
  app: Record<UriList, string>;
  /** The URIs already registered, as given; undefined when nothing was said about them. */
  existing: Record<UriList, readonly string[]> | undefined;
  /** French by default. */
  lang?: Lang;
}

export interface MergeResult {
  lists: Record<UriList, string[]>;
  warnings: UriWarning[];
}

/**
 * The full lists to send ProConnect (a request replaces them): the app's own URI first, then the
 * registered ones in their order, without exact duplicates nor URIs ProConnect cannot accept. Warns
 * about every URI that would fail, and with which ProConnect error.
 *
 * @example
 * mergeUris({ environment: "integration", app: { login: "https://a.fr/callback", logout: "https://a.fr/logout/callback" }, existing: undefined });
 */
export function mergeUris(input: MergeInput): MergeResult {
  const lang = input.lang ?? "fr";
  const t = translator(lang);
  const names = LIST_NAMES[lang];
  const warnings: UriWarning[] = [];
  const lists = { login: [] as string[], logout: [] as string[] };
  for (const list of ["login", "logout"] as const) {
    const own = input.app[list];
    const registered = input.existing?.[list] ?? [];
    const other = input.app[list === "login" ? "logout" : "login"];
    const seen = new Set<string>();
    for (const uri of [own, ...registered]) {
      if (seen.has(uri)) {
        if (uri !== own || registered.indexOf(uri) !== registered.lastIndexOf(uri)) {
          pushOnce(warnings, {
            code: "duplicate",
            message: t(
              `donnée plusieurs fois dans les ${names[list]} : gardée une fois`,
              `given more than once in the ${names[list]}: kept once`,
            ),
            uri,
          });
        }
        continue;
      }
      seen.add(uri);
      const problems = uriProblems(uri, input.environment, lang);
      if (problems.length > 0) {
        warnings.push(
          ...problems.map((problem) => ({
            ...problem,
            message: `${problem.message}${t(", écartée", "; left out")}`,
            uri,
          })),
        );
        continue;
      }
      lists[list].push(uri);
      if (new URL(uri).search) {
        // Allowed by ProConnect, but never sent by the middleware: it can only serve another app.
        warnings.push({
          code: "query",
          message: t(
            "contient des paramètres (?…) : ProConnect les compare à la lettre, proconnect-express n'en envoie jamais ; gardée",
            "has a query (?…): ProConnect compares it to the letter, proconnect-express never sends one; kept",
          ),
          uri,
        });
      }
      if (uri === other) {
        warnings.push({
          code: "wrong_list",
          message: t(
            `enregistrée dans les ${names[list]}, alors que l'application l'envoie pour l'autre liste (${NOT_REGISTERED_CODE[list === "login" ? "logout" : "login"]} si elle n'y est pas aussi) ; gardée, retirez-la de celle-ci si rien d'autre ne l'utilise`,
            `registered in the ${names[list]}, while the app sends it for the other list (${NOT_REGISTERED_CODE[list === "login" ? "logout" : "login"]} unless it is there too); kept, remove it from this one if nothing else uses it`,
          ),
          uri,
          proconnectCode: NOT_REGISTERED_CODE[list === "login" ? "logout" : "login"],
        });
      }
    }
    warnings.push(...nearDuplicates(list, own, lists[list], registered.includes(own), lang));
    if (input.existing !== undefined && !registered.includes(own)) {
      // A near miss already has its warning, which says the same and more.
      const nearMiss = lists[list].some((uri) => uri !== own && looseKey(uri) === looseKey(own));
      if (!nearMiss) {
        warnings.push({
          code: "not_registered",
          message: t(
            `${registered.length === 0 ? `aucune des ${names[list]} enregistrées n'a été donnée (${list === "login" ? "--existing" : "--existing-logout"}), donc pas` : "pas"} celle de l'application : ProConnect répond ${NOT_REGISTERED_CODE[list]} tant que la liste ci-dessus n'est pas envoyée`,
            `${registered.length === 0 ? `none of the registered ${names[list]} was given (${list === "login" ? "--existing" : "--existing-logout"}), so not` : "not"} the app's: ProConnect answers ${NOT_REGISTERED_CODE[list]} until the list above is sent`,
          ),
          uri: own,
          proconnectCode: NOT_REGISTERED_CODE[list],
        });
      }
    }
  }
  return { lists, warnings };
}

/** URIs of one list that ProConnect tells apart though a person would not. */
function nearDuplicates(
  list: UriList,
  own: string,
  uris: readonly string[],
  ownRegistered: boolean,
  lang: Lang,
): UriWarning[] {
  const t = translator(lang);
  const names = LIST_NAMES[lang];
  const groups = new Map<string, string[]>();
  for (const uri of uris) {
    const key = looseKey(uri);
    groups.set(key, [...(groups.get(key) ?? []), uri]);
  }
  const warnings: UriWarning[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    if (group.includes(own)) {
      for (const uri of group.filter((candidate) => candidate !== own)) {
        const slashOnly = withoutTrailingSlash(uri) === withoutTrailingSlash(own);
        const difference = slashOnly
          ? t("la barre oblique finale", "the trailing slash")
          : t("la casse ou le port", "the case or the port");
        warnings.push({
          code: slashOnly ? "trailing_slash" : "near_duplicate",
          message: ownRegistered
            ? t(
                `ne diffère de l'URL de l'application (${own}) que par ${difference} : inutile, gardée ; retirez-la si rien d'autre ne l'utilise`,
                `differs from the app's URI (${own}) only by ${difference}: useless, kept; remove it if nothing else uses it`,
              )
            : t(
                `enregistrée, mais l'application envoie ${own} (${difference} diffère) : ProConnect compare à la lettre et répond ${NOT_REGISTERED_CODE[list]} tant que la liste ci-dessus, qui l'ajoute, n'est pas envoyée ; gardée, retirez-la si rien d'autre ne l'utilise`,
                `registered, but the app sends ${own} (${difference} differs): ProConnect compares to the letter and answers ${NOT_REGISTERED_CODE[list]} until the list above, which adds it, is sent; kept, remove it if nothing else uses it`,
              ),
          uri,
          ...(ownRegistered ? {} : { proconnectCode: NOT_REGISTERED_CODE[list] }),
        });
      }
    } else {
      warnings.push({
        code: "near_duplicate",
        message: t(
          `presque identiques (barre oblique finale, casse ou port) dans les ${names[list]} : ${group.join(", ")} ; ProConnect les distingue : ne gardez que celle qu'une application envoie vraiment`,
          `nearly identical (trailing slash, case or port) in the ${names[list]}: ${group.join(", ")}; ProConnect tells them apart: keep only the one an app really sends`,
        ),
        uri: group[0],
      });
    }
  }
  return warnings;
}

function pushOnce(warnings: UriWarning[], warning: UriWarning) {
  if (!warnings.some((w) => w.code === warning.code && w.uri === warning.uri)) {
    warnings.push(warning);
  }
}
