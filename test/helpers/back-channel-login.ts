// Runs test/fixtures/back-channel-login.ts in a process of its own, with what Node reads at start-up
// only (NODE_EXTRA_CA_CERTS, NODE_USE_ENV_PROXY…) in `env`: two logins against `issuer`.
import { spawn } from "node:child_process";
import { CLIENT_SECRET, testClient } from "./emulator.js";

const FIXTURE = new URL("../fixtures/back-channel-login.ts", import.meta.url).pathname;

/** What the person ended on after each login, and the back channel's requests (`endpoint status`). */
export interface BackChannelLogins {
  emails: string[];
  requests: string[];
}

/** The fixture app on `appPort` signs in twice; rejects with its stderr if it fails. */
export function runBackChannelLogins(
  issuer: string,
  appPort: number,
  env: NodeJS.ProcessEnv,
): Promise<BackChannelLogins> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", FIXTURE, issuer, testClient().clientId, CLIENT_SECRET, String(appPort)],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out) as BackChannelLogins)
        : reject(new Error(`exit ${code}: ${err}`)),
    );
  });
}
