// `npm start`: the example app, configured from environment variables (see README, "The example app").
import { pino } from "pino";
import { ConfigError } from "./config.js";
import { startExample } from "./server.js";

try {
  // The audit trail as JSON lines on the standard output (docs/observability.md).
  const running = await startExample(process.env, {
    audit: pino({ name: "audit" }),
    // The emulator sends no e-mail: the MFA code of « Espace sécurisé », printed for the person trying it.
    onEmailCode: ({ email, code }) =>
      process.stdout.write(`E-mail code sent to ${email}: ${code}\n`),
  });
  process.stdout.write(`${running.banner}\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`The example app cannot start: ${error.message}\n`);
  process.exit(1);
}
