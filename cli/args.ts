import { parseArgs } from "node:util";

/**
 * Exit codes: everything fine; a check failed (or a warning with `--strict`); a usage or configuration
 * error; a bug of the CLI itself (EX_SOFTWARE).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

/** The commands of `proconnect-express`. */
export const COMMANDS = ["sp-config", "doctor"] as const;
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

/** What the command line asks for: a command, help, or a usage error to report. */
export type ParsedArgs =
  SpConfigArgs | DoctorArgs | { command: "help" } | { command: "usage-error"; message: string };

export const USAGE = `Usage : proconnect-express <commande> [options]

Commandes :
  sp-config   les réponses à coller dans le formulaire de ProConnect (client id, réseau,
              environnement, URLs de redirection de connexion et de déconnexion)
  doctor      vérifie en direct la configuration contre ProConnect (découverte, issuer,
              algorithmes, scopes, horloge, URLs de redirection)

Configuration : les variables d'environnement de l'application d'exemple
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

  -h, --help                  cette aide

Codes de sortie : 0 tout va bien, 1 une vérification a échoué (ou un avertissement avec
--strict), 2 commande, option ou configuration invalide, 70 erreur interne de l'outil.
`;

const OPTIONS = {
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  strict: { type: "boolean" },
  existing: { type: "string", multiple: true },
  "existing-logout": { type: "string", multiple: true },
  timeout: { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

// Every command reads the configuration; the rest belongs to one command.
const ALLOWED: Record<Command, ReadonlySet<OptionName>> = {
  "sp-config": new Set(["config", "help", "json", "strict", "existing", "existing-logout"]),
  doctor: new Set(["config", "help", "timeout"]),
};

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
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return { command: "usage-error", message: usageMessage(error as NodeJS.ErrnoException) };
  }
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  if (name === "help" || (name === undefined && values.help)) return { command: "help" };
  if (name === undefined) {
    return { command: "usage-error", message: "commande manquante : sp-config ou doctor" };
  }
  if (!isCommand(name)) {
    return {
      command: "usage-error",
      message: `commande inconnue : ${name} (sp-config ou doctor)`,
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
