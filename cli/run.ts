import { EXIT, parseCliArgs, secretArgs, usage } from "./args.js";
import type { DoctorDeps } from "./check.js";
import { describeSource, ENV_VARIABLES, loadConfig } from "./config.js";
import { runDoctor } from "./doctor.js";
import { runEmulator, type EmulatorDeps } from "./emulator.js";
import { detectLang } from "./i18n.js";
import { createOutput, mark, type Output, type Sink } from "./output.js";
import { runSpConfig } from "./sp-config.js";

export interface RunContext extends DoctorDeps, EmulatorDeps {
  stdout: Sink;
  stderr: Sink;
  /** Whether each stream takes coloured marks. */
  color: { out: boolean; err: boolean };
  /** Reads `--config`'s (and the emulator's) files as text. */
  readFile: (path: string) => string;
  /** Imports a `--config` JavaScript file: its module namespace. */
  importFile: (path: string) => Promise<unknown>;
  /** The package's version, for `--version`. */
  version: () => string;
}

/**
 * The whole command line: parses `argv` (without `node` and the script), reads the configuration (but
 * for `emulator`), runs the command and returns the exit code. Everything it touches comes from `context`;
 * every line is in one language, the locale's (French unless it starts with `en`).
 */
export async function run(argv: readonly string[], context: RunContext): Promise<number> {
  const env = context.env;
  const lang = detectLang(env);
  // The secrets of the command line are masked from the first line on, a usage error's included.
  const flagSecrets = secretArgs(argv);
  const outputMasking = (...secrets: (string | undefined)[]) =>
    createOutput({
      stdout: context.stdout,
      stderr: context.stderr,
      color: context.color,
      secrets: [env[ENV_VARIABLES.clientSecret], ...flagSecrets, ...secrets],
      lang,
    });
  const output = outputMasking();
  const { t } = output;
  const args = parseCliArgs(argv, lang);
  if (args.command === "help") {
    for (const line of usage(lang).trimEnd().split("\n")) output.out(line);
    return EXIT.ok;
  }
  if (args.command === "version") {
    output.out(context.version());
    return EXIT.ok;
  }
  if (args.command === "usage-error") {
    output.err(`proconnect-express${lang === "en" ? ":" : " :"} ${args.message}`);
    output.err();
    for (const line of usage(lang).trimEnd().split("\n")) output.err(line);
    return EXIT.usage;
  }
  if (args.command === "emulator") {
    // The emulator reads no configuration: its flags and files say everything.
    return guarded(output, () => runEmulator(args, output, context));
  }
  const loaded = await guarded(output, () =>
    loadConfig({
      env,
      configPath: args.config,
      readFile: context.readFile,
      importFile: context.importFile,
      lang,
    }),
  );
  if (typeof loaded === "number") return loaded;
  if (!loaded.ok) {
    const problems = outputMasking(loaded.secret);
    const source = describeSource(loaded.source, lang);
    problems.err(t(`Configuration invalide (${source}) :`, `Invalid configuration (${source}):`));
    for (const problem of loaded.problems) {
      problems.err(`${mark("fail")} ${problem}`);
    }
    return EXIT.usage;
  }
  // A secret read from the file is masked too, should anything ever echo it.
  const secret = loaded.config.hasSecret ? loaded.config.options.clientSecret : undefined;
  const masked = outputMasking(secret);
  return guarded(masked, async () =>
    args.command === "sp-config"
      ? runSpConfig(args, loaded.config, masked)
      : runDoctor(args, loaded.config, masked, context),
  );
}

/**
 * Runs a step; an exception is a bug, not a user mistake: its message only, through `output`, and exit
 * code 70 instead of the step's result.
 */
async function guarded<T>(output: Output, step: () => Promise<T> | T): Promise<T | number> {
  try {
    return await step();
  } catch (error) {
    output.err(
      output.t(
        `proconnect-express : erreur inattendue (${(error as Error).name}) : ${(error as Error).message}`,
        `proconnect-express: unexpected error (${(error as Error).name}): ${(error as Error).message}`,
      ),
    );
    return EXIT.internal;
  }
}
