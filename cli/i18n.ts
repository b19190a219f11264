import type { z } from "zod";
import { REMOVED_ACR_VALUES } from "../lib/acr.js";
import { REDIRECT_URI_PROBLEMS } from "../lib/redirect-uris.js";

/**
 * The language of one run: French by default (ProConnect's form and its users are French), English when
 * the locale says so. Every message of a run is in this one language.
 */
export type Lang = "fr" | "en";

/** Picks the sentence of the run's language: `t("réussie", "passed")`. */
export type Translate = (fr: string, en: string) => string;

/**
 * The language from the locale variables, in POSIX order (LC_ALL, then LC_MESSAGES, then LANG; `C` and
 * `POSIX` say nothing about a language and are skipped): English when it starts with `en`.
 *
 * @example
 * detectLang({ LANG: "en_US.UTF-8" }); // "en"
 */
export function detectLang(env: Readonly<Record<string, string | undefined>>): Lang {
  for (const name of ["LC_ALL", "LC_MESSAGES", "LANG"]) {
    const value = env[name];
    if (!value || /^(C|POSIX)([._@]|$)/.test(value)) continue;
    return /^en([_.@-]|$)/i.test(value) ? "en" : "fr";
  }
  return "fr";
}

export function translator(lang: Lang): Translate {
  return (fr, en) => (lang === "en" ? en : fr);
}

/**
 * The English messages of proconnect()'s schema (lib/options.ts, lib/redirect-uris.ts, lib/acr.ts) and of
 * the emulator's, in French.
 */
const FRENCH: Readonly<Record<string, string>> = {
  "is required: the client_id ProConnect gave you":
    "obligatoire : le client_id que ProConnect vous a donné",
  "is required: the client_secret ProConnect gave you":
    "obligatoire : le client_secret que ProConnect vous a donné",
  "must be a string: the client_id ProConnect gave you":
    "doit être une chaîne : le client_id que ProConnect vous a donné",
  "must be a string: the client_secret ProConnect gave you":
    "doit être une chaîne : le client_secret que ProConnect vous a donné",
  "is empty: the client_id ProConnect gave you (an environment variable set but empty?)":
    "est vide : le client_id que ProConnect vous a donné (une variable d'environnement définie mais vide ?)",
  "is empty: the client_secret ProConnect gave you (an environment variable set but empty?)":
    "est vide : le client_secret que ProConnect vous a donné (une variable d'environnement définie mais vide ?)",
  "must be an absolute http:// or https:// URL": "doit être une URL absolue http:// ou https://",
  "must be an origin, without a path, a query or a fragment (the issuer adds /api/v2)":
    "doit être une origine, sans chemin, paramètres ni fragment (l'issuer y ajoute /api/v2)",
  "must be 1 to 32 lowercase letters, digits or -, starting with a letter":
    "doit faire 1 à 32 caractères parmi les minuscules, chiffres et -, en commençant par une lettre",
  "must be a plain path starting with / (letters, digits, . _ ~ -; no :param, pattern, query or fragment)":
    "doit être un chemin simple commençant par / (lettres, chiffres, . _ ~ - ; ni :param, ni motif, ni paramètres, ni fragment)",
  "must be a same-origin path starting with a single /":
    "doit être un chemin du même site, commençant par une seule /",
  "must have a warn(message, details) method": "doit avoir une méthode warn(message, details)",
  "must have no query": "ne doit pas avoir de paramètres (?…)",
  "must use https:// (http:// only for a local emulator on localhost or 127.0.0.1)":
    "doit être en https:// (http:// seulement pour un émulateur local sur localhost ou 127.0.0.1)",
  "must all be different": "doivent être toutes différentes",
  // The emulator's own (lib/testing/options.ts), for `proconnect-express emulator`.
  "must be at least 32 characters (HS256 signs with it)":
    "doit avoir au moins 32 caractères (HS256 signe avec)",
  "each `sub` must be unique": "chaque `sub` doit être unique",
  "private_key_jwt needs the client's public keys in `jwks`":
    "private_key_jwt demande les clés publiques du client dans `jwks`",
  "must be a public key: remove the private parts (d, p, q…)":
    "doit être une clé publique : retirez-en les parties privées (d, p, q…)",
  "must be a valid SIRET of 14 digits": "doit être un SIRET valide de 14 chiffres",
  [REDIRECT_URI_PROBLEMS.wildcard]:
    "ne doit pas contenir de joker (*) : ProConnect n'accepte pas les wildcards",
  [REDIRECT_URI_PROBLEMS.fragment]: "ne doit pas avoir de fragment (#)",
  [REDIRECT_URI_PROBLEMS.http_in_production]:
    "doit être en https:// en production : ProConnect refuse http (Y04A586)",
  [REDIRECT_URI_PROBLEMS.localhost_in_production]:
    "ne doit pas être localhost en production : ProConnect le refuse (Y04A586)",
  ...Object.fromEntries(
    Object.values(REMOVED_ACR_VALUES).map((message) => [
      message,
      "retirée par ProConnect en juin 2026 (les connexions qui la demandent reçoivent access_denied) : demandez la double authentification avec requireAuth({ mfa: true }) (MFA_ACR_VALUES)",
    ]),
  ),
};

const FRENCH_TYPES: Readonly<Record<string, string>> = {
  string: "une chaîne de caractères",
  number: "un nombre",
  int: "un entier",
  boolean: "un booléen (true ou false)",
  array: "une liste",
  object: "un objet",
  function: "une fonction",
};

/** The value at `path` in `root`: undefined when absent (zod 4's issues do not carry it). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What a value is, in French: `une chaîne de caractères`, `null`. */
function frenchTypeOf(value: unknown): string {
  if (value === null) return "null";
  const type = Array.isArray(value) ? "array" : typeof value;
  return FRENCH_TYPES[type] ?? type;
}

/**
 * A zod issue of proconnect()'s schema in the run's language: zod and the library speak English, so in
 * French each message is translated, from the library's own sentences or from the issue's code.
 * `input` is what was validated: a value of the wrong type is told apart from a missing one by it.
 */
export function issueMessage(issue: z.core.$ZodIssue, lang: Lang, input: unknown): string {
  if (lang === "en") return issue.message;
  const known = frenchOf(issue.message);
  if (known !== undefined) return known;
  switch (issue.code) {
    case "invalid_type": {
      const value = valueAt(input, issue.path);
      return value === undefined
        ? "manquant"
        : `doit être ${FRENCH_TYPES[issue.expected] ?? issue.expected}, pas ${frenchTypeOf(value)}`;
    }
    case "invalid_value":
      return `doit valoir ${issue.values.map((value) => JSON.stringify(value)).join(" ou ")}`;
    case "unrecognized_keys":
      return `option${issue.keys.length > 1 ? "s" : ""} inconnue${issue.keys.length > 1 ? "s" : ""} : ${issue.keys.join(", ")}`;
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const word =
        issue.code === "too_small"
          ? inclusive
            ? "au moins"
            : "plus de"
          : inclusive
            ? "au plus"
            : "moins de";
      const unit =
        issue.origin === "string"
          ? " caractères"
          : issue.origin === "array" || issue.origin === "set"
            ? " éléments"
            : "";
      return issue.origin === "number" || issue.origin === "bigint" || issue.origin === "int"
        ? `doit valoir ${word} ${String(bound)}`
        : `doit avoir ${word} ${String(bound)}${unit}`;
    }
    case "not_multiple_of":
      return `doit être un multiple de ${String(issue.divisor)}`;
    case "invalid_format":
      return issue.format === "url" ? "doit être une URL" : `format invalide (${issue.format})`;
    default: {
      // A sentence of the library this table does not know yet: its ProConnect code, if any, is kept.
      const code = /\bY[0-9A-F]{6}\b/.exec(issue.message)?.[0];
      return `valeur refusée par proconnect()${code ? ` (${code})` : ""}`;
    }
  }
}

function frenchOf(message: string): string | undefined {
  if (Object.hasOwn(FRENCH, message)) return FRENCH[message];
  const fn = /^must be a function (.*)$/.exec(message);
  if (fn) return `doit être une fonction ${fn[1]}`;
  // `${acr}: ${removal note}` (a removed acr asked for through `claims`).
  const colon = message.indexOf(": ");
  const tail = colon >= 0 ? message.slice(colon + 2) : "";
  if (colon >= 0 && Object.hasOwn(FRENCH, tail))
    return `${message.slice(0, colon)} : ${FRENCH[tail]}`;
  return undefined;
}
