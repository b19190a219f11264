import { EXIT, parseCliArgs, USAGE } from "./args.js";
import { describeSource, ENV_VARIABLES, loadConfig } from "./config.js";
import { runDoctor, type DoctorDeps } from "./doctor.js";
import { runEmulator, type EmulatorDeps } from "./emulator.js";
import { createOutput, mark, type Output, type Sink } from "./output.js";
import { runSpConfig } from "./sp-config.js";

export interface RunContext extends DoctorDeps, EmulatorDeps {
  stdout: Sink;
  stderr: Sink;
  color: boolean;
  /** Reads `--config`'s file as text. */
  readFile: (path: string) => string;
}

/**
 * The whole command line: parses `argv` (without `node` and the script), reads the configuration (but
 * for `emulator`), runs the command and returns the exit code. Everything it touches comes from `context`.
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
  if (args.command === "emulator") {
    // The emulator reads no configuration: its flags say everything.
    const masked = outputMasking(args.clientSecret);
    return guarded(masked, () => runEmulator(args, masked, context));
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
  return guarded(masked, async () =>
    args.command === "sp-config"
      ? runSpConfig(args, loaded.config, masked)
      : runDoctor(args, loaded.config, masked, context),
  );
}

/** Runs a command; an exception is a bug, not a user mistake: its message only, through `output`. */
async function guarded(output: Output, command: () => Promise<number> | number): Promise<number> {
  try {
    return await command();
  } catch (error) {
    output.err(`proconnect-express : erreur inattendue : ${(error as Error).message}`);
    return EXIT.internal;
  }
}
