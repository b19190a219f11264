import type { z } from "zod";
import { ProConnectError } from "../lib/errors.js";
import { resolveOptions, type ResolvedOptions } from "../lib/options.js";
import { ENV_VARIABLES } from "./env.js";
import { fileProblem } from "./files.js";
import { issueMessage, translator, type Lang, type Translate } from "./i18n.js";

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

/** TypeScript, which Node does not import everywhere: said, rather than read as JSON. */
const TYPESCRIPT_FILE = /\.(?:ts|mts|cts|tsx)$/i;

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
  if (TYPESCRIPT_FILE.test(path)) {
    return failed(
      `${path} : ${t(
        "TypeScript n'est pas lu : compilez-le, ou donnez un fichier .js, .mjs, .cjs ou .json",
        "TypeScript is not read: compile it, or give a .js, .mjs, .cjs or .json file",
      )}`,
    );
  }
  const read = MODULE_FILE.test(path) ? await readModule(path, input) : readJsonFile(path, input);
  if ("problem" in read) return failed(`${path} : ${read.problem}`);
  const { value } = read;
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

type Read = { value: unknown } | { problem: string };

/** A JSON file's value, or why it has none (a UTF-8 byte order mark is no mistake). */
function readJsonFile(path: string, input: LoadConfigInput): Read {
  const t = translator(input.lang);
  let text: string;
  try {
    text = input.readFile(path);
  } catch (error) {
    return { problem: fileProblem(error, t) };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    // JSON.parse's message may quote the text around the mistake, secret included: only its position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where =
      position === undefined ? "" : ` (${lineAndColumn(text, Number(position), input.lang)})`;
    return { problem: `${t("JSON invalide", "invalid JSON")}${where}` };
  }
}

/**
 * A JavaScript module's default export, awaited when it is a promise, or why there is none. Bounded in
 * time: a top-level await that never settles would otherwise end the process silently.
 */
async function readModule(path: string, input: LoadConfigInput): Promise<Read> {
  const t = translator(input.lang);
  try {
    // Read only to check it (present, a regular file of a sensible size) before Node imports it.
    input.readFile(path);
  } catch (error) {
    return { problem: fileProblem(error, t) };
  }
  let value: unknown;
  try {
    value = await withinTime(
      (async () => {
        const module = await input.importFile(path);
        // `export default loadSecrets().then(…)`: returned from an async function, the options once there.
        return (module as { default?: unknown } | null)?.default;
      })(),
      IMPORT_TIMEOUT_MS,
    );
  } catch (error) {
    return { problem: loadingProblem(error, t) };
  }
  if (value === undefined) {
    return {
      problem: t(
        "doit exporter par défaut (export default, module.exports) un objet des options de proconnect()",
        "must export by default (export default, module.exports) an object of proconnect() options",
      ),
    };
  }
  return { value };
}

/** Why a module could not be loaded: its error's name or code, and its message's first line, cut short. */
function loadingProblem(error: unknown, t: Translate): string {
  if (error instanceof ImportTimeout) {
    return t(
      `chargement impossible : le module ne s'est pas chargé en ${IMPORT_TIMEOUT_MS / 1000} s (un await de premier niveau qui n'aboutit jamais ?)`,
      `cannot be loaded: the module did not load within ${IMPORT_TIMEOUT_MS / 1000} s (a top-level await that never settles?)`,
    );
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const name = (error as Error | undefined)?.name ?? "Error";
  if (code === "ERR_MODULE_NOT_FOUND") {
    return `${t("chargement impossible", "cannot be loaded")} (${code}${t(" : un module qu'il importe est introuvable", ": a module it imports is missing")})`;
  }
  // The output masks the known secrets; a long message (a stack, a quoted file) is cut short.
  const message = String((error as Error | undefined)?.message ?? error).split("\n")[0] ?? "";
  const cut = message.length > MESSAGE_LENGTH ? `${message.slice(0, MESSAGE_LENGTH)}…` : message;
  return `${t("chargement impossible", "cannot be loaded")} (${code ?? name}${cut ? `${t(" : ", ": ")}${cut}` : ""})`;
}

/** How much of a module's error message is quoted. */
const MESSAGE_LENGTH = 200;

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
