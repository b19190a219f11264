import { parseArgs } from "node:util";

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
  /** ProConnect's documented authorize rules rather than its server's. */
  strict: boolean;
  clientId: string | undefined;
  clientSecret: string | undefined;
  redirectUris: string[] | undefined;
  postLogoutRedirectUris: string[] | undefined;
  idTokenAlg: string | undefined;
  userinfoAlg: string | undefined;
}

/** What the command line asks for: a command, help, or a usage error to report. */
export type ParsedArgs =
  | SpConfigArgs
  | DoctorArgs
  | EmulatorArgs
  | { command: "help" }
  | { command: "usage-error"; message: string };

export const USAGE = `Usage : proconnect-express <commande> [options]

Commandes :
  sp-config   les réponses à coller dans le formulaire de ProConnect (client id, réseau,
              environnement, URLs de redirection de connexion et de déconnexion)
  doctor      vérifie en direct la configuration contre ProConnect (découverte, issuer,
              algorithmes, scopes, horloge, URLs de redirection)
  emulator    un ProConnect local (l'émulateur de proconnect-express/testing) avec un client
              enregistré, pour développer hors ligne ; il faut le paquet oidc-provider

Configuration (sp-config, doctor) : les variables d'environnement de l'application d'exemple
  PROCONNECT_CLIENT_ID, PROCONNECT_ENVIRONMENT, PROCONNECT_NETWORK, PROCONNECT_ISSUER,
  APP_BASE_URL (PROCONNECT_CLIENT_SECRET n'est ni nécessaire ni jamais affiché)
ou un fichier JSON des options de proconnect() :
  --config <fichier.json>

Options de sp-config :
  --json                      la même chose en JSON
  --existing <uri>            une URL de redirection de CONNEXION déjà enregistrée (répétable)
  --existing-logout <uri>     une URL de redirection de DÉCONNEXION déjà enregistrée (répétable)
  --strict                    code de sortie 1 s'il y a un avertissement

Options de doctor :
  --timeout <ms>              délai de chaque requête (par défaut : httpTimeout, 5000)

Options d'emulator (il tourne jusqu'à Ctrl+C) :
  --port <n>                  port d'écoute (par défaut 4000 ; 0 pour un port libre)
  --host <adresse>            interface d'écoute (par défaut 127.0.0.1)
  --strict                    les règles documentées de ProConnect pour /authorize (state et
                              nonce de 32 caractères, paramètre inconnu refusé)
  --client-id <id>            (par défaut proconnect-express-local)
  --client-secret <secret>    au moins 32 caractères
  --redirect-uri <uri>        répétable (par défaut http://localhost:3000/callback)
  --post-logout-redirect-uri <uri>
                              répétable (par défaut http://localhost:3000/logout/callback)
  --id-token-alg <alg>        ES256, RS256 ou HS256 (par défaut ES256)
  --userinfo-alg <alg>        ES256, RS256 ou HS256 (par défaut ES256)

  -h, --help                  cette aide

Codes de sortie : 0 tout va bien (emulator : arrêté par Ctrl+C), 1 une vérification a échoué
(ou un avertissement avec --strict) ou l'émulateur n'a pas pu démarrer, 2 commande, option ou
configuration invalide, 70 erreur interne de l'outil.
`;

const OPTIONS = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  strict: { type: "boolean" },
  existing: { type: "string", multiple: true },
  "existing-logout": { type: "string", multiple: true },
  timeout: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "client-id": { type: "string" },
  "client-secret": { type: "string" },
  "redirect-uri": { type: "string", multiple: true },
  "post-logout-redirect-uri": { type: "string", multiple: true },
  "id-token-alg": { type: "string" },
  "userinfo-alg": { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

// sp-config and doctor read the configuration; the rest belongs to one command.
const ALLOWED: Record<Command, ReadonlySet<OptionName>> = {
  "sp-config": new Set(["config", "help", "json", "strict", "existing", "existing-logout"]),
  doctor: new Set(["config", "help", "timeout"]),
  emulator: new Set([
    "help",
    "port",
    "host",
    "strict",
    "client-id",
    "client-secret",
    "redirect-uri",
    "post-logout-redirect-uri",
    "id-token-alg",
    "userinfo-alg",
  ]),
};

const COMMAND_LIST = "sp-config, doctor ou emulator";

const parseOptions = (argv: readonly string[]) =>
  parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });

const isCommand = (value: string | undefined): value is Command =>
  (COMMANDS as readonly string[]).includes(value ?? "");

/**
 * Reads the command line (without `node` and the script). Never throws: a mistake becomes a
 * `usage-error` whose message names it.
 *
 * @example
 * parseCliArgs(["sp-config", "--json"]); // { command: "sp-config", json: true, … }
 */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    return { command: "usage-error", message: usageMessage(error as NodeJS.ErrnoException) };
  }
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (name === "help" || (name === undefined && values.help)) return { command: "help" };
  if (name === undefined) {
    return { command: "usage-error", message: `commande manquante : ${COMMAND_LIST}` };
  }
  if (!isCommand(name)) {
    return {
      command: "usage-error",
      message: `commande inconnue : ${name} (${COMMAND_LIST})`,
    };
  }
  if (extra.length > 0) {
    return { command: "usage-error", message: `argument inattendu : ${extra.join(" ")}` };
  }
  const misplaced = (Object.keys(values) as OptionName[]).filter(
    (option) => !ALLOWED[name].has(option),
  );
  if (misplaced.length > 0) {
    return {
      command: "usage-error",
      message: `option inconnue pour ${name} : ${misplaced.map((option) => `--${option}`).join(", ")}`,
    };
  }
  if (values.help) return { command: "help" };

  if (name === "emulator") return emulatorArgs(values);
  if (name === "doctor") {
    let timeout: number | undefined;
    if (values.timeout !== undefined) {
      timeout = Number(values.timeout);
      if (!/^\d+$/.test(values.timeout) || timeout < 1 || timeout > 60_000) {
        return {
          command: "usage-error",
          message: `--timeout : un nombre de millisecondes de 1 à 60000, pas « ${values.timeout} »`,
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
    existing: values.existing ?? [],
    existingLogout: values["existing-logout"] ?? [],
  };
}

function emulatorArgs(values: ReturnType<typeof parseOptions>["values"]): ParsedArgs {
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      return {
        command: "usage-error",
        message: `--port : un numéro de port de 0 à 65535, pas « ${values.port} »`,
      };
    }
  }
  return {
    command: "emulator",
    port,
    host: values.host,
    strict: values.strict ?? false,
    clientId: values["client-id"],
    clientSecret: values["client-secret"],
    redirectUris: values["redirect-uri"],
    postLogoutRedirectUris: values["post-logout-redirect-uri"],
    idTokenAlg: values["id-token-alg"],
    userinfoAlg: values["userinfo-alg"],
  };
}

/** parseArgs's mistakes, said in French like the rest; the option is quoted in its message. */
function usageMessage(error: NodeJS.ErrnoException): string {
  const option = /'([^']+)'/.exec(error.message)?.[1] ?? "";
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `option inconnue : ${option}`;
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return option.includes("<value>")
      ? `l'option ${option.replace(" <value>", "")} attend une valeur`
      : `l'option ${option} ne prend pas de valeur`;
  }
  return error.message;
}
