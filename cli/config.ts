import type { z } from "zod";
import { ProConnectError } from "../lib/errors.js";
import { resolveOptions, type ResolvedOptions } from "../lib/options.js";
import { ENV_VARIABLES } from "./env.js";
import { fileProblem } from "./files.js";
import { issueMessage, translator, type Lang } from "./i18n.js";

export { ENV_VARIABLES };

type EnvOption = keyof typeof ENV_VARIABLES;

/** What to say when a required value is missing, rather than zod's "invalid URL". */
const MISSING_HINTS: Partial<Record<EnvOption, Record<Lang, string>>> = {
  clientId: {
    fr: "le client_id que ProConnect vous a donné",
    en: "the client_id ProConnect gave you",
  },
  baseUrl: {
    fr: "l'adresse publique de l'application, ex. https://mon-service.gouv.fr (les URLs de redirection en dérivent)",
    en: "the app's public address, e.g. https://mon-service.gouv.fr (the redirect URIs are derived from it)",
  },
};

// Neither command signs in: validation needs a secret, the commands never use nor print this one.
const SECRET_PLACEHOLDER = "unused-by-the-cli-which-never-signs-in";

/** How long a `--config` module may take to load: a top-level await that never settles ends there. */
export const IMPORT_TIMEOUT_MS = 10_000;

/** Files read as a JavaScript module (its default export) rather than as JSON. */
const MODULE_FILE = /\.(?:js|mjs|cjs)$/i;

/** Where the configuration came from: the environment, or a file of `proconnect()` options. */
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
  /** `--config`: read this JSON or JavaScript file instead of the environment. */
  configPath: string | undefined;
  /** Reads a file as text (throws as `fs.readFileSync` does). */
  readFile: (path: string) => string;
  /** Imports a JavaScript file (`.js`, `.mjs`, `.cjs`) and resolves to its module namespace. */
  importFile: (path: string) => Promise<unknown>;
  lang: Lang;
}

/**
 * Reads the configuration from the `PROCONNECT_*` environment variables, or from a JSON or JavaScript
 * file, and validates it with the very schema of `proconnect()`. Problems name the environment variable
 * (or the file's key) a wrong value came from, in the run's language.
 */
export async function loadConfig(input: LoadConfigInput): Promise<ConfigResult> {
  const t = translator(input.lang);
  if (input.configPath === undefined) return fromEnv(input.env, input.lang);
  const path = input.configPath;
  const source: ConfigSource = { kind: "file", path };
  const failed = (problem: string): ConfigResult => ({ ok: false, source, problems: [problem] });
  let value: unknown;
  if (MODULE_FILE.test(path)) {
    try {
      // Read only to check it (present, a regular file of a sensible size) before Node imports it.
      input.readFile(path);
    } catch (error) {
      return failed(`${path} : ${fileProblem(error, t)}`);
    }
    let module: unknown;
    try {
      module = await withinTime(input.importFile(path), IMPORT_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof ImportTimeout) {
        return failed(
          `${path} : ${t(
            `chargement impossible : le module ne s'est pas chargé en ${IMPORT_TIMEOUT_MS / 1000} s (un await de premier niveau qui n'aboutit jamais ?)`,
            `cannot be loaded: the module did not load within ${IMPORT_TIMEOUT_MS / 1000} s (a top-level await that never settles?)`,
          )}`,
        );
      }
      const code = (error as NodeJS.ErrnoException).code;
      // The module's own error (a syntax error, a throw): its name only, its message may quote the file.
      const name = (error as Error | undefined)?.name ?? "Error";
      return failed(
        `${path} : ${t("chargement impossible", "cannot be loaded")} (${code ?? name}${code === "ERR_MODULE_NOT_FOUND" ? t(" : un module qu'il importe est introuvable", ": a module it imports is missing") : ""})`,
      );
    }
    value = (module as { default?: unknown } | null)?.default;
    if (value === undefined) {
      return failed(
        `${path} : ${t(
          "doit exporter par défaut (export default, module.exports) un objet des options de proconnect()",
          "must export by default (export default, module.exports) an object of proconnect() options",
        )}`,
      );
    }
  } else {
    let text: string;
    try {
      text = input.readFile(path);
    } catch (error) {
      return failed(`${path} : ${fileProblem(error, t)}`);
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      // JSON.parse's message may quote the text around the mistake, secret included: only its position.
      const position = /position (\d+)/.exec((error as Error).message)?.[1];
      const where =
        position === undefined ? "" : ` (${lineAndColumn(text, Number(position), input.lang)})`;
      return failed(`${path} : ${t("JSON invalide", "invalid JSON")}${where}`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return failed(
      `${path} : ${t(
        "doit contenir un objet des options de proconnect()",
        "must hold an object of proconnect() options",
      )}`,
    );
  }
  const record = value as Record<string, unknown>;
  const hasSecret = record.clientSecret !== undefined;
  const result = validate(
    hasSecret ? record : { ...record, clientSecret: SECRET_PLACEHOLDER },
    source,
    hasSecret,
    (field) => !(field in record),
    (field) => field,
    input.lang,
  );
  const secret = typeof record.clientSecret === "string" ? record.clientSecret : undefined;
  return result.ok ? result : { ...result, secret };
}

class ImportTimeout extends Error {
  override name = "ImportTimeout";
}

/**
 * `promise`, or an `ImportTimeout` after `ms`. The timer also keeps the process alive meanwhile: with
 * nothing else pending, Node would end it silently (exit code 13) on a top-level await that never settles.
 */
async function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ImportTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function fromEnv(env: LoadConfigInput["env"], lang: Lang): ConfigResult {
  // An empty variable (`FOO=` in a .env file) means "not set".
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
    lang,
  );
}

function validate(
  input: Record<string, unknown>,
  source: ConfigSource,
  hasSecret: boolean,
  isMissing: (field: string) => boolean,
  label: (field: string) => string,
  lang: Lang,
): ConfigResult {
  const t = translator(lang);
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
        const hint = MISSING_HINTS[field as EnvOption]?.[lang];
        const message =
          issue.path.length === 1 && isMissing(field)
            ? `${t("manquant", "missing")}${lang === "en" ? ":" : " :"} ${hint ?? issueMessage(issue, lang, input)}`
            : issueMessage(issue, lang, input);
        return issue.path.length === 0
          ? message
          : `${label(field)}${pathTail(issue.path.slice(1))}${lang === "en" ? ":" : " :"} ${message}`;
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

function lineAndColumn(text: string, position: number, lang: Lang): string {
  const before = text.slice(0, position).split("\n");
  const column = (before.at(-1)?.length ?? 0) + 1;
  return lang === "en"
    ? `line ${before.length}, column ${column}`
    : `ligne ${before.length}, colonne ${column}`;
}

/** How an option is named where it came from: its environment variable, or its key in the file. */
export function optionName(source: ConfigSource, option: EnvOption): string {
  return source.kind === "env" ? ENV_VARIABLES[option] : option;
}

/** How a configuration source is named: in a heading or after "configuration". */
export function describeSource(source: ConfigSource, lang: Lang): string {
  if (lang === "en") return source.kind === "env" ? "environment variables" : `file ${source.path}`;
  return source.kind === "env" ? "variables d'environnement" : `fichier ${source.path}`;
}
