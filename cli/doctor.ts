import { networkErrorCode } from "../lib/provider-errors.js";
import type { SigningAlg } from "../lib/algorithms.js";
import { BODY_LIMITS } from "../lib/body-limits.js";
import { EXIT, type DoctorArgs } from "./args.js";
import {
  get,
  TooLarge,
  type Check,
  type Discovery,
  type DoctorDeps,
  type Fetched,
} from "./check.js";
import { describeSource, optionName, type LoadedConfig } from "./config.js";
import type { Translate } from "./i18n.js";
import { ENVIRONMENT_LABELS, mark, NETWORK_LABELS, type Output } from "./output.js";
import { checkRegistration } from "./registration.js";
import { uriProblems } from "./uris.js";

/**
 * `proconnect-express doctor`: live checks of the configuration against ProConnect, one line each,
 * printed as they complete. Returns the exit code: 1 when a check failed, 0 otherwise. Never prints the
 * client secret (it does not sign in, so it never needs it).
 */
export async function runDoctor(
  args: DoctorArgs,
  config: LoadedConfig,
  output: Output,
  deps: DoctorDeps,
): Promise<number> {
  const { t } = output;
  const timeout = args.timeout ?? config.options.httpTimeout;
  const sourceName = describeSource(config.source, output.lang);
  printSettings(config, sourceName, timeout, output);
  const counts: Counts = { pass: 0, fail: 0, skip: 0 };
  const report = (check: Check) => {
    counts[check.status] += 1;
    output.out(`${mark(check.status)} ${check.text}`);
    for (const detail of check.details ?? []) output.out(`  ${detail}`);
  };
  report({
    status: "pass",
    text: t(`configuration valide (${sourceName})`, `valid configuration (${sourceName})`),
  });
  report(checkRedirectUris(config, output));
  await runDiscoveryChecks(config, timeout, deps, report, t);
  output.out();
  output.out(conclusion(counts, output));
  return counts.fail === 0 ? EXIT.ok : EXIT.failed;
}

/** How many checks passed, failed and could not run. */
type Counts = Record<Check["status"], number>;

/** The settings doctor checks, before any check: where each comes from, never the secret itself. */
function printSettings(
  config: LoadedConfig,
  sourceName: string,
  timeout: number,
  output: Output,
): void {
  const { options, source } = config;
  const { t, lang } = output;
  const issuerOrigin = config.defaulted.has("issuer")
    ? t(
        `déduit de ${optionName(source, "environment")} et ${optionName(source, "network")}`,
        `from ${optionName(source, "environment")} and ${optionName(source, "network")}`,
      )
    : optionName(source, "issuer");
  output.out(`proconnect-express doctor (${sourceName})`);
  output.out(`  client id     ${options.clientId}`);
  output.out(`  ${t("réseau       ", "network      ")} ${NETWORK_LABELS[options.network]}`);
  output.out(
    `  ${t("environnement", "environment  ")} ${ENVIRONMENT_LABELS[lang][options.environment].toLowerCase()}`,
  );
  output.out(`  issuer        ${options.issuer} (${issuerOrigin})`);
  output.out(
    `  secret        ${
      config.hasSecret
        ? t("défini (jamais affiché)", "set (never printed)")
        : t(
            "non défini : inutile ici, mais proconnect() l'exige",
            "not set: useless here, but proconnect() requires it",
          )
    }`,
  );
  output.out(
    `  ${t("délai        ", "timeout      ")} ${timeout} ms ${t("par requête", "per request")}`,
  );
  output.out();
}

/**
 * The discovery document's check, then the checks that read it, each reported as it completes; without
 * a document, each of those reported as not run.
 */
async function runDiscoveryChecks(
  config: LoadedConfig,
  timeout: number,
  deps: DoctorDeps,
  report: (check: Check) => void,
  t: Translate,
): Promise<void> {
  const { options } = config;
  const discoveryUrl = `${options.issuer}/.well-known/openid-configuration`;
  const discovery = await fetchDiscovery(discoveryUrl, timeout, config, deps, t);
  report(discovery.check);
  const document = discovery.document;
  if (document === undefined) {
    const what = [
      "issuer",
      t("algorithmes", "algorithms"),
      "scopes",
      t("horloge", "clock"),
      "JWKS",
      t("enregistrement du client", "client registration"),
    ];
    for (const name of what) {
      report({
        status: "skip",
        text: t(
          `${name} : vérification impossible sans document de découverte`,
          `${name}: cannot be checked without a discovery document`,
        ),
      });
    }
    return;
  }
  report(checkIssuer(document, config, t));
  report(
    checkAlg(
      t("de l'id_token", "of the id_token"),
      "id_token_signing_alg_values_supported",
      document,
      options.idTokenSignedResponseAlg,
      t,
    ),
  );
  report(
    checkAlg(
      t("de userinfo", "of userinfo"),
      "userinfo_signing_alg_values_supported",
      document,
      options.userinfoSignedResponseAlg,
      t,
    ),
  );
  report(checkScopes(document, options.scope.split(" "), t));
  report(checkClock(discovery.fetched, options.clockTolerance, t));
  report(await checkJwks(document, config, timeout, deps, t));
  for (const check of await checkRegistration(document, config, timeout, deps, t)) report(check);
}

/** doctor's last line: how many checks passed, failed and could not run, and its verdict. */
function conclusion(counts: Counts, output: Output): string {
  const { t } = output;
  const plural = (n: number) => (n > 1 ? "s" : "");
  const summary =
    output.lang === "en"
      ? [
          `${counts.pass} passed`,
          `${counts.fail} failed`,
          ...(counts.skip > 0 ? [`${counts.skip} not run`] : []),
        ].join(", ")
      : [
          `${counts.pass} réussie${plural(counts.pass)}`,
          `${counts.fail} en échec`,
          ...(counts.skip > 0 ? [`${counts.skip} impossible${plural(counts.skip)}`] : []),
        ].join(", ");
  if (counts.fail > 0) return t(`Échec de doctor : ${summary}.`, `doctor failed: ${summary}.`);
  // Nothing failed, but what could not run (–) is not known to be good: said, the exit code stays 0.
  return counts.skip > 0
    ? t(
        `Aucun échec, mais tout n'a pas pu être vérifié (${summary}) : voir les lignes –.`,
        `No failure, but not everything could be checked (${summary}): see the – lines.`,
      )
    : t(`Tout est bon (${summary}).`, `All good (${summary}).`);
}

function checkRedirectUris(config: LoadedConfig, output: Output): Check {
  const { t } = output;
  const uris = [config.options.redirectUri, config.options.postLogoutRedirectUri];
  const problems = uris.flatMap((uri) =>
    uriProblems(uri, config.options.environment, output.lang).map(
      (problem) =>
        `${uri} ${problem.message}${problem.proconnectCode ? ` (${problem.proconnectCode})` : ""}`,
    ),
  );
  return problems.length === 0
    ? {
        status: "pass",
        text: t(
          `URLs de redirection bien formées : ${uris.join(", ")}`,
          `well-formed redirect URIs: ${uris.join(", ")}`,
        ),
      }
    : {
        status: "fail",
        text: t("URLs de redirection mal formées", "malformed redirect URIs"),
        details: problems,
      };
}

async function fetchDiscovery(
  url: string,
  timeout: number,
  config: LoadedConfig,
  deps: DoctorDeps,
  t: Translate,
): Promise<{ check: Check; document?: Discovery; fetched?: Fetched }> {
  let fetched: Fetched;
  try {
    fetched = await get(url, timeout, deps);
  } catch (error) {
    return { check: unreachable(url, error, timeout, config, deps, t) };
  }
  const { response, body, sentAt, receivedAt } = fetched;
  const took = `${Math.round(receivedAt - sentAt)} ms`;
  const location = response.headers.get("location");
  if (response.status >= 300 && response.status < 400 && location) {
    return {
      check: {
        status: "fail",
        text: t(
          `découverte : ${url} a répondu par une redirection (HTTP ${response.status} vers ${location}), que le middleware ne suit pas`,
          `discovery: ${url} answered with a redirect (HTTP ${response.status} to ${location}), which the middleware does not follow`,
        ),
        details: [
          t(
            `Donnez à ${optionName(config.source, "issuer")} l'adresse finale de ProConnect.`,
            `Give ${optionName(config.source, "issuer")} ProConnect's final address.`,
          ),
        ],
      },
    };
  }
  if (!response.ok) {
    return {
      check: {
        status: "fail",
        text: t(
          `découverte : ${url} a répondu HTTP ${response.status} en ${took}`,
          `discovery: ${url} answered HTTP ${response.status} in ${took}`,
        ),
        details: [
          t(
            `Vérifiez ${optionName(config.source, "issuer")} : l'issuer de ProConnect se termine par /api/v2.`,
            `Check ${optionName(config.source, "issuer")}: ProConnect's issuer ends with /api/v2.`,
          ),
        ],
      },
    };
  }
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    document = undefined;
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    const type = response.headers.get("content-type") ?? t("sans Content-Type", "no Content-Type");
    return {
      check: {
        status: "fail",
        text: t(
          `découverte : ${url} n'a pas répondu un document JSON (${type})`,
          `discovery: ${url} did not answer a JSON document (${type})`,
        ),
      },
    };
  }
  return {
    check: {
      status: "pass",
      text: t(`découverte : ${url} a répondu en ${took}`, `discovery: ${url} answered in ${took}`),
    },
    document: document as Discovery,
    fetched,
  };
}

/** Why an answer was refused for its size, as the middleware would refuse it. */
function tooLarge(error: TooLarge, t: Translate): string {
  const kb = error.limit / 1024;
  return t(
    `réponse de plus de ${kb} Ko, que le middleware refuserait`,
    `an answer over ${kb} KB, which the middleware would refuse`,
  );
}

/** TLS's codes for a certificate no trusted authority signed (self-signed, or an unknown authority). */
const UNTRUSTED_CERTIFICATE = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

function unreachable(
  url: string,
  error: unknown,
  timeout: number,
  config: LoadedConfig,
  deps: DoctorDeps,
  t: Translate,
): Check {
  const host = URL.canParse(url) ? new URL(url).host : url;
  const code = networkErrorCode(error);
  const timedOut = (error as Error | undefined)?.name === "TimeoutError";
  const reason = timedOut
    ? t(`pas de réponse en ${timeout} ms`, `no answer in ${timeout} ms`)
    : error instanceof TooLarge
      ? tooLarge(error, t)
      : code === "ECONNREFUSED"
        ? t(
            `connexion refusée par ${host} (ECONNREFUSED) : rien n'écoute à cette adresse`,
            `connection refused by ${host} (ECONNREFUSED): nothing listens at this address`,
          )
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? t(`nom inconnu : ${host} (${code})`, `unknown name: ${host} (${code})`)
          : t(
              `connexion impossible à ${host} (${code ?? (error as Error | undefined)?.name ?? "?"})`,
              `cannot connect to ${host} (${code ?? (error as Error | undefined)?.message ?? String(error)})`,
            );
  const details: string[] = [];
  if (config.options.network === "rie") {
    details.push(
      ...(t("fr", "en") === "fr"
        ? [
            "Sur le RIE, ProConnect doit d'abord ouvrir les flux depuis la plage d'adresses IP sortantes de ce",
            "serveur (champ « Plages / adresses IP » du formulaire, voir proconnect-express sp-config) : tant",
            "que ce n'est pas fait, les requêtes vers ProConnect expirent. Depuis une machine hors du RIE (un",
            "poste sur Internet), les adresses du RIE sont injoignables : lancez doctor depuis le serveur de",
            "l'application.",
          ]
        : [
            "On the RIE, ProConnect must first open the flows from this server's outgoing IP range (the",
            "form's « Plages / adresses IP » field, see proconnect-express sp-config): until then, requests",
            "to ProConnect time out. From a machine outside the RIE (a computer on the Internet), the RIE's",
            "addresses cannot be reached: run doctor from the app's server.",
          ]),
    );
  } else if (timedOut) {
    // The issuer's own scheme: an http:// one (a local emulator) is not reached over HTTPS.
    const scheme = url.startsWith("http://") ? "HTTP" : "HTTPS";
    details.push(
      t(
        `Vérifiez que ce serveur peut joindre ${host} en ${scheme} (pare-feu, proxy sortant), ou augmentez --timeout.`,
        `Check that this server can reach ${host} over ${scheme} (firewall, outgoing proxy), or raise --timeout.`,
      ),
    );
  } else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    details.push(
      t(
        "Vérifiez le nom de l'issuer et la résolution DNS de ce serveur.",
        "Check the issuer's name and this server's DNS resolution.",
      ),
    );
  }
  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) {
    details.push(
      t(
        `Le certificat de ${host} n'est signé par aucune autorité que Node connaît : si c'est celle de votre organisation (un proxy qui inspecte TLS), donnez-la à Node avec NODE_EXTRA_CA_CERTS=<fichier .pem>, pour doctor comme pour l'application.`,
        `${host}'s certificate is signed by no authority Node knows: if it is your organisation's (a proxy inspecting TLS), give it to Node with NODE_EXTRA_CA_CERTS=<.pem file>, for doctor as for the app.`,
      ),
    );
  }
  if (!config.defaulted.has("issuer")) {
    const name = optionName(config.source, "issuer");
    details.push(
      t(`L'issuer vient de ${name} : vérifiez-le.`, `The issuer comes from ${name}: check it.`),
    );
  }
  const proxy = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"].find(
    (name) => deps.env[name],
  );
  if (proxy !== undefined) {
    details.push(
      t(
        `${proxy} est défini : Node n'y passe (pour le middleware comme pour ce contrôle) qu'avec NODE_USE_ENV_PROXY=1, depuis Node.js 22.21 et 24.5.`,
        `${proxy} is set: Node goes through it (for the middleware as for this check) only with NODE_USE_ENV_PROXY=1, from Node.js 22.21 and 24.5.`,
      ),
    );
  }
  return {
    status: "fail",
    text: t(
      `découverte : ${url} injoignable, ${reason}`,
      `discovery: ${url} unreachable, ${reason}`,
    ),
    details,
  };
}

function checkIssuer(document: Discovery, config: LoadedConfig, t: Translate): Check {
  const expected = config.options.issuer;
  if (document.issuer === expected) {
    return {
      status: "pass",
      text: t(
        `issuer : ${expected}, identique à celui annoncé`,
        `issuer: ${expected}, the one announced`,
      ),
    };
  }
  const announced = JSON.stringify(document.issuer);
  const name = optionName(config.source, "issuer");
  return {
    status: "fail",
    text: t(
      `issuer : le serveur annonce ${announced}, la configuration attend "${expected}"`,
      `issuer: the server announces ${announced}, the configuration expects "${expected}"`,
    ),
    details: [
      t(
        "Le middleware compare à la lettre et refuserait ce serveur (issuer_mismatch) :",
        "The middleware compares to the letter and would refuse this server (issuer_mismatch):",
      ),
      t(`corrigez ${name} si c'est bien ProConnect.`, `fix ${name} if it is ProConnect indeed.`),
    ],
  };
}

/** Why a list of strings of the discovery document cannot be read: absent, or of another type. */
function notAList(field: string, value: unknown, t: Translate): string {
  return value === undefined
    ? t(`${field} absent du document`, `${field} missing from the document`)
    : t(
        `${field} présent mais pas une liste de chaînes (${JSON.stringify(value).slice(0, 80)})`,
        `${field} present but not a list of strings (${JSON.stringify(value).slice(0, 80)})`,
      );
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === "string")
    ? value
    : undefined;
}

function checkAlg(
  what: string,
  field: keyof Discovery,
  document: Discovery,
  alg: SigningAlg,
  t: Translate,
): Check {
  const supported = stringList(document[field]);
  if (supported === undefined) {
    return {
      status: "fail",
      text: `${t(`algorithme ${what} :`, `algorithm ${what}:`)} ${notAList(field, document[field], t)}`,
    };
  }
  return supported.includes(alg)
    ? {
        status: "pass",
        text: t(
          `algorithme ${what} : ${alg} proposé (${field})`,
          `algorithm ${what}: ${alg} offered (${field})`,
        ),
      }
    : {
        status: "fail",
        text: t(
          `algorithme ${what} : ${alg} n'est pas proposé (${field} : ${supported.join(", ")})`,
          `algorithm ${what}: ${alg} is not offered (${field}: ${supported.join(", ")})`,
        ),
        details: [
          t(
            "Configurez l'algorithme enregistré pour votre client chez ProConnect (ES256 par défaut).",
            "Configure the algorithm registered for your client at ProConnect (ES256 by default).",
          ),
        ],
      };
}

function checkScopes(document: Discovery, scopes: readonly string[], t: Translate): Check {
  const supported = stringList(document.scopes_supported);
  if (supported === undefined) {
    return {
      status: "fail",
      text: `${t("scopes :", "scopes:")} ${notAList("scopes_supported", document.scopes_supported, t)}`,
    };
  }
  const missing = scopes.filter((scope) => !supported.includes(scope));
  return missing.length === 0
    ? {
        status: "pass",
        text: t(
          `scopes : ${scopes.join(" ")}, tous proposés (scopes_supported)`,
          `scopes: ${scopes.join(" ")}, all offered (scopes_supported)`,
        ),
      }
    : {
        status: "fail",
        text: t(
          `scopes non proposés : ${missing.join(" ")} (scopes_supported : ${supported.join(" ")})`,
          `scopes not offered: ${missing.join(" ")} (scopes_supported: ${supported.join(" ")})`,
        ),
        details: [
          t(
            "ProConnect refuserait la connexion (invalid_scope) : retirez-les de scopes.",
            "ProConnect would refuse the login (invalid_scope): remove them from scopes.",
          ),
        ],
      };
}

/**
 * The `Date` header has a one-second resolution and was written at some moment of the request: the
 * server's clock was in [date, date + 1 s) while ours went from sentAt to receivedAt. Fail only when
 * even the most favourable reading is beyond the tolerance.
 */
function checkClock(fetched: Fetched | undefined, toleranceSeconds: number, t: Translate): Check {
  const header = fetched?.response.headers.get("date");
  const serverTime = header ? Date.parse(header) : NaN;
  if (fetched === undefined || Number.isNaN(serverTime)) {
    return {
      status: "skip",
      text: t(
        "horloge : vérification impossible sans en-tête Date valide",
        "clock: cannot be checked without a valid Date header",
      ),
    };
  }
  const lowest = serverTime - fetched.receivedAt;
  const highest = serverTime + 1000 - fetched.sentAt;
  const certain = lowest > 0 ? lowest : highest < 0 ? -highest : 0;
  const estimate = Math.round(
    (serverTime + 500 - (fetched.sentAt + fetched.receivedAt) / 2) / 1000,
  );
  const tolerance = t(
    `tolérance clockTolerance : ${toleranceSeconds} s`,
    `clockTolerance: ${toleranceSeconds} s`,
  );
  if (certain <= toleranceSeconds * 1000) {
    return {
      status: "pass",
      text: t(
        `horloge : écart d'environ ${Math.abs(estimate)} s avec ProConnect (${tolerance})`,
        `clock: about ${Math.abs(estimate)} s apart from ProConnect (${tolerance})`,
      ),
    };
  }
  return {
    status: "fail",
    text: t(
      `horloge : cette machine a ${Math.abs(estimate)} s ${estimate > 0 ? "de retard" : "d'avance"} sur ProConnect (${tolerance})`,
      `clock: this machine is ${Math.abs(estimate)} s ${estimate > 0 ? "behind" : "ahead of"} ProConnect (${tolerance})`,
    ),
    details: [
      t(
        "Les jetons de ProConnect seraient refusés (iat dans le futur ou exp dépassé) : synchronisez",
        "ProConnect's tokens would be refused (iat in the future or exp passed): synchronise",
      ),
      t("l'horloge de ce serveur (NTP).", "this server's clock (NTP)."),
    ],
  };
}

const KEY_TYPES: Partial<Record<SigningAlg, string>> = { ES256: "EC", RS256: "RSA" };

async function checkJwks(
  document: Discovery,
  config: LoadedConfig,
  timeout: number,
  deps: DoctorDeps,
  t: Translate,
): Promise<Check> {
  const algs = [
    ...new Set([config.options.idTokenSignedResponseAlg, config.options.userinfoSignedResponseAlg]),
  ].filter((alg) => KEY_TYPES[alg] !== undefined);
  if (algs.length === 0) {
    return {
      status: "skip",
      text: t(
        "JWKS : inutile en HS256 (signé avec le secret client)",
        "JWKS: not needed with HS256 (signed with the client secret)",
      ),
    };
  }
  const uri = document.jwks_uri;
  if (typeof uri !== "string" || !URL.canParse(uri)) {
    return {
      status: "fail",
      text: t(
        "JWKS : jwks_uri absent du document de découverte",
        "JWKS: jwks_uri missing from the discovery document",
      ),
    };
  }
  let keys: unknown;
  try {
    const { response, body } = await get(uri, timeout, deps, { limit: BODY_LIMITS.jwks });
    if (!response.ok) {
      return {
        status: "fail",
        text: t(
          `JWKS : ${uri} a répondu HTTP ${response.status}`,
          `JWKS: ${uri} answered HTTP ${response.status}`,
        ),
      };
    }
    const jwks: unknown = JSON.parse(body);
    keys =
      typeof jwks === "object" && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
  } catch (error) {
    const reason =
      (error as Error).name === "TimeoutError"
        ? t(`pas de réponse en ${timeout} ms`, `no answer in ${timeout} ms`)
        : error instanceof TooLarge
          ? tooLarge(error, t)
          : error instanceof SyntaxError
            ? t("pas un document JSON", "not a JSON document")
            : (networkErrorCode(error) ?? (error as Error).name);
    return {
      status: "fail",
      text: t(
        `JWKS : ${uri} injoignable ou invalide (${reason})`,
        `JWKS: ${uri} unreachable or invalid (${reason})`,
      ),
    };
  }
  const list = Array.isArray(keys) ? (keys as { kty?: unknown; alg?: unknown }[]) : [];
  const missing = algs.filter(
    (alg) =>
      !list.some((key) => key.alg === alg || (key.alg === undefined && key.kty === KEY_TYPES[alg])),
  );
  return missing.length === 0
    ? {
        status: "pass",
        text: t(
          `JWKS : clé ${algs.join(" et ")} publiée (${uri})`,
          `JWKS: ${algs.join(" and ")} key published (${uri})`,
        ),
      }
    : {
        status: "fail",
        text: t(
          `JWKS : aucune clé ${missing.join(" ni ")} dans ${uri}`,
          `JWKS: no ${missing.join(" nor ")} key in ${uri}`,
        ),
      };
}
