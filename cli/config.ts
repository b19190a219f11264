import type { z } from "zod";
import { ProConnectError } from "../lib/errors.js";
import { resolveOptions, type ResolvedOptions } from "../lib/options.js";
import { ENV_VARIABLES } from "./env.js";

export { ENV_VARIABLES };

type EnvOption = keyof typeof ENV_VARIABLES;

/** What to say when a required value is missing, rather than zod's "invalid URL". */
const MISSING_HINTS: Partial<Record<EnvOption, string>> = {
  clientId: "le client_id que ProConnect vous a donné",
  baseUrl:
    "l'adresse publique de l'application, ex. https://mon-service.gouv.fr (les URLs de redirection en dérivent)",
};

// Neither command signs in: validation needs a secret, the commands never use nor print this one.
const SECRET_PLACEHOLDER = "unused-by-the-cli-which-never-signs-in";

/** Where the configuration came from: the environment, or a JSON file of `proconnect()` options. */
export type ConfigSource = { kind: "env" } | { kind: "file"; path: string };

type DefaultedOption = "environment" | "network" | "issuer";

export interface LoadedConfig {
  /** The options exactly as `proconnect()` resolves them. */
  options: ResolvedOptions;
  source: ConfigSource;
  /** Options left to their default (shown as such): the issuer then comes from environment × network. */
  defaulted: ReadonlySet<DefaultedOption>;
  /** Whether a client secret was given (it is never needed nor shown). */
  hasSecret: boolean;
}

/** A configuration, or every problem that keeps it from being one. */
export type ConfigResult =
  | { ok: true; config: LoadedConfig }
  | {
      ok: false;
      source: ConfigSource;
      problems: string[];
      /** The secret of a file, to mask should a problem ever quote it. */
      secret?: string;
    };

export interface LoadConfigInput {
  env: Readonly<Record<string, string | undefined>>;
  /** `--config`: read this JSON file instead of the environment. */
  configPath: string | undefined;
  /** Reads a file as text (throws as `fs.readFileSync` does). */
  readFile: (path: string) => string;
}

/**
 * Reads the configuration from the environment or a JSON file and validates it with the very schema of
 * `proconnect()`. Problems name the environment variable a wrong value came from.
 */
export function loadConfig(input: LoadConfigInput): ConfigResult {
  if (input.configPath === undefined) return fromEnv(input.env);
  const source: ConfigSource = { kind: "file", path: input.configPath };
  let text: string;
  try {
    text = input.readFile(input.configPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "fichier introuvable" : `lecture impossible (${code ?? "?"})`;
    return { ok: false, source, problems: [`${input.configPath} : ${reason}`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message may quote the text around the mistake, secret included: only its position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = position === undefined ? "" : ` (${lineAndColumn(text, Number(position))})`;
    return { ok: false, source, problems: [`${input.configPath} : JSON invalide${where}`] };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return {
      ok: false,
      source,
      problems: [`${input.configPath} : doit contenir un objet JSON des options de proconnect()`],
    };
  }
  const record = json as Record<string, unknown>;
  const hasSecret = record.clientSecret !== undefined;
  const result = validate(
    hasSecret ? record : { ...record, clientSecret: SECRET_PLACEHOLDER },
    source,
    hasSecret,
    (field) => !(field in record),
    (field) => field,
  );
  const secret = typeof record.clientSecret === "string" ? record.clientSecret : undefined;
  return result.ok ? result : { ...result, secret };
}

function fromEnv(env: LoadConfigInput["env"]): ConfigResult {
  // As in the example app, an empty variable (`FOO=` in a .env file) means "not set".
  const read = (option: EnvOption) => {
    const value = env[ENV_VARIABLES[option]];
    return value === "" ? undefined : value;
  };
  const options: Record<string, unknown> = {};
  for (const option of Object.keys(ENV_VARIABLES) as EnvOption[]) {
    const value = read(option);
    if (value !== undefined) options[option] = option === "clientId" ? value.trim() : value;
  }
  const hasSecret = options.clientSecret !== undefined;
  options.clientSecret ??= SECRET_PLACEHOLDER;
  return validate(
    options,
    { kind: "env" },
    hasSecret,
    (field) => !(field in options),
    (field) => (field in ENV_VARIABLES ? `${ENV_VARIABLES[field as EnvOption]} (${field})` : field),
  );
}

function validate(
  input: Record<string, unknown>,
  source: ConfigSource,
  hasSecret: boolean,
  isMissing: (field: string) => boolean,
  label: (field: string) => string,
): ConfigResult {
  let options: ResolvedOptions;
  try {
    options = resolveOptions(input);
  } catch (error) {
    if (!(error instanceof ProConnectError) || error.code !== "invalid_options") throw error;
    const issues = (error.cause as z.ZodError).issues;
    return {
      ok: false,
      source,
      problems: issues.map((issue) => {
        const field = String(issue.path[0] ?? "");
        const hint = MISSING_HINTS[field as EnvOption];
        const message =
          issue.path.length === 1 && isMissing(field)
            ? `manquant : ${hint ?? issue.message}`
            : issue.message;
        return issue.path.length === 0
          ? message
          : `${label(field)}${pathTail(issue.path.slice(1))} : ${message}`;
      }),
    };
  }
  const defaulted = new Set<DefaultedOption>(
    (["environment", "network", "issuer"] as const).filter(isMissing),
  );
  return { ok: true, config: { options, source, defaulted, hasSecret } };
}

/** `["routes", "login"]`'s tail as zod prints it: `.login`; indexes as `[1]`. */
function pathTail(path: readonly PropertyKey[]): string {
  return path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split("\n");
  return `ligne ${before.length}, colonne ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** How an option is named where it came from: its environment variable, or its key in the file. */
export function optionName(source: ConfigSource, option: EnvOption): string {
  return source.kind === "env" ? ENV_VARIABLES[option] : option;
}

/** How a configuration source is named in French: in a heading or after "configuration". */
export function describeSource(source: ConfigSource): string {
  return source.kind === "env" ? "variables d'environnement" : `fichier ${source.path}`;
}
