import { parseArgs } from "node:util";
import { translator, type Lang } from "./i18n.js";

/**
 * Exit codes: everything fine; a check failed (or a warning with `--strict`); a usage or configuration
 * error; a bug of the CLI itself (EX_SOFTWARE).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

/** The commands of `proconnect-express`. */
export const COMMANDS = ["sp-config", "doctor", "emulator"] as const;
export type Command = (typeof COMMANDS)[number];

export interface SpConfigArgs {
  command: "sp-config";
  config: string | undefined;
  json: boolean;
  strict: boolean;
  /** Login redirect URIs already registered with ProConnect. */
  existing: string[];
  /** Post-logout redirect URIs already registered with ProConnect. */
  existingLogout: string[];
}

export interface DoctorArgs {
  command: "doctor";
  config: string | undefined;
  /** Milliseconds for each request; undefined: the `httpTimeout` of the configuration. */
  timeout: number | undefined;
}

/** The emulator's flags as given; cli/emulator.ts fills in the defaults of the local client. */
export interface EmulatorArgs {
  command: "emulator";
  /** Undefined: 4000. */
  port: number | undefined;
  host: string | undefined;
  /** The URL clients reach it at, when not the listen address (the issuer follows). */
  publicUrl: string | undefined;
  /** ProConnect's documented authorize rules rather than its server's. */
  strict: boolean;
  clientId: string | undefined;
  clientSecret: string | undefined;
  redirectUris: string[] | undefined;
  postLogoutRedirectUris: string[] | undefined;
  idTokenAlg: string | undefined;
  userinfoAlg: string | undefined;
  /** `--clients`: a JSON file of the clients to register, instead of the flags of the one client. */
  clientsFile: string | undefined;
  /** `--identities`: a JSON file of the test identities. */
  identitiesFile: string | undefined;
  /** `--identity-providers`: a JSON file of the FIs' settings, by `idp_id`. */
  identityProvidersFile: string | undefined;
  /** `--accounts`: a JSON file of ProConnect's accounts that exist at start. */
  accountsFile: string | undefined;
}

/** What the command line asks for: a command, help, or a usage error to report. */
export type ParsedArgs =
  | SpConfigArgs
  | DoctorArgs
  | EmulatorArgs
  | { command: "help" }
  | { command: "version" }
  | { command: "usage-error"; message: string };

const USAGE_FR = `Usage : proconnect-express <commande> [options]

Commandes :
  sp-config   les réponses à coller dans le formulaire de ProConnect (client id, réseau,
              environnement, URLs de redirection de connexion et de déconnexion)
  doctor      vérifie en direct la configuration contre ProConnect (découverte, issuer,
              algorithmes, scopes, horloge, client id et URLs de redirection enregistrés)
  emulator    un ProConnect local (l'émulateur de proconnect-express/testing) avec ses clients
              enregistrés, pour développer hors ligne ; il faut le paquet oidc-provider

Configuration (sp-config, doctor) : les variables d'environnement
  PROCONNECT_CLIENT_ID, PROCONNECT_BASE_URL, PROCONNECT_ENVIRONMENT, PROCONNECT_NETWORK,
  PROCONNECT_ISSUER (PROCONNECT_CLIENT_SECRET n'est ni nécessaire ni jamais affiché)
ou un fichier des options de proconnect(), JSON ou module JavaScript (export default) :
  --config <fichier.json|fichier.js>

Options de sp-config :
  --json                      la même chose en JSON
  --existing <uri>            une URL de redirection de CONNEXION déjà enregistrée (répétable)
  --existing-logout <uri>     une URL de redirection de DÉCONNEXION déjà enregistrée (répétable)
  --strict                    code de sortie 1 s'il y a un avertissement

Options de doctor :
  --timeout <ms>              délai de chaque requête (par défaut : httpTimeout, 5000)

Options d'emulator (il tourne jusqu'à Ctrl+C ou SIGTERM) :
  --port <n>                  port d'écoute (par défaut 4000 ; 0 pour un port libre)
  --host <adresse>            interface d'écoute (par défaut 127.0.0.1)
  --public-url <url>          l'adresse où les clients le joignent, si ce n'est pas celle
                              d'écoute (service compose, proxy, HTTPS devant) : l'issuer la suit
  --strict                    les règles documentées de ProConnect pour /authorize (state et
                              nonce de 32 caractères, paramètre inconnu refusé)
  --clients <fichier.json>    les clients à enregistrer (une liste JSON), au lieu des options
                              --client-id… ci-dessous
  --identities <fichier.json> les identités de test (une liste JSON)
  --identity-providers <fichier.json>
                              les fournisseurs d'identité par idp_id (un objet JSON) : nom,
                              SIRET par défaut, désactivé, injoignable ou en erreur
  --accounts <fichier.json>   les comptes ProConnect existants (une liste JSON) : leur sub et
                              les identités (idp_id, sub du FI) qui y mènent
  --client-id <id>            (par défaut proconnect-express-local)
  --client-secret <secret>    au moins 32 caractères
  --redirect-uri <uri>        répétable (par défaut http://localhost:3000/callback)
  --post-logout-redirect-uri <uri>
                              répétable (par défaut http://localhost:3000/logout/callback)
  --id-token-alg <alg>        ES256, RS256 ou HS256 (par défaut ES256)
  --userinfo-alg <alg>        ES256, RS256 ou HS256 (par défaut ES256)

  -h, --help                  cette aide
  --version                   la version de proconnect-express

Langue : français, ou anglais quand LC_ALL, LC_MESSAGES ou LANG commence par en.

Codes de sortie : 0 tout va bien (emulator : arrêté par Ctrl+C ou SIGTERM), 1 une vérification a
échoué (ou un avertissement avec --strict) ou l'émulateur n'a pas pu démarrer, 2 commande, option
ou configuration invalide, 70 erreur interne de l'outil.
`;

const USAGE_EN = `Usage: proconnect-express <command> [options]

Commands:
  sp-config   the answers to paste into ProConnect's form (client id, network, environment,
              login and logout redirect URIs)
  doctor      live checks of the configuration against ProConnect (discovery, issuer,
              algorithms, scopes, clock, registered client id and redirect URIs)
  emulator    a local ProConnect (the emulator of proconnect-express/testing) with its registered
              clients, to develop offline; it needs the oidc-provider package

Configuration (sp-config, doctor): the environment variables
  PROCONNECT_CLIENT_ID, PROCONNECT_BASE_URL, PROCONNECT_ENVIRONMENT, PROCONNECT_NETWORK,
  PROCONNECT_ISSUER (PROCONNECT_CLIENT_SECRET is neither needed nor ever printed)
or a file of proconnect() options, JSON or a JavaScript module (export default):
  --config <file.json|file.js>

sp-config options:
  --json                      the same as JSON
  --existing <uri>            a LOGIN redirect URI already registered (repeatable)
  --existing-logout <uri>     a LOGOUT redirect URI already registered (repeatable)
  --strict                    exit code 1 when there is a warning

doctor options:
  --timeout <ms>              bound of each request (default: httpTimeout, 5000)

emulator options (it runs until Ctrl+C or SIGTERM):
  --port <n>                  port to listen on (default 4000; 0 for a free port)
  --host <address>            interface to listen on (default 127.0.0.1)
  --public-url <url>          the URL clients reach it at, when not the listen address (a
                              compose service, a proxy, HTTPS in front): the issuer follows it
  --strict                    ProConnect's documented rules for /authorize (state and nonce of
                              32 characters, unknown parameter refused)
  --clients <file.json>       the clients to register (a JSON list), instead of the --client-id…
                              options below
  --identities <file.json>    the test identities (a JSON list)
  --identity-providers <file.json>
                              the identity providers by idp_id (a JSON object): name, default
                              SIRET, disabled, unreachable or answering with an error
  --accounts <file.json>      ProConnect's existing accounts (a JSON list): their sub and the
                              identities (idp_id, the FI's sub) that lead to them
  --client-id <id>            (default proconnect-express-local)
  --client-secret <secret>    at least 32 characters
  --redirect-uri <uri>        repeatable (default http://localhost:3000/callback)
  --post-logout-redirect-uri <uri>
                              repeatable (default http://localhost:3000/logout/callback)
  --id-token-alg <alg>        ES256, RS256 or HS256 (default ES256)
  --userinfo-alg <alg>        ES256, RS256 or HS256 (default ES256)

  -h, --help                  this help
  --version                   the version of proconnect-express

Language: French, or English when LC_ALL, LC_MESSAGES or LANG starts with en.

Exit codes: 0 everything fine (emulator: stopped by Ctrl+C or SIGTERM), 1 a check failed (or a
warning with --strict) or the emulator could not start, 2 invalid command, option or
configuration, 70 internal error of the tool.
`;

/** The usage, in the run's language. */
export const usage = (lang: Lang): string => (lang === "en" ? USAGE_EN : USAGE_FR);

const OPTIONS = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  json: { type: "boolean" },
  strict: { type: "boolean" },
  existing: { type: "string", multiple: true },
  "existing-logout": { type: "string", multiple: true },
  timeout: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "public-url": { type: "string" },
  "client-id": { type: "string" },
  "client-secret": { type: "string" },
  "redirect-uri": { type: "string", multiple: true },
  "post-logout-redirect-uri": { type: "string", multiple: true },
  "id-token-alg": { type: "string" },
  "userinfo-alg": { type: "string" },
  clients: { type: "string" },
  identities: { type: "string" },
  "identity-providers": { type: "string" },
  accounts: { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** The flags whose value is a secret: masked in every line, usage errors included. */
const SECRET_FLAGS: readonly OptionName[] = ["client-secret"];

/**
 * The values given to a secret-bearing flag (`--client-secret S`, `--client-secret=S`), read from the raw
 * command line: known before parsing, so that even a usage error about another flag cannot echo them.
 *
 * @example
 * secretArgs(["emulator", "--client-secret", "s3cret", "--port", "s3cret"]); // ["s3cret"]
 */
export function secretArgs(argv: readonly string[]): string[] {
  const secrets: string[] = [];
  argv.forEach((arg, index) => {
    for (const flag of SECRET_FLAGS) {
      if (arg === `--${flag}` && index + 1 < argv.length) secrets.push(argv[index + 1] ?? "");
      else if (arg.startsWith(`--${flag}=`)) secrets.push(arg.slice(flag.length + 3));
    }
  });
  return secrets;
}

/** The flags of the emulator's one client: --clients replaces them all. */
const ONE_CLIENT_FLAGS = [
  "client-id",
  "client-secret",
  "redirect-uri",
  "post-logout-redirect-uri",
  "id-token-alg",
  "userinfo-alg",
] as const;

// sp-config and doctor read the configuration; the rest belongs to one command.
const ALLOWED: Record<Command, ReadonlySet<OptionName>> = {
  "sp-config": new Set(["config", "help", "json", "strict", "existing", "existing-logout"]),
  doctor: new Set(["config", "help", "timeout"]),
  emulator: new Set([
    "help",
    "port",
    "host",
    "public-url",
    "strict",
    ...ONE_CLIENT_FLAGS,
    "clients",
    "identities",
    "identity-providers",
    "accounts",
  ]),
};

const parseOptions = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
    tokens: true,
  });

/** A flag of one value given twice (`--port 4001 --port 4002`): which one was meant is not known. */
function repeatedFlag(tokens: ReturnType<typeof parseOptions>["tokens"]): string | undefined {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const option = OPTIONS[token.name as OptionName] as { type: string; multiple?: boolean };
    if (option.type !== "string" || option.multiple) continue;
    if (seen.has(token.name)) return token.rawName;
    seen.add(token.name);
  }
  return undefined;
}

const isCommand = (value: string | undefined): value is Command =>
  (COMMANDS as readonly string[]).includes(value ?? "");

/**
 * Reads the command line (without `node` and the script). Never throws: a mistake becomes a
 * `usage-error` whose message names it.
 *
 * @example
 * parseCliArgs(["sp-config", "--json"]); // { command: "sp-config", json: true, … }
 */
export function parseCliArgs(argv: readonly string[], lang: Lang = "fr"): ParsedArgs {
  const t = translator(lang);
  const commandList = t("sp-config, doctor ou emulator", "sp-config, doctor or emulator");
  let parsed;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    return { command: "usage-error", message: usageMessage(error as NodeJS.ErrnoException, lang) };
  }
  const { values, positionals, tokens } = parsed;
  const [name, ...extra] = positionals;
  if (name === "help" || (name === undefined && values.help)) return { command: "help" };
  if (name === undefined && values.version) return { command: "version" };
  const repeated = repeatedFlag(tokens);
  if (repeated !== undefined) {
    return {
      command: "usage-error",
      message: t(
        `${repeated} donnée plusieurs fois : elle prend une seule valeur`,
        `${repeated} given more than once: it takes one value`,
      ),
    };
  }
  if (name === undefined) {
    return {
      command: "usage-error",
      message: t(`commande manquante : ${commandList}`, `missing command: ${commandList}`),
    };
  }
  if (!isCommand(name)) {
    return {
      command: "usage-error",
      message: t(
        `commande inconnue : ${name} (${commandList})`,
        `unknown command: ${name} (${commandList})`,
      ),
    };
  }
  if (extra.length > 0) {
    return {
      command: "usage-error",
      message: t(
        `argument inattendu : ${extra.join(" ")}`,
        `unexpected argument: ${extra.join(" ")}`,
      ),
    };
  }
  const misplaced = (Object.keys(values) as OptionName[]).filter(
    (option) => !ALLOWED[name].has(option),
  );
  if (misplaced.length > 0) {
    return {
      command: "usage-error",
      message:
        t(`option inconnue pour ${name} : `, `unknown option for ${name}: `) +
        misplaced.map((option) => `--${option}`).join(", "),
    };
  }
  if (values.help) return { command: "help" };

  if (name === "emulator") return emulatorArgs(values, lang);
  if (name === "doctor") {
    let timeout: number | undefined;
    if (values.timeout !== undefined) {
      timeout = Number(values.timeout);
      if (!/^\d+$/.test(values.timeout) || timeout < 1 || timeout > 60_000) {
        return {
          command: "usage-error",
          message: t(
            `--timeout : un nombre de millisecondes de 1 à 60000, pas « ${values.timeout} »`,
            `--timeout: a number of milliseconds from 1 to 60000, not "${values.timeout}"`,
          ),
        };
      }
    }
    return { command: "doctor", config: values.config, timeout };
  }
  return {
    command: "sp-config",
    config: values.config,
    json: values.json ?? false,
    strict: values.strict ?? false,
    existing: uriList(values.existing),
    existingLogout: uriList(values["existing-logout"]),
  };
}

/**
 * The URIs of a repeatable flag, each value split on whitespace, which no URI holds: a list pasted as
 * one value (`--existing "$(cat registered.txt)"`) is several URIs, not one the URL parser would join.
 */
const uriList = (values: readonly string[] | undefined): string[] =>
  (values ?? []).flatMap((value) => value.split(/\s+/).filter((uri) => uri !== ""));

function emulatorArgs(values: ReturnType<typeof parseOptions>["values"], lang: Lang): ParsedArgs {
  const t = translator(lang);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      return {
        command: "usage-error",
        message: t(
          `--port : un numéro de port de 0 à 65535, pas « ${values.port} »`,
          `--port: a port number from 0 to 65535, not "${values.port}"`,
        ),
      };
    }
  }
  const mixed = ONE_CLIENT_FLAGS.filter((flag) => values[flag] !== undefined);
  if (values.clients !== undefined && mixed.length > 0) {
    const flags = mixed.map((flag) => `--${flag}`).join(", ");
    return {
      command: "usage-error",
      message: t(
        `--clients donne tous les clients : ${flags} n'a pas de sens avec lui (mettez-le dans le fichier)`,
        `--clients gives every client: ${flags} makes no sense with it (put it in the file)`,
      ),
    };
  }
  return {
    command: "emulator",
    port,
    host: values.host,
    publicUrl: values["public-url"],
    strict: values.strict ?? false,
    clientId: values["client-id"],
    clientSecret: values["client-secret"],
    redirectUris: values["redirect-uri"],
    postLogoutRedirectUris: values["post-logout-redirect-uri"],
    idTokenAlg: values["id-token-alg"],
    userinfoAlg: values["userinfo-alg"],
    clientsFile: values.clients,
    identitiesFile: values.identities,
    identityProvidersFile: values["identity-providers"],
    accountsFile: values.accounts,
  };
}

/** parseArgs's mistakes, said in the run's language; the option is quoted in its message. */
function usageMessage(error: NodeJS.ErrnoException, lang: Lang): string {
  const t = translator(lang);
  const option = /'([^']+)'/.exec(error.message)?.[1] ?? "";
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return t(`option inconnue : ${option}`, `unknown option: ${option}`);
  }
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = option.replace(" <value>", "");
    // "--port -1": the value starts with "-", which parseArgs takes for another option.
    if (error.message.includes("ambiguous")) {
      return t(
        `l'option ${name} attend une valeur ; une valeur commençant par - s'écrit ${name}=-…`,
        `option ${name} needs a value; a value starting with - is written ${name}=-…`,
      );
    }
    return option.includes("<value>")
      ? t(`l'option ${name} attend une valeur`, `option ${name} needs a value`)
      : t(`l'option ${option} ne prend pas de valeur`, `option ${option} takes no value`);
  }
  // Node's own message, in English: said without it in French.
  return t("ligne de commande invalide", error.message);
}
