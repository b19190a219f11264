import { z } from "zod";

/** The example app's variables that set `proconnect()` options (the CLI reads its own, cli/env.ts). */
const ENV = {
  clientId: "PROCONNECT_CLIENT_ID",
  clientSecret: "PROCONNECT_CLIENT_SECRET",
  environment: "PROCONNECT_ENVIRONMENT",
  network: "PROCONNECT_NETWORK",
  issuer: "PROCONNECT_ISSUER",
  baseUrl: "APP_BASE_URL",
} as const;

/** Where the example app gets its ProConnect: the local emulator, or the real one with credentials. */
export type ExampleConfig = z.output<typeof envSchema>;

/** Thrown when the environment is wrong: its message lists every problem and how to fix it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

// An empty variable (`FOO=` in a .env file) means "not set", not "set to the empty string".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const port = (fallback: number) =>
  z.preprocess(
    (value) => (value === "" || value === undefined ? String(fallback) : value),
    z
      .string()
      .regex(/^\d{1,5}$/, "must be a port number, 0 to 65535")
      .transform(Number)
      .pipe(z.number().max(65535, "must be a port number, 0 to 65535")),
  );

/** TRUST_PROXY as Express's `trust proxy` takes it: a hop count, true/false, or addresses and subnets. */
const trustProxy = z
  .string()
  .trim()
  .transform((value): boolean | number | string =>
    /^\d+$/.test(value)
      ? Number(value)
      : value === "true"
        ? true
        : value === "false"
          ? false
          : value,
  );

const envSchema = z.object({
  [ENV.clientId]: optional(z.string().trim().min(1)),
  [ENV.clientSecret]: optional(z.string().min(1)),
  [ENV.environment]: optional(
    z.enum(["integration", "production"], { error: "must be integration or production" }),
  ),
  [ENV.network]: optional(z.enum(["internet", "rie"], { error: "must be internet or rie" })),
  [ENV.issuer]: optional(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  [ENV.baseUrl]: optional(
    z
      .url({
        protocol: /^https?$/,
        error: "must be an http(s) URL, e.g. https://mon-service.gouv.fr",
      })
      .transform((value) => value.replace(/\/$/, "")),
  ),
  SESSION_SECRET: optional(
    z.string().min(32, "must be at least 32 characters (e.g. openssl rand -base64 32)"),
  ),
  TRUST_PROXY: optional(trustProxy),
  REDIS_URL: optional(
    z.url({
      protocol: /^rediss?$/,
      hostname: /./,
      error: "must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379",
    }),
  ),
  PORT: port(3000),
  EMULATOR_PORT: port(4000),
});

type RawEnv = Record<string, string | undefined>;

/**
 * Rules between variables, on the raw strings: they must be reported with the per-variable problems,
 * and zod skips an object's own checks once one of its fields has failed.
 */
function crossVariableProblems(raw: RawEnv): z.core.$ZodIssue[] {
  const env = (name: string) => (raw[name] === "" ? undefined : raw[name]);
  const issues: z.core.$ZodIssue[] = [];
  const problem = (path: string, message: string) =>
    issues.push({ code: "custom", path: [path], message, input: env(path) });
  const hasId = env(ENV.clientId) !== undefined;
  const hasSecret = env(ENV.clientSecret) !== undefined;
  if (hasId !== hasSecret) {
    problem(
      hasId ? ENV.clientSecret : ENV.clientId,
      "set PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET together (or neither, for the local emulator)",
    );
  }
  if (hasId && hasSecret) {
    if (env(ENV.environment) === undefined) {
      problem(ENV.environment, "required with credentials: integration or production");
    }
    if (env(ENV.network) === undefined) {
      problem(ENV.network, "required with credentials: internet or rie");
    }
  }
  if (!hasId && !hasSecret) {
    // Without credentials the app uses the emulator: a ProConnect setting here is a forgotten credential.
    for (const name of [ENV.environment, ENV.network, ENV.issuer]) {
      if (env(name) !== undefined) {
        problem(
          name,
          "is set but the credentials are not: set PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET, or unset it to use the local emulator",
        );
      }
    }
  }
  if (env(ENV.environment) === "production" && env("SESSION_SECRET") === undefined) {
    problem(
      "SESSION_SECRET",
      "required in production: every instance must sign session cookies with the same secret",
    );
  } else if (env("REDIS_URL") !== undefined && env("SESSION_SECRET") === undefined) {
    problem(
      "SESSION_SECRET",
      "required with REDIS_URL: every instance sharing the sessions must sign their cookies with the same secret",
    );
  }
  const baseUrl = env(ENV.baseUrl);
  if (baseUrl !== undefined && URL.canParse(baseUrl) && !/^https?:\/\/[^/?#]+\/?$/.test(baseUrl)) {
    problem(ENV.baseUrl, "must be an origin without a path: the example app serves from /");
  }
  if (baseUrl?.startsWith("https:") && env("TRUST_PROXY") === undefined) {
    problem(
      "TRUST_PROXY",
      "required when APP_BASE_URL is https://: this app serves plain HTTP behind your reverse proxy, so set how many proxies to trust (e.g. 1) or their addresses (e.g. loopback)",
    );
  }
  return issues;
}

/**
 * Reads the example app's settings from environment variables (only those; the rest is ignored).
 * Throws a {@link ConfigError} listing every wrong variable.
 */
export function parseEnv(env: RawEnv): ExampleConfig {
  const result = envSchema.safeParse(env);
  const issues = [...(result.error?.issues ?? []), ...crossVariableProblems(env)];
  if (!result.success || issues.length > 0) {
    const error = new z.ZodError(issues);
    throw new ConfigError(`invalid environment variables\n${z.prettifyError(error)}`);
  }
  return result.data;
}

/** The credentials, when the app talks to the real ProConnect; undefined for the local emulator. */
export function credentialsOf(config: ExampleConfig) {
  const { PROCONNECT_CLIENT_ID: clientId, PROCONNECT_CLIENT_SECRET: clientSecret } = config;
  return clientId !== undefined && clientSecret !== undefined
    ? { clientId, clientSecret }
    : undefined;
}
