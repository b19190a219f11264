import { z } from "zod";
import type { ProConnectEmulator } from "../lib/testing/emulator.js";
import { emulatorOptionsSchema, type EmulatorOptions } from "../lib/testing/options.js";
import type { SigningAlg } from "../lib/algorithms.js";
import { EXIT, type EmulatorArgs } from "./args.js";
import { mark, type Output } from "./output.js";

export interface EmulatorDeps {
  /** Resolves when the user asks the emulator to stop (Ctrl+C, SIGTERM). */
  untilInterrupted: () => Promise<unknown>;
}

/** The client the example app uses by default: no credentials needed to try it locally. */
const LOCAL_CLIENT = Object.freeze({
  clientId: "proconnect-express-local",
  clientSecret: "local-emulator-secret-not-for-production-use",
  redirectUris: ["http://localhost:3000/callback"],
  postLogoutRedirectUris: ["http://localhost:3000/logout/callback"],
});

const DEFAULT_PORT = 4000;
const DEFAULT_HOST = "127.0.0.1";

/** The flag that sets each option, to name it in an error. */
const FLAGS: Readonly<Record<string, string>> = {
  port: "--port",
  host: "--host",
  clientId: "--client-id",
  clientSecret: "--client-secret",
  redirectUris: "--redirect-uri",
  postLogoutRedirectUris: "--post-logout-redirect-uri",
  idTokenSignedResponseAlg: "--id-token-alg",
  userinfoSignedResponseAlg: "--userinfo-alg",
};

/** The one client the emulator registers: the local one, but for what the flags change. */
function clientOf(args: EmulatorArgs) {
  return {
    clientId: args.clientId ?? LOCAL_CLIENT.clientId,
    clientSecret: args.clientSecret ?? LOCAL_CLIENT.clientSecret,
    redirectUris: args.redirectUris ?? LOCAL_CLIENT.redirectUris,
    postLogoutRedirectUris: args.postLogoutRedirectUris ?? LOCAL_CLIENT.postLogoutRedirectUris,
    // Unchecked here: the emulator's schema names the algorithms it accepts.
    idTokenSignedResponseAlg: (args.idTokenAlg ?? "ES256") as SigningAlg,
    userinfoSignedResponseAlg: (args.userinfoAlg ?? "ES256") as SigningAlg,
  };
}

/**
 * `proconnect-express emulator`: a local ProConnect until Ctrl+C. Checks the flags, then imports
 * oidc-provider, and only then listens: a missing package ends the command rather than leaving a server.
 */
export async function runEmulator(
  args: EmulatorArgs,
  output: Output,
  deps: EmulatorDeps,
): Promise<number> {
  const client = clientOf(args);
  const options: EmulatorOptions = {
    port: args.port ?? DEFAULT_PORT,
    host: args.host ?? DEFAULT_HOST,
    strict: args.strict,
    clients: [client],
  };
  const checked = emulatorOptionsSchema.safeParse(options);
  if (!checked.success) {
    output.err("Options de l'émulateur invalides :");
    for (const issue of checked.error.issues) {
      output.err(`${mark("fail", output.color)} ${describeIssue(issue)}`);
    }
    return EXIT.usage;
  }
  // Loaded on use: sp-config and doctor never load Express nor the emulator.
  const [{ startProConnectEmulator }, { MissingProviderError }] = await Promise.all([
    import("../lib/testing/emulator.js"),
    import("../lib/testing/provider-config.js"),
  ]);
  let emulator: ProConnectEmulator;
  try {
    emulator = await startProConnectEmulator(options);
  } catch (error) {
    if (error instanceof MissingProviderError) {
      output.err(
        "proconnect-express : l'émulateur a besoin du paquet oidc-provider, une dépendance " +
          "optionnelle : npm install --save-dev oidc-provider@9",
      );
      return EXIT.failed;
    }
    const reason = listenFailure(error as NodeJS.ErrnoException, checked.data);
    if (reason === undefined) throw error;
    output.err(`proconnect-express : l'émulateur n'a pas pu démarrer : ${reason}`);
    return EXIT.failed;
  }
  output.out(
    `Émulateur ProConnect prêt (${args.strict ? "strict : règles documentées" : "règles du serveur ProConnect"})`,
  );
  output.out(`  issuer :         ${emulator.issuer}`);
  output.out(`  découverte :     ${emulator.issuer}/.well-known/openid-configuration`);
  output.out(
    `  client :         ${client.clientId} (id_token ${client.idTokenSignedResponseAlg}, userinfo ${client.userinfoSignedResponseAlg})`,
  );
  output.out("  compte de test : test@fia1.fr (et les autres de la page de connexion)");
  output.out("Ctrl+C pour l'arrêter.");
  await deps.untilInterrupted();
  await emulator.close();
  return EXIT.ok;
}

/** `--client-secret (clients[0].clientSecret) : must be at least 32 characters…` */
function describeIssue(issue: z.core.$ZodIssue): string {
  const flag = issue.path.map((key) => FLAGS[String(key)]).find((name) => name !== undefined);
  const path = z.core.toDotPath(issue.path);
  return `${flag === undefined ? path : `${flag} (${path})`} : ${issue.message}`;
}

/** Why the server could not listen, in the user's terms; undefined for anything else (a bug). */
function listenFailure(
  error: NodeJS.ErrnoException,
  { port, host }: { port: number; host: string },
): string | undefined {
  switch (error.code) {
    case "EADDRINUSE":
      return `le port ${port} est déjà utilisé (arrêtez l'autre programme ou choisissez un autre --port)`;
    case "EACCES":
      return `pas le droit d'écouter sur le port ${port} (choisissez un autre --port)`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return `${host} n'est pas une adresse de cette machine (corrigez --host)`;
    default:
      return undefined;
  }
}
