#!/usr/bin/env node
// Runs the emulator on its own, for local development: `npm run emulator -- --help`.
import { parseArgs } from "node:util";
import { startProConnectEmulator } from "./emulator.js";
import { SIGNING_ALGS, type SigningAlg } from "../scopes.js";

const HELP = `Usage: proconnect-emulator [options]

A local ProConnect (the emulator of proconnect-express/testing) with one registered client.

  --port <n>                       port to listen on (default 4000; 0 for any free port)
  --host <address>                 interface to listen on (default 127.0.0.1)
  --strict                         enforce ProConnect's documented authorize rules
  --client-id <id>                 (default proconnect-express-local)
  --client-secret <secret>         at least 32 characters
  --redirect-uri <uri>             repeatable (default http://localhost:3000/callback)
  --post-logout-redirect-uri <uri> repeatable (default http://localhost:3000/logout/callback)
  --id-token-alg <alg>             ES256, RS256 or HS256 (default ES256)
  --userinfo-alg <alg>             ES256, RS256 or HS256 (default ES256)
  -h, --help                       this help
`;

/** The client the example app uses by default: no credentials needed to try it locally. */
const LOCAL_CLIENT = Object.freeze({
  clientId: "proconnect-express-local",
  clientSecret: "local-emulator-secret-not-for-production-use",
  redirectUris: ["http://localhost:3000/callback"],
  postLogoutRedirectUris: ["http://localhost:3000/logout/callback"],
});

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "4000" },
      host: { type: "string", default: "127.0.0.1" },
      strict: { type: "boolean", default: false },
      "client-id": { type: "string", default: LOCAL_CLIENT.clientId },
      "client-secret": { type: "string", default: LOCAL_CLIENT.clientSecret },
      "redirect-uri": { type: "string", multiple: true },
      "post-logout-redirect-uri": { type: "string", multiple: true },
      "id-token-alg": { type: "string", default: "ES256" },
      "userinfo-alg": { type: "string", default: "ES256" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const emulator = await startProConnectEmulator({
    port: Number(values.port),
    host: values.host,
    strict: values.strict,
    clients: [
      {
        clientId: values["client-id"],
        clientSecret: values["client-secret"],
        redirectUris: values["redirect-uri"] ?? LOCAL_CLIENT.redirectUris,
        postLogoutRedirectUris:
          values["post-logout-redirect-uri"] ?? LOCAL_CLIENT.postLogoutRedirectUris,
        idTokenSignedResponseAlg: values["id-token-alg"] as SigningAlg,
        userinfoSignedResponseAlg: values["userinfo-alg"] as SigningAlg,
      },
    ],
  });
  process.stdout.write(
    [
      `ProConnect emulator ready (${values.strict ? "strict, documented rules" : "ProConnect server rules"})`,
      `  issuer:    ${emulator.issuer}`,
      `  discovery: ${emulator.issuer}/.well-known/openid-configuration`,
      `  client:    ${values["client-id"]} (algorithms: ${SIGNING_ALGS.join(", ")})`,
      `  test account: test@fia1.fr (and the others listed on the login page)`,
      "",
    ].join("\n"),
  );
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
