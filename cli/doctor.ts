import { networkErrorCode } from "../lib/provider-errors.js";
import type { SigningAlg } from "../lib/algorithms.js";
import { EXIT, type DoctorArgs } from "./args.js";
import { describeSource, optionName, type LoadedConfig } from "./config.js";
import { ENVIRONMENT_LABELS, mark, NETWORK_LABELS, type Output, type Status } from "./output.js";
import { uriProblems } from "./uris.js";

/** What doctor needs from the outside world, injectable for tests of its pure parts. */
export interface DoctorDeps {
  fetch: typeof fetch;
  /** Milliseconds since the epoch, as `Date.now()`. */
  now: () => number;
  /** For the proxy note only: Node's fetch ignores HTTPS_PROXY, and so does the middleware. */
  env: Readonly<Record<string, string | undefined>>;
}

interface Check {
  status: Extract<Status, "pass" | "fail" | "skip">;
  text: string;
  details?: string[];
}

/** ProConnect's discovery document, as far as doctor reads it. */
interface Discovery {
  issuer?: unknown;
  jwks_uri?: unknown;
  scopes_supported?: unknown;
  id_token_signing_alg_values_supported?: unknown;
  userinfo_signing_alg_values_supported?: unknown;
}

interface Fetched {
  response: Response;
  body: string;
  /** Local times just before the request and once the headers arrived. */
  sentAt: number;
  receivedAt: number;
}

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
  const { options, source } = config;
  const timeout = args.timeout ?? options.httpTimeout;
  const counts = { pass: 0, fail: 0, skip: 0 };
  const report = (check: Check) => {
    counts[check.status] += 1;
    output.out(`${mark(check.status, output.color)} ${check.text}`);
    for (const detail of check.details ?? []) output.out(`  ${detail}`);
  };

  const issuerOrigin = config.defaulted.has("issuer")
    ? `déduit de ${optionName(source, "environment")} et ${optionName(source, "network")}`
    : optionName(source, "issuer");
  output.out(`proconnect-express doctor (${describeSource(source)})`);
  output.out(`  client id     ${options.clientId}`);
  output.out(`  réseau        ${NETWORK_LABELS[options.network]}`);
  output.out(`  environnement ${ENVIRONMENT_LABELS[options.environment].toLowerCase()}`);
  output.out(`  issuer        ${options.issuer} (${issuerOrigin})`);
  output.out(
    `  secret        ${config.hasSecret ? "défini (jamais affiché)" : "non défini : inutile ici, mais proconnect() l'exige"}`,
  );
  output.out(`  délai         ${timeout} ms par requête`);
  output.out();

  report({ status: "pass", text: `configuration valide (${describeSource(source)})` });
  report(checkRedirectUris(config));

  const discoveryUrl = `${options.issuer}/.well-known/openid-configuration`;
  const discovery = await fetchDiscovery(discoveryUrl, timeout, config, deps);
  report(discovery.check);
  const document = discovery.document;
  if (document === undefined) {
    for (const what of ["issuer", "algorithmes", "scopes", "horloge", "JWKS"]) {
      report({
        status: "skip",
        text: `${what} : vérification impossible sans document de découverte`,
      });
    }
  } else {
    report(checkIssuer(document, config));
    report(
      checkAlg(
        "de l'id_token",
        "id_token_signing_alg_values_supported",
        document,
        options.idTokenSignedResponseAlg,
      ),
    );
    report(
      checkAlg(
        "de userinfo",
        "userinfo_signing_alg_values_supported",
        document,
        options.userinfoSignedResponseAlg,
      ),
    );
    report(checkScopes(document, options.scope.split(" ")));
    report(checkClock(discovery.fetched, options.clockTolerance));
    report(await checkJwks(document, config, timeout, deps));
  }

  output.out();
  const plural = (n: number) => (n > 1 ? "s" : "");
  const summary = [
    `${counts.pass} réussie${plural(counts.pass)}`,
    `${counts.fail} en échec`,
    ...(counts.skip > 0 ? [`${counts.skip} impossible${plural(counts.skip)}`] : []),
  ].join(", ");
  output.out(counts.fail === 0 ? `Tout est bon (${summary}).` : `Échec de doctor : ${summary}.`);
  return counts.fail === 0 ? EXIT.ok : EXIT.failed;
}

function checkRedirectUris(config: LoadedConfig): Check {
  const uris = [config.options.redirectUri, config.options.postLogoutRedirectUri];
  const problems = uris.flatMap((uri) =>
    uriProblems(uri, config.options.environment).map(
      (problem) =>
        `${uri} ${problem.message}${problem.proconnectCode ? ` (${problem.proconnectCode})` : ""}`,
    ),
  );
  return problems.length === 0
    ? { status: "pass", text: `URLs de redirection bien formées : ${uris.join(", ")}` }
    : { status: "fail", text: "URLs de redirection mal formées", details: problems };
}

async function fetchDiscovery(
  url: string,
  timeout: number,
  config: LoadedConfig,
  deps: DoctorDeps,
): Promise<{ check: Check; document?: Discovery; fetched?: Fetched }> {
  let fetched: Fetched;
  try {
    fetched = await get(url, timeout, deps);
  } catch (error) {
    return { check: unreachable(url, error, timeout, config, deps) };
  }
  const { response, body, sentAt, receivedAt } = fetched;
  const took = `${Math.round(receivedAt - sentAt)} ms`;
  if (!response.ok) {
    return {
      check: {
        status: "fail",
        text: `découverte : ${url} a répondu HTTP ${response.status} en ${took}`,
        details: [
          `Vérifiez ${optionName(config.source, "issuer")} : l'issuer de ProConnect se termine par /api/v2.`,
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
    return {
      check: {
        status: "fail",
        text: `découverte : ${url} n'a pas répondu un document JSON (${response.headers.get("content-type") ?? "sans Content-Type"})`,
      },
    };
  }
  return {
    check: { status: "pass", text: `découverte : ${url} a répondu en ${took}` },
    document: document as Discovery,
    fetched,
  };
}

/** A GET bounded by `timeout`, body included (a server may send headers, then stall). */
async function get(url: string, timeout: number, deps: DoctorDeps): Promise<Fetched> {
  const signal = AbortSignal.timeout(timeout);
  const sentAt = deps.now();
  const response = await deps.fetch(url, { signal, headers: { accept: "application/json" } });
  const receivedAt = deps.now();
  return { response, body: await response.text(), sentAt, receivedAt };
}

function unreachable(
  url: string,
  error: unknown,
  timeout: number,
  config: LoadedConfig,
  deps: DoctorDeps,
): Check {
  const host = URL.canParse(url) ? new URL(url).host : url;
  const code = networkErrorCode(error);
  const timedOut = (error as Error | undefined)?.name === "TimeoutError";
  const reason = timedOut
    ? `pas de réponse en ${timeout} ms`
    : code === "ECONNREFUSED"
      ? `connexion refusée par ${host} (ECONNREFUSED) : rien n'écoute à cette adresse`
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? `nom inconnu : ${host} (${code})`
        : `connexion impossible à ${host} (${code ?? (error as Error | undefined)?.message ?? String(error)})`;
  const details: string[] = [];
  if (config.options.network === "rie") {
    details.push(
      "Sur le RIE, ProConnect doit d'abord ouvrir les flux depuis la plage d'adresses IP sortantes de ce",
      "serveur (champ « Plages / adresses IP » du formulaire, voir proconnect-express sp-config) : tant",
      "que ce n'est pas fait, les requêtes vers ProConnect expirent. Depuis une machine hors du RIE (un",
      "poste sur Internet), les adresses du RIE sont injoignables : lancez doctor depuis le serveur de",
      "l'application.",
    );
  } else if (timedOut) {
    details.push(
      `Vérifiez que ce serveur peut joindre ${host} en HTTPS (pare-feu, proxy sortant), ou augmentez --timeout.`,
    );
  } else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    details.push("Vérifiez le nom de l'issuer et la résolution DNS de ce serveur.");
  }
  if (!config.defaulted.has("issuer")) {
    details.push(`L'issuer vient de ${optionName(config.source, "issuer")} : vérifiez-le.`);
  }
  const proxy = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"].find(
    (name) => deps.env[name],
  );
  if (proxy !== undefined) {
    details.push(
      `${proxy} est défini, mais le fetch de Node (celui du middleware aussi) ne passe par aucun proxy.`,
    );
  }
  return { status: "fail", text: `découverte : ${url} injoignable, ${reason}`, details };
}

function checkIssuer(document: Discovery, config: LoadedConfig): Check {
  const expected = config.options.issuer;
  if (document.issuer === expected) {
    return { status: "pass", text: `issuer : ${expected}, identique à celui annoncé` };
  }
  return {
    status: "fail",
    text: `issuer : le serveur annonce ${JSON.stringify(document.issuer)}, la configuration attend "${expected}"`,
    details: [
      "Le middleware compare à la lettre et refuserait ce serveur (issuer_mismatch) :",
      `corrigez ${optionName(config.source, "issuer")} si c'est bien ProConnect.`,
    ],
  };
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
): Check {
  const supported = stringList(document[field]);
  if (supported === undefined) {
    return { status: "fail", text: `algorithme ${what} : ${field} absent du document` };
  }
  return supported.includes(alg)
    ? { status: "pass", text: `algorithme ${what} : ${alg} proposé (${field})` }
    : {
        status: "fail",
        text: `algorithme ${what} : ${alg} n'est pas proposé (${field} : ${supported.join(", ")})`,
        details: [
          "Configurez l'algorithme enregistré pour votre client chez ProConnect (ES256 par défaut).",
        ],
      };
}

function checkScopes(document: Discovery, scopes: readonly string[]): Check {
  const supported = stringList(document.scopes_supported);
  if (supported === undefined) {
    return { status: "fail", text: "scopes : scopes_supported absent du document" };
  }
  const missing = scopes.filter((scope) => !supported.includes(scope));
  return missing.length === 0
    ? { status: "pass", text: `scopes : ${scopes.join(" ")}, tous proposés (scopes_supported)` }
    : {
        status: "fail",
        text: `scopes non proposés : ${missing.join(" ")} (scopes_supported : ${supported.join(" ")})`,
        details: ["ProConnect refuserait la connexion (invalid_scope) : retirez-les de scopes."],
      };
}

/**
 * The `Date` header has a one-second resolution and was written at some moment of the request: the
 * server's clock was in [date, date + 1 s) while ours went from sentAt to receivedAt. Fail only when
 * even the most favourable reading is beyond the tolerance.
 */
function checkClock(fetched: Fetched | undefined, toleranceSeconds: number): Check {
  const header = fetched?.response.headers.get("date");
  const serverTime = header ? Date.parse(header) : NaN;
  if (fetched === undefined || Number.isNaN(serverTime)) {
    return { status: "skip", text: "horloge : vérification impossible sans en-tête Date valide" };
  }
  const lowest = serverTime - fetched.receivedAt;
  const highest = serverTime + 1000 - fetched.sentAt;
  const certain = lowest > 0 ? lowest : highest < 0 ? -highest : 0;
  const estimate = Math.round(
    (serverTime + 500 - (fetched.sentAt + fetched.receivedAt) / 2) / 1000,
  );
  const tolerance = `tolérance clockTolerance : ${toleranceSeconds} s`;
  if (certain <= toleranceSeconds * 1000) {
    return {
      status: "pass",
      text: `horloge : écart d'environ ${Math.abs(estimate)} s avec ProConnect (${tolerance})`,
    };
  }
  return {
    status: "fail",
    text: `horloge : cette machine a ${Math.abs(estimate)} s ${estimate > 0 ? "de retard" : "d'avance"} sur ProConnect (${tolerance})`,
    details: [
      "Les jetons de ProConnect seraient refusés (iat dans le futur ou exp dépassé) : synchronisez",
      "l'horloge de ce serveur (NTP).",
    ],
  };
}

const KEY_TYPES: Partial<Record<SigningAlg, string>> = { ES256: "EC", RS256: "RSA" };

async function checkJwks(
  document: Discovery,
  config: LoadedConfig,
  timeout: number,
  deps: DoctorDeps,
): Promise<Check> {
  const algs = [
    ...new Set([config.options.idTokenSignedResponseAlg, config.options.userinfoSignedResponseAlg]),
  ].filter((alg) => KEY_TYPES[alg] !== undefined);
  if (algs.length === 0) {
    return { status: "skip", text: "JWKS : inutile en HS256 (signé avec le secret client)" };
  }
  const uri = document.jwks_uri;
  if (typeof uri !== "string" || !URL.canParse(uri)) {
    return { status: "fail", text: "JWKS : jwks_uri absent du document de découverte" };
  }
  let keys: unknown;
  try {
    const { response, body } = await get(uri, timeout, deps);
    if (!response.ok) {
      return { status: "fail", text: `JWKS : ${uri} a répondu HTTP ${response.status}` };
    }
    const jwks: unknown = JSON.parse(body);
    keys =
      typeof jwks === "object" && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
  } catch (error) {
    const reason =
      (error as Error).name === "TimeoutError"
        ? `pas de réponse en ${timeout} ms`
        : error instanceof SyntaxError
          ? "pas un document JSON"
          : (networkErrorCode(error) ?? (error as Error).message);
    return { status: "fail", text: `JWKS : ${uri} injoignable ou invalide (${reason})` };
  }
  const list = Array.isArray(keys) ? (keys as { kty?: unknown; alg?: unknown }[]) : [];
  const missing = algs.filter(
    (alg) =>
      !list.some((key) => key.alg === alg || (key.alg === undefined && key.kty === KEY_TYPES[alg])),
  );
  return missing.length === 0
    ? { status: "pass", text: `JWKS : clé ${algs.join(" et ")} publiée (${uri})` }
    : { status: "fail", text: `JWKS : aucune clé ${missing.join(" ni ")} dans ${uri}` };
}
