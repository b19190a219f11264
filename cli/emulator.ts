import { z } from "zod";
import type { ProConnectEmulator } from "../lib/testing/emulator.js";
import { emulatorOptionsSchema, type EmulatorOptions } from "../lib/testing/options.js";
import type { SigningAlg } from "../lib/algorithms.js";
import { EXIT, type EmulatorArgs } from "./args.js";
import { fileProblem } from "./files.js";
import { issueMessage } from "./i18n.js";
import { mark, type Output } from "./output.js";

export interface EmulatorDeps {
  /** Resolves when the user asks the emulator to stop (Ctrl+C, SIGTERM). */
  untilInterrupted: () => Promise<unknown>;
  /** Reads `--clients` and `--identities` files as text. */
  readFile: (path: string) => string;
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
  publicUrl: "--public-url",
  clientId: "--client-id",
  clientSecret: "--client-secret",
  redirectUris: "--redirect-uri",
  postLogoutRedirectUris: "--post-logout-redirect-uri",
  idTokenSignedResponseAlg: "--id-token-alg",
  userinfoSignedResponseAlg: "--userinfo-alg",
};

/** The options read from a file of their own. */
const FILE_FLAGS = {
  identities: "--identities",
  identityProviders: "--identity-providers",
  accounts: "--accounts",
} as const;

/** The one client of the flags: the local one, but for what the flags change. */
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

/** A JSON list read from a flag's file, or the problem to report (in the run's language). */
function readList(
  flag: string,
  path: string,
  deps: EmulatorDeps,
  output: Output,
): { ok: true; list: unknown[] } | { ok: false; problem: string } {
  const read = readJson(flag, path, deps, output);
  if (!read.ok) return read;
  if (!Array.isArray(read.value)) {
    const { t } = output;
    return {
      ok: false,
      problem: `${flag} ${path} : ${t("doit contenir une liste JSON ([…])", "must hold a JSON list ([…])")}`,
    };
  }
  return { ok: true, list: read.value };
}

/** A JSON object read from a flag's file (`--identity-providers`), or the problem to report. */
function readObject(
  flag: string,
  path: string,
  deps: EmulatorDeps,
  output: Output,
): { ok: true; value: Record<string, unknown> } | { ok: false; problem: string } {
  const read = readJson(flag, path, deps, output);
  if (!read.ok) return read;
  if (typeof read.value !== "object" || read.value === null || Array.isArray(read.value)) {
    const { t } = output;
    return {
      ok: false,
      problem: `${flag} ${path} : ${t("doit contenir un objet JSON ({…})", "must hold a JSON object ({…})")}`,
    };
  }
  return { ok: true, value: read.value as Record<string, unknown> };
}

/** A flag's file parsed as JSON, or the problem to report. */
function readJson(
  flag: string,
  path: string,
  deps: EmulatorDeps,
  output: Output,
): { ok: true; value: unknown } | { ok: false; problem: string } {
  const { t } = output;
  let text: string;
  try {
    text = deps.readFile(path);
  } catch (error) {
    return { ok: false, problem: `${flag} ${path} : ${fileProblem(error, t)}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message may quote the file (a client secret): not repeated.
    return { ok: false, problem: `${flag} ${path} : ${t("JSON invalide", "invalid JSON")}` };
  }
  return { ok: true, value };
}

/**
 * `proconnect-express emulator`: a local ProConnect until Ctrl+C or SIGTERM. Checks the flags and the
 * files, then starts (the emulator imports oidc-provider before it listens: a missing package ends the
 * command rather than leaving a server), prints its issuer, its clients and its test identities.
 */
export async function runEmulator(
  args: EmulatorArgs,
  output: Output,
  deps: EmulatorDeps,
): Promise<number> {
  const { t } = output;
  const problems: string[] = [];
  let clients: unknown[] = [clientOf(args)];
  if (args.clientsFile !== undefined) {
    const read = readList("--clients", args.clientsFile, deps, output);
    if (read.ok) clients = read.list;
    else problems.push(read.problem);
  }
  let identities: unknown[] | undefined;
  if (args.identitiesFile !== undefined) {
    const read = readList("--identities", args.identitiesFile, deps, output);
    if (read.ok) identities = read.list;
    else problems.push(read.problem);
  }
  const federation = readFederation(args, deps, output, problems);
  if (problems.length === 0) {
    const options = {
      ...federation,
      port: args.port ?? DEFAULT_PORT,
      host: args.host ?? DEFAULT_HOST,
      ...(args.publicUrl === undefined ? {} : { publicUrl: args.publicUrl }),
      strict: args.strict,
      clients,
      ...(identities === undefined ? {} : { identities }),
    };
    const checked = emulatorOptionsSchema.safeParse(options);
    if (checked.success) {
      problems.push(...duplicateClients(checked.data.clients, output));
      if (problems.length === 0) {
        return start(options as EmulatorOptions, checked.data, args, output, deps);
      }
    } else {
      problems.push(
        ...checked.error.issues.map((issue) => describeIssue(issue, options, args, output)),
      );
    }
  }
  output.err(t("Options de l'émulateur invalides :", "Invalid emulator options:"));
  for (const problem of problems) output.err(`${mark("fail")} ${problem}`);
  return EXIT.usage;
}

/** A clientId registered twice: only the last one would work. Each must be unique, as `sub`s are. */
function duplicateClients(clients: readonly { clientId: string }[], output: Output): string[] {
  const first = new Map<string, number>();
  return clients.flatMap(({ clientId }, index) => {
    const earlier = first.get(clientId);
    if (earlier === undefined) {
      first.set(clientId, index);
      return [];
    }
    return [
      output.t(
        `--clients (clients[${index}].clientId) : chaque clientId doit être unique, « ${clientId} » est déjà celui de clients[${earlier}]`,
        `--clients (clients[${index}].clientId): each clientId must be unique, "${clientId}" is already clients[${earlier}]'s`,
      ),
    ];
  });
}

/** `--identity-providers` and `--accounts`: the federation around the emulator, as options. */
function readFederation(
  args: EmulatorArgs,
  deps: EmulatorDeps,
  output: Output,
  problems: string[],
) {
  const federation: { identityProviders?: Record<string, unknown>; accounts?: unknown[] } = {};
  if (args.identityProvidersFile !== undefined) {
    const read = readObject("--identity-providers", args.identityProvidersFile, deps, output);
    if (read.ok) federation.identityProviders = read.value;
    else problems.push(read.problem);
  }
  if (args.accountsFile !== undefined) {
    const read = readList("--accounts", args.accountsFile, deps, output);
    if (read.ok) federation.accounts = read.list;
    else problems.push(read.problem);
  }
  return federation;
}

async function start(
  options: EmulatorOptions,
  resolved: z.output<typeof emulatorOptionsSchema>,
  args: EmulatorArgs,
  output: Output,
  deps: EmulatorDeps,
): Promise<number> {
  const { t } = output;
  // Loaded on use: sp-config and doctor never load Express nor the emulator.
  const [{ startProConnectEmulator }, { MissingProviderError }] = await Promise.all([
    import("../lib/testing/emulator.js"),
    import("../lib/testing/provider-config.js"),
  ]);
  let emulator: ProConnectEmulator;
  try {
    emulator = await startProConnectEmulator({
      ...options,
      // The emulator sends no e-mail: each MFA code is printed as it is sent, for the person at the keyboard.
      onEmailCode: ({ email, code }) =>
        output.out(
          t(`Code envoyé par e-mail à ${email} : ${code}`, `E-mail code sent to ${email}: ${code}`),
        ),
    });
  } catch (error) {
    if (error instanceof MissingProviderError) {
      output.err(
        t(
          "proconnect-express : l'émulateur a besoin du paquet oidc-provider, une dépendance optionnelle : npm install --save-dev oidc-provider@9",
          "proconnect-express: the emulator needs the oidc-provider package, an optional dependency: npm install --save-dev oidc-provider@9",
        ),
      );
      return EXIT.failed;
    }
    const reason = listenFailure(error as NodeJS.ErrnoException, resolved, output);
    if (reason === undefined) throw error;
    output.err(
      t(
        `proconnect-express : l'émulateur n'a pas pu démarrer : ${reason}`,
        `proconnect-express: the emulator could not start: ${reason}`,
      ),
    );
    return EXIT.failed;
  }
  printBanner(emulator, resolved, args, output);
  warnUnreachableIssuer(emulator, resolved, output);
  await deps.untilInterrupted();
  await emulator.close();
  output.out(t("Émulateur arrêté.", "Emulator stopped."));
  return EXIT.ok;
}

/** The addresses that mean "every interface": listened on, never reached at. */
const ANY_ADDRESS = new Set(["0.0.0.0", "::", "[::]"]);

/**
 * `--host 0.0.0.0` (a container) without `--public-url`: the issuer would be http://0.0.0.0:…, which no
 * client can use (the middleware compares it to the letter). Said on stderr, the emulator runs anyway.
 */
function warnUnreachableIssuer(
  emulator: ProConnectEmulator,
  resolved: z.output<typeof emulatorOptionsSchema>,
  output: Output,
): void {
  if (resolved.publicUrl !== undefined || !ANY_ADDRESS.has(resolved.host)) return;
  output.err(
    output.t(
      `${mark("warn")} --host ${resolved.host} sans --public-url : l'issuer annoncé, ${emulator.issuer}, n'est l'adresse d'aucun client. Ajoutez --public-url avec l'adresse où les clients le joignent (http://proconnect:4000 dans compose, http://localhost:4000 depuis cette machine).`,
      `${mark("warn")} --host ${resolved.host} without --public-url: the issuer announced, ${emulator.issuer}, is no client's address. Add --public-url with the address clients reach it at (http://proconnect:4000 in compose, http://localhost:4000 from this machine).`,
    ),
  );
}

/** What the emulator prints once it listens: its issuer, its clients, its test identities, then how to stop it. */
function printBanner(
  emulator: ProConnectEmulator,
  resolved: z.output<typeof emulatorOptionsSchema>,
  args: EmulatorArgs,
  output: Output,
): void {
  const { t, lang } = output;
  const colon = lang === "en" ? ":" : " :";
  output.out(
    t(
      `Émulateur ProConnect prêt (${args.strict ? "strict : règles documentées" : "règles du serveur ProConnect"})`,
      `ProConnect emulator ready (${args.strict ? "strict: documented rules" : "ProConnect server's rules"})`,
    ),
  );
  output.out(`  issuer${colon}       ${emulator.issuer}`);
  // Behind another name, where it really listens: what the proxy or the compose service points to.
  if (resolved.publicUrl !== undefined) {
    output.out(`  ${t("écoute", "listens")}${colon}       ${emulator.url}`);
  }
  output.out(
    `  ${t("découverte", "discovery ")}${colon}   ${emulator.issuer}/.well-known/openid-configuration`,
  );
  output.out();
  output.out(
    t(
      `Clients enregistrés (${resolved.clients.length})${colon}`,
      `Registered clients (${resolved.clients.length})${colon}`,
    ),
  );
  for (const client of resolved.clients) {
    output.out(
      `  ${client.clientId} (id_token ${client.idTokenSignedResponseAlg}, userinfo ${client.userinfoSignedResponseAlg})${client.active ? "" : t(" — désactivé : client inconnu pour /authorize", " — deactivated: an unknown client to /authorize")}`,
    );
    // The local secret is public (documented); a secret of the flags or a file is the user's own.
    if (client.clientSecret === LOCAL_CLIENT.clientSecret) {
      output.out(`    secret${colon} ${client.clientSecret}`);
    }
    output.out(`    ${t("connexion", "login")}${colon}   ${client.redirectUris.join(" ")}`);
    output.out(
      `    ${t("déconnexion", "logout")}${colon} ${client.postLogoutRedirectUris.join(" ") || t("(aucune)", "(none)")}`,
    );
  }
  output.out();
  output.out(
    t(
      `Identités de test (${emulator.identities.length}, aussi sur la page de connexion)${colon}`,
      `Test identities (${emulator.identities.length}, also on the login page)${colon}`,
    ),
  );
  for (const identity of emulator.identities) {
    // The labels are French fixtures: shown in a French run only.
    const label = lang === "fr" && identity.label ? ` — ${identity.label}` : "";
    output.out(
      `  ${identity.email ?? t("(sans e-mail)", "(no e-mail)")} (idp_id ${identity.idp_id})${label}`,
    );
  }
  output.out();
  output.out(
    t(
      "Les codes de double authentification (envoyés par e-mail par ProConnect) s'afficheront ici et sur la page de l'émulateur.",
      "The one-time codes of MFA (which ProConnect sends by e-mail) will be printed here and shown on the emulator's page.",
    ),
  );
  output.out(t("Ctrl+C pour l'arrêter.", "Ctrl+C to stop it."));
}

/** `--client-secret (clients[0].clientSecret) : doit avoir au moins 32 caractères`. */
function describeIssue(
  issue: z.core.$ZodIssue,
  options: unknown,
  args: EmulatorArgs,
  output: Output,
): string {
  const [head] = issue.path;
  const flag =
    head === "clients" && args.clientsFile !== undefined
      ? "--clients"
      : head === "identities" || head === "identityProviders" || head === "accounts"
        ? FILE_FLAGS[head]
        : issue.path.map((key) => FLAGS[String(key)]).find((name) => name !== undefined);
  const path = z.core.toDotPath(issue.path);
  const colon = output.lang === "en" ? ":" : " :";
  return `${flag === undefined ? path : `${flag} (${path})`}${colon} ${issueMessage(issue, output.lang, options)}`;
}

/** Why the server could not listen, in the user's terms; undefined for anything else (a bug). */
function listenFailure(
  error: NodeJS.ErrnoException,
  { port, host }: { port: number; host: string },
  { t }: Output,
): string | undefined {
  switch (error.code) {
    case "EADDRINUSE":
      return t(
        `le port ${port} est déjà utilisé (arrêtez l'autre programme ou choisissez un autre --port)`,
        `port ${port} is already in use (stop the other program or choose another --port)`,
      );
    case "EACCES":
      return t(
        `pas le droit d'écouter sur le port ${port} (choisissez un autre --port)`,
        `not allowed to listen on port ${port} (choose another --port)`,
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return t(
        `${host} n'est pas une adresse de cette machine (corrigez --host)`,
        `${host} is not an address of this machine (fix --host)`,
      );
    default:
      return undefined;
  }
}
