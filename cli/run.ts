import { EXIT, parseCliArgs, USAGE } from "./args.js";
import { describeSource, ENV_VARIABLES, loadConfig } from "./config.js";
import { runDoctor, type DoctorDeps } from "./doctor.js";
import { createOutput, mark, type Sink } from "./output.js";
import { runSpConfig } from "./sp-config.js";

export interface RunContext extends DoctorDeps {
  stdout: Sink;
  stderr: Sink;
  color: boolean;
  /** Reads `--config`'s file as text. */
  readFile: (path: string) => string;
}

/**
 * The whole command line: parses `argv` (without `node` and the script), reads the configuration, runs
 * the command and returns the exit code. Everything it touches comes from `context`.
 */
export async function run(argv: readonly string[], context: RunContext): Promise<number> {
  const env = context.env;
  const outputMasking = (...secrets: (string | undefined)[]) =>
    createOutput({
      stdout: context.stdout,
      stderr: context.stderr,
      color: context.color,
      secrets: [env[ENV_VARIABLES.clientSecret], ...secrets],
    });
  const output = outputMasking();
  const args = parseCliArgs(argv);
  if (args.command === "help") {
    output.out(USAGE.trimEnd());
    return EXIT.ok;
  }
  if (args.command === "usage-error") {
    output.err(`proconnect-express : ${args.message}`);
    output.err();
    output.err(USAGE.trimEnd());
    return EXIT.usage;
  }
  const loaded = loadConfig({ env, configPath: args.config, readFile: context.readFile });
  if (!loaded.ok) {
    const problems = outputMasking(loaded.secret);
    problems.err(`Configuration invalide (${describeSource(loaded.source)}) :`);
    for (const problem of loaded.problems) {
      problems.err(`${mark("fail", context.color)} ${problem}`);
    }
    return EXIT.usage;
  }
  // A secret read from the file is masked too, should anything ever echo it.
  const secret = loaded.config.hasSecret ? loaded.config.options.clientSecret : undefined;
  const masked = outputMasking(secret);
  try {
    return args.command === "sp-config"
      ? runSpConfig(args, loaded.config, masked)
      : await runDoctor(args, loaded.config, masked, context);
  } catch (error) {
    // A bug, not a user mistake: its message only, through the masking output.
    masked.err(`proconnect-express : erreur inattendue : ${(error as Error).message}`);
    return EXIT.internal;
  }
}
