// `npm start`: the example app, configured from environment variables (see README, "The example app").
import { ConfigError } from "./config.js";
import { startExample } from "./server.js";

try {
  const running = await startExample(process.env);
  process.stdout.write(`${running.banner}\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`The example app cannot start: ${error.message}\n`);
  process.exit(1);
}
