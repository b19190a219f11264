import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProConnectEmulator, type ProConnectEmulator } from "../lib/testing/index.js";
import { createOutput } from "../cli/output.js";
import { assertBuilt, CLI_BIN } from "./helpers/built.js";
import { listen as serve } from "./helpers/net.js";

beforeAll(assertBuilt);

const root = fileURLToPath(new URL("..", import.meta.url));
// Distinctive, so that any leak of it, whole, is found in the output.
const SECRET = "cli-test-secret-Zq8vW3nK5pT1xR7mY2bJ";
const BASE_URL = "https://mon-service.gouv.fr";

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, start-up included. */
  ms: number;
}

/**
 * Runs the real executable with only the given environment (no PROCONNECT_* of the parent). Every run
 * checks that the client secret appears nowhere.
 */
async function cli(
  args: string[],
  env: Record<string, string> = {},
  { timeout }: { timeout?: number } = {},
): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    // A command that never ends is killed (code null) rather than left behind.
    timeout,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  expect(stdout + stderr).not.toContain(SECRET);
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** The lines of `output` that are check results, without their details. */
const marked = (output: string, mark: string) =>
  output.split("\n").filter((line) => line.startsWith(`${mark} `));

let emulator: ProConnectEmulator;
let discovery: Record<string, unknown>;
let directory: string;

beforeAll(async () => {
  emulator = await startProConnectEmulator({
    strict: true,
    clients: [
      {
        clientId: "mon-service",
        clientSecret: SECRET,
        redirectUris: [`${BASE_URL}/callback`],
        postLogoutRedirectUris: [`${BASE_URL}/logout/callback`],
      },
    ],
  });
  // Registered for its login URI only: ProConnect knows no post-logout URI of it.
  emulator.registerClient({
    clientId: "sans-deconnexion",
    clientSecret: SECRET,
    redirectUris: [`${BASE_URL}/callback`],
  });
  const response = await fetch(`${emulator.issuer}/.well-known/openid-configuration`);
  discovery = (await response.json()) as Record<string, unknown>;
  directory = await mkdtemp(join(tmpdir(), "proconnect-cli-"));
});

afterAll(async () => {
  await emulator?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** The `PROCONNECT_*` variables of a service provider using the emulator. */
const emulatorEnv = (overrides: Record<string, string> = {}) => ({
  PROCONNECT_CLIENT_ID: "mon-service",
  PROCONNECT_CLIENT_SECRET: SECRET,
  PROCONNECT_ISSUER: emulator.issuer,
  PROCONNECT_BASE_URL: BASE_URL,
  ...overrides,
});

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * Another real server publishing a copy of the emulator's discovery document, changed by `edit`, with
 * its own `Date` header: a provider elsewhere, or one whose clock is off.
 */
async function startMirror(
  edit: (document: Record<string, unknown>, issuer: string) => Record<string, unknown>,
  clockOffsetMs = 0,
) {
  let issuer = "";
  const server = createHttpServer((req, res) => {
    if (req.url !== "/api/v2/.well-known/openid-configuration") {
      res.writeHead(404).end();
      return;
    }
    res.setHeader("Date", new Date(Date.now() + clockOffsetMs).toUTCString());
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify(edit({ ...discovery }, issuer)));
  });
  issuer = `http://127.0.0.1:${await listen(server)}/api/v2`;
  return {
    issuer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("proconnect-express doctor", () => {
  it("passes every check against a healthy emulator and exits 0", async () => {
    const run = await cli(["doctor"], emulatorEnv());
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(marked(run.stdout, "✘")).toEqual([]);
    const passed = marked(run.stdout, "✔").join("\n");
    for (const check of [
      "configuration valide (variables d'environnement)",
      `URLs de redirection bien formées : ${BASE_URL}/callback, ${BASE_URL}/logout/callback`,
      `découverte : ${emulator.issuer}/.well-known/openid-configuration a répondu`,
      `issuer : ${emulator.issuer}, identique`,
      "algorithme de l'id_token : ES256 proposé",
      "algorithme de userinfo : ES256 proposé",
      "scopes : openid siret idp_id email given_name usual_name uid, tous proposés",
      "JWKS : clé ES256 publiée",
      `client id et URL de redirection de connexion enregistrés : mon-service, ${BASE_URL}/callback`,
      `URL de redirection de déconnexion enregistrée : ${BASE_URL}/logout/callback`,
      "scopes autorisés pour ce client : openid siret idp_id email given_name usual_name uid",
    ]) {
      expect(passed).toContain(check);
    }
    // Both clocks are this machine's: the estimate is off by at most half the round trip plus the
    // Date header's half second, and the whole process bounds the round trip.
    const skew =
      /✔ horloge : écart d'environ (\d+) s avec ProConnect \(tolérance clockTolerance : 10 s\)/.exec(
        passed,
      );
    expect(skew).not.toBeNull();
    expect(Number(skew?.[1])).toBeLessThanOrEqual(Math.round((500 + run.ms / 2) / 1000));
    expect(run.stdout).toContain("secret        défini (jamais affiché)");
    expect(run.stdout).toMatch(/Tout est bon \(12 réussies, 0 en échec\)/);
  });

  it("fails on an algorithm or a scope the provider does not offer, naming each (--config file)", async () => {
    emulator.setTamper({
      fault: (endpoint) =>
        endpoint === "discovery"
          ? {
              status: 200,
              body: JSON.stringify({
                ...discovery,
                userinfo_signing_alg_values_supported: ["ES256"],
                scopes_supported: (discovery.scopes_supported as string[]).filter(
                  (scope) => scope !== "siren",
                ),
              }),
            }
          : undefined,
    });
    try {
      const path = await configFile("misconfigured.json", {
        clientId: "mon-service",
        clientSecret: SECRET,
        baseUrl: BASE_URL,
        issuer: emulator.issuer,
        idTokenSignedResponseAlg: "HS256",
        userinfoSignedResponseAlg: "RS256",
        scopes: ["email", "siren"],
      });
      const run = await cli(["doctor", "--config", path]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`(fichier ${path})`);
      expect(marked(run.stdout, "✘")).toEqual([
        "✘ algorithme de userinfo : RS256 n'est pas proposé (userinfo_signing_alg_values_supported : ES256)",
        expect.stringMatching(/^✘ scopes non proposés : siren \(scopes_supported : openid /),
      ]);
      expect(run.stdout).toContain("✔ algorithme de l'id_token : HS256 proposé");
      // RS256 userinfo needs an RSA key; the HS256 id_token needs none.
      expect(run.stdout).toContain("✔ JWKS : clé RS256 publiée");
      // The client may ask for siren (the emulator allows it): only the discovery document left it out.
      expect(run.stdout).toContain(
        "✔ scopes autorisés pour ce client : openid siret idp_id email siren",
      );
      expect(run.stdout).toMatch(/Échec de doctor : 10 réussies, 2 en échec\./);
    } finally {
      emulator.setTamper(undefined);
    }
  });

  it("fails when the provider announces another issuer than the configured one", async () => {
    // The emulator's own document, served from another address: it names the emulator as issuer.
    const mirror = await startMirror((document) => document);
    try {
      const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_ISSUER: mirror.issuer }));
      expect(run.code).toBe(1);
      expect(marked(run.stdout, "✘")).toEqual([
        `✘ issuer : le serveur annonce "${emulator.issuer}", la configuration attend "${mirror.issuer}"`,
      ]);
      expect(run.stdout).toContain("issuer_mismatch");
      expect(run.stdout).toContain("corrigez PROCONNECT_ISSUER");
    } finally {
      await mirror.close();
    }
  });

  it("refuses a discovery document over 256 KB, as the middleware does, and stops reading an endless one", async () => {
    const filler = "x".repeat(1024 * 1024);
    const server = createHttpServer((req, res) => {
      res.setHeader("Content-Type", "application/json");
      if (req.url?.startsWith("/big/")) {
        // A valid document of 10 MB: the issuer right, the rest padding.
        res.end(JSON.stringify({ ...discovery, padding: filler.repeat(10) }));
        return;
      }
      const push = () => res.write(filler, () => setImmediate(push)); // never ends
      push();
      req.on("close", () => res.destroy());
    });
    const served = await serve(server);
    try {
      for (const path of ["big", "endless"]) {
        const issuer = `${served.url}/${path}/api/v2`;
        const run = await cli(
          ["doctor", "--timeout", "20000"],
          emulatorEnv({ PROCONNECT_ISSUER: issuer }),
        );
        expect(run.code, path).toBe(1);
        expect(marked(run.stdout, "✘"), path).toEqual([
          `✘ découverte : ${issuer}/.well-known/openid-configuration injoignable, réponse de plus de 256 Ko, que le middleware refuserait`,
        ]);
        expect(run.ms, path).toBeLessThan(20_000); // cut at the limit, not at the timeout
      }
    } finally {
      await served.close();
    }
  });

  it("fails on a discovery that redirects, which the middleware does not follow, naming where to", async () => {
    const target = `${emulator.issuer}/.well-known/openid-configuration`;
    const served = await serve(
      createHttpServer((_req, res) => res.writeHead(302, { location: target }).end()),
    );
    const issuer = `${served.url}/api/v2`;
    try {
      const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_ISSUER: issuer }));
      expect(run.code).toBe(1);
      expect(marked(run.stdout, "✘")).toEqual([
        `✘ découverte : ${issuer}/.well-known/openid-configuration a répondu par une redirection (HTTP 302 vers ${target}), que le middleware ne suit pas`,
      ]);
      expect(run.stdout).toContain("Donnez à PROCONNECT_ISSUER l'adresse finale de ProConnect.");
    } finally {
      await served.close();
    }
  });

  it("fails when the server's clock is off by more than clockTolerance, from its Date header", async () => {
    const mirror = await startMirror(
      (document, issuer) => ({ ...document, issuer }),
      10 * 60 * 1000,
    );
    try {
      const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_ISSUER: mirror.issuer }));
      expect(run.code).toBe(1);
      expect(marked(run.stdout, "✘")).toEqual([
        expect.stringMatching(
          /^✘ horloge : cette machine a 60\d s de retard sur ProConnect \(tolérance clockTolerance : 10 s\)$/,
        ),
      ]);
      expect(run.stdout).toContain("NTP");
      expect(run.stdout).toContain("✔ issuer");
    } finally {
      await mirror.close();
    }
  });

  it("fails at once on a closed port, and skips the checks that need the document", async () => {
    const port = await closedPort();
    const run = await cli(
      ["doctor", "--timeout", "3000"],
      emulatorEnv({ PROCONNECT_ISSUER: `http://127.0.0.1:${port}/api/v2` }),
    );
    expect(run.code).toBe(1);
    expect(marked(run.stdout, "✘")).toEqual([
      `✘ découverte : http://127.0.0.1:${port}/api/v2/.well-known/openid-configuration injoignable, connexion refusée par 127.0.0.1:${port} (ECONNREFUSED) : rien n'écoute à cette adresse`,
    ]);
    expect(marked(run.stdout, "–")).toHaveLength(6);
    expect(run.stdout).toContain("L'issuer vient de PROCONNECT_ISSUER");
    expect(run.stdout).not.toContain("RIE");
    expect(run.ms).toBeLessThan(3000);
  });

  it("names NODE_USE_ENV_PROXY when HTTPS_PROXY is set and ProConnect cannot be reached", async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}/api/v2`;
    const proxy = { PROCONNECT_ISSUER: issuer, HTTPS_PROXY: "http://proxy.example:3128" };
    const run = await cli(["doctor", "--timeout", "3000"], emulatorEnv(proxy));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "HTTPS_PROXY est défini : Node n'y passe (pour le middleware comme pour ce contrôle) qu'avec NODE_USE_ENV_PROXY=1",
    );
  });

  it("on a self-signed certificate, points to NODE_EXTRA_CA_CERTS", async () => {
    execFileSync(
      "openssl",
      `req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout self.key -out self.pem -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1`.split(
        " ",
      ),
      { cwd: directory, stdio: "pipe" },
    );
    const tls = createHttpsServer(
      {
        key: await readFile(join(directory, "self.key")),
        cert: await readFile(join(directory, "self.pem")),
      },
      (_req, res) => res.end("{}"),
    );
    const port = await listen(tls);
    try {
      const run = await cli(
        ["doctor"],
        emulatorEnv({ PROCONNECT_ISSUER: `https://127.0.0.1:${port}/api/v2` }),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("(DEPTH_ZERO_SELF_SIGNED_CERT)");
      expect(run.stdout).toContain(
        `Le certificat de 127.0.0.1:${port} n'est signé par aucune autorité que Node connaît : si c'est celle de votre organisation (un proxy qui inspecte TLS), donnez-la à Node avec NODE_EXTRA_CA_CERTS=<fichier .pem>`,
      );
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });

  it("on the Internet, a silent http:// issuer times out with a hint in HTTP, not HTTPS", async () => {
    await withSilentServer(async (port) => {
      const run = await cli(
        ["doctor", "--timeout", "300"],
        emulatorEnv({ PROCONNECT_ISSUER: `http://127.0.0.1:${port}/api/v2` }),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        `Vérifiez que ce serveur peut joindre 127.0.0.1:${port} en HTTP (pare-feu, proxy sortant)`,
      );
    });
  });

  it("says a discovery list present with the wrong type is one, not that it is missing", async () => {
    const mirror = await startMirror((document, issuer) => ({
      ...document,
      issuer,
      scopes_supported: "openid email",
      id_token_signing_alg_values_supported: undefined,
    }));
    try {
      const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_ISSUER: mirror.issuer }));
      expect(run.code).toBe(1);
      expect(marked(run.stdout, "✘")).toEqual(
        expect.arrayContaining([
          "✘ algorithme de l'id_token : id_token_signing_alg_values_supported absent du document",
          '✘ scopes : scopes_supported présent mais pas une liste de chaînes ("openid email")',
        ]),
      );
    } finally {
      await mirror.close();
    }
  });

  it("on the RIE, a server that never answers times out and explains the IP range to open", async () => {
    await withSilentServer(async (port) => {
      const run = await cli(
        ["doctor", "--timeout", "400"],
        emulatorEnv({
          PROCONNECT_ISSUER: `http://127.0.0.1:${port}/api/v2`,
          PROCONNECT_NETWORK: "rie",
        }),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("réseau        RIE");
      expect(marked(run.stdout, "✘")).toEqual([
        `✘ découverte : http://127.0.0.1:${port}/api/v2/.well-known/openid-configuration injoignable, pas de réponse en 400 ms`,
      ]);
      expect(run.stdout).toContain("plage d'adresses IP sortantes de ce");
      expect(run.stdout).toContain("« Plages / adresses IP »");
      expect(run.stdout).toContain("Depuis une machine hors du RIE");
      expect(run.ms).toBeLessThan(5000);
    });
  });

  it("exits 2 and lists every missing variable, by its name, on stderr", async () => {
    const run = await cli(["doctor"], { PROCONNECT_CLIENT_SECRET: SECRET });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Configuration invalide (variables d'environnement) :");
    expect(run.stderr).toContain(
      "✘ PROCONNECT_CLIENT_ID (clientId) : manquant : le client_id que ProConnect vous a donné",
    );
    expect(run.stderr).toContain("✘ PROCONNECT_BASE_URL (baseUrl) : manquant : l'adresse publique");
  });

  it("exits 2 and lists every wrong value, by its variable", async () => {
    const run = await cli(
      ["doctor"],
      emulatorEnv({
        PROCONNECT_ENVIRONMENT: "prod",
        PROCONNECT_NETWORK: "intranet",
        PROCONNECT_BASE_URL: "ftp://mon-service.gouv.fr",
      }),
    );
    expect(run.code).toBe(2);
    const problems = marked(run.stderr, "✘");
    expect(problems).toEqual([
      "✘ PROCONNECT_BASE_URL (baseUrl) : doit être une URL absolue http:// ou https://",
      '✘ PROCONNECT_ENVIRONMENT (environment) : doit valoir "integration" ou "production"',
      '✘ PROCONNECT_NETWORK (network) : doit valoir "internet" ou "rie"',
    ]);
  });

  it("exits 2 on a --config file that is missing, not JSON, or has unknown options, never echoing it", async () => {
    const missing = await cli(["doctor", "--config", join(directory, "absent.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("absent.json : fichier introuvable");

    // The secret sits right where the JSON breaks: JSON.parse's message would quote part of it.
    const unquoted = await configFile("unquoted.json", `{"clientSecret": ${SECRET}}`);
    const notJson = await cli(["doctor", "--config", unquoted]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain("unquoted.json : JSON invalide");
    expect(notJson.stderr).not.toContain(SECRET.slice(0, 8));
    const broken = await configFile("broken.json", `{\n  "clientSecret": "${SECRET}" oops\n}`);
    const position = await cli(["doctor", "--config", broken]);
    expect(position.code).toBe(2);
    expect(position.stderr).toContain("broken.json : JSON invalide (ligne 2, colonne ");

    const unknown = await configFile("unknown.json", {
      clientId: "mon-service",
      clientSecret: SECRET,
      baseUrl: BASE_URL,
      colour: "bleu",
      httpTimeout: -1,
    });
    const wrong = await cli(["doctor", "--config", unknown]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`Configuration invalide (fichier ${unknown}) :`);
    expect(wrong.stderr).toContain("✘ option inconnue : colour");
    expect(wrong.stderr).toContain("✘ httpTimeout : doit valoir plus de 0");
  });

  it("exits 2 on a wrong --timeout or an option of another command", async () => {
    const timeout = await cli(["doctor", "--timeout", "soon"], emulatorEnv());
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain("--timeout : un nombre de millisecondes");
    const option = await cli(["doctor", "--json"], emulatorEnv());
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("option inconnue pour doctor : --json");
    expect(option.stderr).toContain("Usage : proconnect-express");
  });
});

/** The check lines of the registration (client id, login and post-logout redirect URIs). */
const registration = (output: string) =>
  output
    .split("\n")
    .filter((line) => /^[✔✘–] (client id|URL de redirection de|client id inconnu)/.test(line));

describe("proconnect-express doctor: the registration, as ProConnect answers a browser", () => {
  it("fails with Y030031 for a login redirect URI ProConnect does not know, saying which field to change", async () => {
    const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_BASE_URL: `${BASE_URL}/app` }));
    expect(run.code).toBe(1);
    expect(registration(run.stdout)).toEqual([
      `✘ URL de redirection de connexion non enregistrée (Y030031, invalid_redirect_uri) : ${BASE_URL}/app/callback`,
      `✘ URL de redirection de déconnexion non enregistrée (Y030111) : ${BASE_URL}/app/logout/callback`,
    ]);
    // The scopes are asked only once the login URI is known: shown as not run, not left out.
    expect(marked(run.stdout, "–")).toEqual([
      "– scopes autorisés pour ce client : vérification impossible tant que l'URL de redirection de connexion n'est pas reconnue",
    ]);
    expect(run.stdout).toContain("« URLs de redirection post CONNEXION » du formulaire");
    expect(run.stdout).toContain("proconnect-express sp-config --existing <chaque URL");
    expect(run.stdout).toContain("« URLs de redirection post DÉCONNEXION » du formulaire");
    expect(run.stdout).toContain("proconnect-express sp-config --existing-logout <chaque URL");
    expect(run.stdout).toContain("Ou corrigez PROCONNECT_BASE_URL (ou routes.callback)");
    expect(run.stdout).toMatch(/Échec de doctor : 9 réussies, 2 en échec, 1 impossible\./);
  });

  it("fails with Y030111 for a post-logout redirect URI ProConnect does not know, the login one passing", async () => {
    const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_CLIENT_ID: "sans-deconnexion" }));
    expect(run.code).toBe(1);
    expect(registration(run.stdout)).toEqual([
      `✔ client id et URL de redirection de connexion enregistrés : sans-deconnexion, ${BASE_URL}/callback`,
      `✘ URL de redirection de déconnexion non enregistrée (Y030111) : ${BASE_URL}/logout/callback`,
    ]);
  });

  it("fails when ProConnect does not allow this client a scope the app asks for, naming each one (idp_id)", async () => {
    emulator.registerClient({
      clientId: "sans-idp-id",
      clientSecret: SECRET,
      redirectUris: [`${BASE_URL}/callback`],
      postLogoutRedirectUris: [`${BASE_URL}/logout/callback`],
      scopes: ["openid", "siret", "email", "given_name", "usual_name"],
    });
    const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_CLIENT_ID: "sans-idp-id" }));
    expect(run.code).toBe(1);
    expect(marked(run.stdout, "✘")).toEqual([
      "✘ scopes non autorisés pour ce client (invalid_scope) : idp_id uid",
    ]);
    expect(run.stdout).toContain(
      "Demandez à ProConnect d'autoriser idp_id uid pour le client sans-idp-id",
    );
    expect(run.stdout).toContain("retirez-les de l'option scopes de proconnect()");
    expect(run.stdout).toMatch(/Échec de doctor : 11 réussies, 1 en échec\./);
  });

  it("fails with invalid_client for a client id ProConnect does not know, naming the variable to fix", async () => {
    const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_CLIENT_ID: "inconnu" }));
    expect(run.code).toBe(1);
    expect(registration(run.stdout)).toEqual([
      "✘ client id inconnu de ProConnect (invalid_client) : inconnu",
      "– URL de redirection de déconnexion : vérification impossible pour un client inconnu",
    ]);
    expect(run.stdout).toContain("Corrigez PROCONNECT_CLIENT_ID : le « CLIENT ID »");
  });

  it("reads the error pages of ProConnect's server too (oidc-provider-rendered-error:…, not the documented codes)", async () => {
    // Not strict: the emulator's pages then show oidc-provider's error as ProConnect's server does.
    const lax = await startProConnectEmulator({
      clients: [
        {
          clientId: "mon-service",
          clientSecret: SECRET,
          redirectUris: [`${BASE_URL}/callback`],
          postLogoutRedirectUris: [`${BASE_URL}/logout/callback`],
        },
      ],
    });
    try {
      const page = await fetch(
        `${lax.issuer}/authorize?client_id=inconnu&response_type=code&scope=openid&state=s&redirect_uri=${BASE_URL}/callback`,
        { headers: { accept: "text/html" } },
      );
      expect(await page.text()).toContain("oidc-provider-rendered-error:invalid_client");

      const env = (overrides: Record<string, string>) =>
        emulatorEnv({ PROCONNECT_ISSUER: lax.issuer, ...overrides });
      const ok = await cli(["doctor"], env({}));
      expect(ok.code).toBe(0);
      expect(marked(ok.stdout, "✔")).toHaveLength(12);
      const unregistered = await cli(
        ["doctor"],
        env({ PROCONNECT_BASE_URL: "https://autre.gouv.fr" }),
      );
      expect(registration(unregistered.stdout)).toEqual([
        "✘ URL de redirection de connexion non enregistrée (Y030031, invalid_redirect_uri) : https://autre.gouv.fr/callback",
        "✘ URL de redirection de déconnexion non enregistrée (Y030111) : https://autre.gouv.fr/logout/callback",
      ]);
      const unknown = await cli(["doctor"], env({ PROCONNECT_CLIENT_ID: "inconnu" }));
      expect(registration(unknown.stdout)[0]).toBe(
        "✘ client id inconnu de ProConnect (invalid_client) : inconnu",
      );
    } finally {
      await lax.close();
    }
  });

  /**
   * A ProConnect whose discovery is the emulator's but whose authorize and end_session are `answer`'s,
   * each request recorded; the tests run `doctor` against it (`issuer`), then close it.
   */
  async function fakeProConnect(answer: (url: string, res: ServerResponse) => void) {
    const requests: { method: string; url: string; headers: string }[] = [];
    let issuer = "";
    const server = createHttpServer((req, res) => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: JSON.stringify(req.headers),
      });
      if (req.url === "/api/v2/.well-known/openid-configuration") {
        res.setHeader("Content-Type", "application/json");
        res.end(
          JSON.stringify({
            ...discovery,
            issuer,
            jwks_uri: emulator.issuer + "/jwks",
            authorization_endpoint: `${issuer}/authorize`,
            end_session_endpoint: `${issuer}/session/end`,
          }),
        );
        return;
      }
      answer(req.url ?? "", res);
    });
    issuer = `http://127.0.0.1:${await listen(server)}/api/v2`;
    const close = () => new Promise((resolve) => server.close(resolve));
    return { issuer, requests, close };
  }

  /** Into the login flow, and a loop should doctor ever follow it. */
  const intoTheLogin = (url: string, res: ServerResponse) => {
    res.writeHead(303, {
      Location: url.startsWith("/api/v2/authorize") ? "/api/v2/interaction/x" : "/api/v2/authorize",
    });
    res.end();
  };

  it("asks as a browser would: GET, minimal valid parameters, no redirect followed, never the secret", async () => {
    const fake = await fakeProConnect((url, res) => {
      if (!url.startsWith("/api/v2/session/end")) return intoTheLogin(url, res);
      // Back to the app (which is not served here: following it would fail the check).
      res.writeHead(303, { Location: `${BASE_URL}/logout/callback` }).end();
    });
    try {
      const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_ISSUER: fake.issuer }));
      expect(run.code).toBe(0);
      expect(registration(run.stdout)).toEqual([
        `✔ client id et URL de redirection de connexion enregistrés : mon-service, ${BASE_URL}/callback`,
        `✔ URL de redirection de déconnexion enregistrée : ${BASE_URL}/logout/callback`,
      ]);
      const asked = fake.requests.filter((request) => !request.url.includes(".well-known"));
      // The client id and login URI with openid alone, then the app's scopes, then the logout URI.
      expect(asked.map(({ method, url }) => `${method} ${url.split("?")[0]}`)).toEqual([
        "GET /api/v2/authorize",
        "GET /api/v2/authorize",
        "GET /api/v2/session/end",
      ]);
      const [authorize, scopes, endSession] = asked.map(
        ({ url }) => new URL(url, "http://x").searchParams,
      );
      expect(scopes?.get("scope")).toBe("openid siret idp_id email given_name usual_name uid");
      expect([...(authorize?.keys() ?? [])].sort()).toEqual(
        ["client_id", "nonce", "redirect_uri", "response_type", "scope", "state"].sort(),
      );
      expect(authorize?.get("response_type")).toBe("code");
      expect(authorize?.get("scope")).toBe("openid");
      expect(authorize?.get("redirect_uri")).toBe(`${BASE_URL}/callback`);
      expect(authorize?.get("state")?.length).toBeGreaterThanOrEqual(32);
      expect(authorize?.get("nonce")?.length).toBeGreaterThanOrEqual(32);
      expect(Object.fromEntries(endSession ?? [])).toEqual({
        client_id: "mon-service",
        post_logout_redirect_uri: `${BASE_URL}/logout/callback`,
      });
      for (const request of fake.requests) {
        expect(request.url + request.headers).not.toContain(SECRET);
      }
    } finally {
      await fake.close();
    }
  });

  it("draws no conclusion on the login from a redirect elsewhere or a 500, says so in the summary, exit 0", async () => {
    const answers: [string, (res: ServerResponse) => void][] = [
      // Neither back to the app nor into ProConnect's own pages: a proxy's login page, say.
      [
        "HTTP 302 → https://elsewhere.example/login",
        (res) => res.writeHead(302, { Location: "https://elsewhere.example/login" }).end(),
      ],
      ["HTTP 500", (res) => res.writeHead(500).end()],
    ];
    for (const [why, answer] of answers) {
      const fake = await fakeProConnect((url, res) => {
        if (url.startsWith("/api/v2/authorize")) return answer(res);
        res.writeHead(303, { Location: `${BASE_URL}/logout/callback` }).end();
      });
      try {
        const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_ISSUER: fake.issuer }));
        expect(run.code, why).toBe(0);
        expect(marked(run.stdout, "–"), why).toEqual([
          `– client id et URL de redirection de connexion : réponse de ${fake.issuer}/authorize sans conclusion (${why})`,
          "– scopes autorisés pour ce client : vérification impossible tant que l'URL de redirection de connexion n'est pas reconnue",
        ]);
        expect(run.stdout).not.toContain("Tout est bon");
        expect(run.stdout).toContain(
          "Aucun échec, mais tout n'a pas pu être vérifié (10 réussies, 0 en échec, 2 impossibles) : voir les lignes –.",
        );
      } finally {
        await fake.close();
      }
    }
  });

  it("draws no conclusion on the post-logout URI from an answer that is neither the logout page nor a way back", async () => {
    const answers: [string, (res: ServerResponse) => void][] = [
      // A portal or a proxy's page: a 200, without oidc-provider's logout form.
      [
        "HTTP 200",
        (res) => res.writeHead(200, { "Content-Type": "text/html" }).end("<p>Bienvenue</p>"),
      ],
      // A redirect elsewhere than the post-logout URI (a single sign-on portal, say).
      ["HTTP 302", (res) => res.writeHead(302, { Location: "https://sso.example/login" }).end()],
      // A Location that is no URL.
      ["HTTP 302", (res) => res.writeHead(302, { Location: "http://[" }).end()],
    ];
    for (const [status, answer] of answers) {
      const fake = await fakeProConnect((url, res) =>
        url.startsWith("/api/v2/session/end") ? answer(res) : intoTheLogin(url, res),
      );
      try {
        const run = await cli(["doctor"], emulatorEnv({ PROCONNECT_ISSUER: fake.issuer }));
        expect(registration(run.stdout)).toEqual([
          `✔ client id et URL de redirection de connexion enregistrés : mon-service, ${BASE_URL}/callback`,
          `– URL de redirection de déconnexion : réponse de ${fake.issuer}/session/end sans conclusion (${status})`,
        ]);
      } finally {
        await fake.close();
      }
    }
  });
});

describe("the configuration the CLI reads", () => {
  it("reads only the PROCONNECT_* variables, never the example app's APP_BASE_URL", async () => {
    const onlyApp = await cli(["sp-config", "--json"], {
      PROCONNECT_CLIENT_ID: "mon-service",
      APP_BASE_URL: BASE_URL,
    });
    expect(onlyApp.code).toBe(2);
    expect(onlyApp.stderr).toContain("✘ PROCONNECT_BASE_URL (baseUrl) : manquant");

    const run = await cli(["sp-config", "--json"], {
      PROCONNECT_CLIENT_ID: "mon-service",
      PROCONNECT_BASE_URL: BASE_URL,
      PROCONNECT_ENVIRONMENT: "production",
      PROCONNECT_NETWORK: "rie",
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      clientId: "mon-service",
      environment: "production",
      network: "rie",
      redirectUris: [`${BASE_URL}/callback`],
    });
  });

  it("--config reads a JavaScript module's default export (ESM or CommonJS), functions included", async () => {
    const options = {
      clientId: "mon-service",
      clientSecret: SECRET,
      baseUrl: BASE_URL,
      issuer: "__ISSUER__",
    };
    const source = JSON.stringify(options).replace('"__ISSUER__"', "process.env.TEST_ISSUER");
    const esm = await configFile(
      "proconnect.config.mjs",
      `export default { ...${source}, onLogin: (user) => user };`,
    );
    const cjs = await configFile("proconnect.config.cjs", `module.exports = ${source};`);
    for (const path of [esm, cjs]) {
      const run = await cli(["doctor", "--config", path], { TEST_ISSUER: emulator.issuer });
      expect(run.code, path).toBe(0);
      expect(run.stdout).toContain(`proconnect-express doctor (fichier ${path})`);
      expect(run.stdout).toMatch(/Tout est bon \(12 réussies, 0 en échec\)/);
    }
  });

  it("--config explains a JavaScript file that is missing, throws or exports nothing", async () => {
    const missing = await cli(["sp-config", "--config", join(directory, "absent.mjs")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("absent.mjs : fichier introuvable");
    // Its message is quoted, the known secret masked (the module may have read it to build the options).
    const throwing = await configFile(
      "throws.mjs",
      `throw new Error(${JSON.stringify(`connexion refusée avec ${SECRET}\nat la ligne 2`)});`,
    );
    const thrown = await cli(["sp-config", "--config", throwing], {
      PROCONNECT_CLIENT_SECRET: SECRET,
    });
    expect(thrown.code).toBe(2);
    expect(thrown.stderr).toContain(
      "throws.mjs : chargement impossible (Error : connexion refusée avec ***)\n",
    );
    const syntax = await configFile("syntax.mjs", 'export default {\n  clientId: "a",,\n};');
    const broken = await cli(["sp-config", "--config", syntax]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(
      "syntax.mjs : chargement impossible (SyntaxError : Unexpected token ',')",
    );
    const long = await configFile("long.mjs", `throw new Error("x".repeat(5000));`);
    const cut = await cli(["sp-config", "--config", long]);
    expect(cut.stderr).toContain(`long.mjs : chargement impossible (Error : ${"x".repeat(200)}…)`);
    const empty = await configFile("empty.mjs", "export const clientId = 'x';");
    const nothing = await cli(["sp-config", "--config", empty]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("empty.mjs : doit exporter par défaut");
  });

  it("--config reads a JSON file with a byte order mark and a default export that is a promise; says TypeScript is not read", async () => {
    const options = { clientId: "mon-service", baseUrl: BASE_URL };
    const bom = await configFile("bom.json", `\uFEFF${JSON.stringify(options)}`);
    const promised = await configFile(
      "promised.mjs",
      `export default Promise.resolve(${JSON.stringify(options)});`,
    );
    for (const path of [bom, promised]) {
      const run = await cli(["sp-config", "--json", "--config", path]);
      expect(run.code, path).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ clientId: "mon-service" });
    }
    const typescript = await configFile("proconnect.config.ts", "export default {};");
    const run = await cli(["sp-config", "--config", typescript]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "proconnect.config.ts : TypeScript n'est pas lu : compilez-le, ou donnez un fichier .js, .mjs, .cjs ou .json",
    );
  });

  it("--config says a value of the wrong type is one (scopes as a string), not that it is missing", async () => {
    const path = await configFile("typed.json", {
      clientId: "mon-service",
      baseUrl: BASE_URL,
      scopes: "email",
      routes: { callback: 3 },
    });
    const run = await cli(["sp-config", "--config", path]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n").slice(1)).toEqual([
      "✘ scopes : doit être une liste, pas une chaîne de caractères",
      "✘ routes.callback : doit être une chaîne de caractères, pas un nombre",
    ]);
  });

  it("--config refuses a file that is not a regular file (/dev/zero) or over 1 MB, JSON or module, exit 2", async () => {
    for (const name of ["zero.json", "zero.mjs"]) {
      const zero = join(directory, name);
      await symlink("/dev/zero", zero);
      const run = await cli(["sp-config", "--config", zero]);
      expect(run.code, name).toBe(2);
      expect(run.stderr).toContain(`✘ ${zero} : n'est pas un fichier ordinaire`);
    }
    const huge = await configFile(
      "huge.json",
      JSON.stringify({ clientId: "mon-service", baseUrl: BASE_URL }) + " ".repeat(2 * 1024 * 1024),
    );
    const large = await cli(["sp-config", "--config", huge]);
    expect(large.code).toBe(2);
    expect(large.stderr).toContain(
      `✘ ${huge} : plus de 1 Mo : trop gros pour un fichier de réglages`,
    );
  });
});

describe("a --config module that keeps the process busy", () => {
  const options = { clientId: "mon-service", clientSecret: SECRET, baseUrl: BASE_URL };

  it("ends once the answer is printed, though the module keeps the event loop alive (a database pool)", async () => {
    const busy = await configFile(
      "busy.config.mjs",
      `setInterval(() => {}, 1000);\nexport default ${JSON.stringify({ ...options, issuer: emulator.issuer })};`,
    );
    const run = await cli(["sp-config", "--json", "--config", busy], {}, { timeout: 10_000 });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ clientId: "mon-service" });
    const doctor = await cli(["doctor", "--config", busy], {}, { timeout: 10_000 });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/Tout est bon \(12 réussies, 0 en échec\)/);
  });

  it(
    "gives up after 10 s on a module whose top-level await never settles, saying so, exit 2",
    {
      timeout: 30_000,
    },
    async () => {
      const stuck = await configFile(
        "stuck.config.mjs",
        `await new Promise(() => {});\nexport default ${JSON.stringify(options)};`,
      );
      const run = await cli(["sp-config", "--config", stuck], {}, { timeout: 20_000 });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        "stuck.config.mjs : chargement impossible : le module ne s'est pas chargé en 10 s",
      );
      expect(run.ms).toBeGreaterThanOrEqual(10_000);
    },
  );
});

/** Words of the French output that must never show in an English run. */
const FRENCH_WORDS = [
  "réussie",
  "Configuration invalide",
  "variables d'environnement",
  "manquant",
  "Tout est bon",
  "échec",
  "doit ",
  "enregistré",
  "Réponses au formulaire",
  "Usage :",
];
/** And English words of zod or the library that must never show in a French run. */
const ENGLISH_WORDS = [
  "must ",
  "Invalid",
  "invalid configuration",
  "missing",
  "passed",
  "Unrecognized",
  "expected",
];

// Each test runs the command six times in a row: on a loaded 2-core machine that can pass 20 s.
describe("one language per run", { timeout: 60_000 }, () => {
  const en = { LANG: "en_US.UTF-8" };

  it("LANG=en_US.UTF-8: doctor, sp-config, errors and usage in English only", async () => {
    const runs = [
      await cli(["doctor"], { ...emulatorEnv(), ...en }),
      await cli(["doctor"], { ...emulatorEnv({ PROCONNECT_CLIENT_ID: "inconnu" }), ...en }),
      await cli(["doctor"], { ...emulatorEnv({ PROCONNECT_BASE_URL: `${BASE_URL}/app` }), ...en }),
      await cli(["sp-config", "--existing", `${BASE_URL}/callback/`], {
        ...emulatorEnv({ PROCONNECT_NETWORK: "rie" }),
        ...en,
      }),
      await cli(["sp-config"], {
        PROCONNECT_ENVIRONMENT: "prod",
        PROCONNECT_BASE_URL: "http://localhost",
        ...en,
      }),
      await cli(["deploy"], en),
      await cli(["--help"], en),
    ];
    const all = runs.map((run) => run.stdout + run.stderr).join("\n");
    for (const word of FRENCH_WORDS) expect(all, word).not.toContain(word);
    expect(runs[0]?.stdout).toContain("All good (12 passed, 0 failed).");
    expect(runs[1]?.stdout).toContain(
      "✘ client id unknown to ProConnect (invalid_client): inconnu",
    );
    expect(runs[2]?.stdout).toContain(
      "✘ login redirect URI not registered (Y030031, invalid_redirect_uri)",
    );
    expect(runs[3]?.stdout).toContain(
      "⚠ trailing_slash (Y030031): https://mon-service.gouv.fr/callback/",
    );
    expect(runs[4]?.stderr).toContain("Invalid configuration (environment variables):");
    expect(runs[4]?.stderr).toContain(
      "✘ PROCONNECT_CLIENT_ID (clientId): missing: the client_id ProConnect gave you",
    );
    expect(runs[5]?.stderr).toContain("proconnect-express: unknown command: deploy");
    expect(runs[6]?.stdout).toContain("Usage: proconnect-express <command> [options]");
  });

  it("by default, the same in French only, zod's messages translated", async () => {
    const runs = [
      await cli(["doctor"], emulatorEnv()),
      await cli(["doctor"], emulatorEnv({ PROCONNECT_BASE_URL: `${BASE_URL}/app` })),
      await cli(["sp-config", "--existing", `${BASE_URL}/callback/`], emulatorEnv()),
      await cli(["sp-config"], {
        PROCONNECT_ENVIRONMENT: "prod",
        PROCONNECT_BASE_URL: "http://localhost",
      }),
      await cli([
        "sp-config",
        "--config",
        await configFile("bad.json", { clientId: 1, colour: "bleu", scopes: ["emial"] }),
      ]),
      await cli(["doctor"], { ...emulatorEnv(), LANG: "fr_FR.UTF-8", LC_ALL: "C" }),
    ];
    const all = runs.map((run) => run.stdout + run.stderr).join("\n");
    for (const word of ENGLISH_WORDS) expect(all, word).not.toContain(word);
    expect(runs[3]?.stderr).toContain("Configuration invalide (variables d'environnement) :");
    const bad = marked(runs[4]?.stderr ?? "", "✘");
    expect(bad).toEqual([
      // proconnect()'s own sentence for a clientId that is not a string, translated.
      "✘ clientId : doit être une chaîne : le client_id que ProConnect vous a donné",
      "✘ baseUrl : manquant : l'adresse publique de l'application, ex. https://mon-service.gouv.fr (les URLs de redirection en dérivent)",
      expect.stringMatching(/^✘ scopes\[0\] : doit valoir "openid" ou "given_name" ou /),
      "✘ option inconnue : colour",
    ]);
    expect(runs[5]?.stdout).toContain("Tout est bon (12 réussies, 0 en échec).");
  });
});

describe("proconnect-express sp-config", () => {
  it("prints the form's answers in French, one URI per line, and exits 0", async () => {
    const run = await cli(
      ["sp-config"],
      emulatorEnv({ PROCONNECT_ENVIRONMENT: "production", PROCONNECT_NETWORK: "internet" }),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.split("\n");
    const answer = (label: string) =>
      lines.slice(lines.indexOf(label) + 1, lines.indexOf(label) + 2);
    expect(lines).toContain("CLIENT ID");
    expect(answer("CLIENT ID")).toEqual(["mon-service"]);
    expect(answer("Réseau du Fournisseur de Services")).toEqual(["Internet"]);
    expect(answer("Environnement du Fournisseur de Services")).toEqual(["Production"]);
    expect(answer("URLs de redirection post CONNEXION")).toEqual([`${BASE_URL}/callback`]);
    expect(answer("URLs de redirection post DÉCONNEXION")).toEqual([`${BASE_URL}/logout/callback`]);
    expect(run.stdout).toContain("Une demande remplace les listes entières");
    expect(run.stdout).toContain(
      "ProConnect doit autoriser chacun pour ce client, sinon chaque connexion échoue avec invalid_scope",
    );
    expect(run.stdout).toContain("\nopenid siret idp_id email given_name usual_name uid\n");
    expect(run.stdout).not.toContain("Plages / adresses IP");
    expect(run.stdout).not.toContain("Avertissements");
  });

  it("on the RIE, says what to put in the IP ranges field; says when a value is a default", async () => {
    const run = await cli(["sp-config"], {
      PROCONNECT_CLIENT_ID: "mon-service",
      PROCONNECT_NETWORK: "rie",
      PROCONNECT_BASE_URL: BASE_URL,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("RIE\n");
    expect(run.stdout).toContain(
      "Intégration (valeur par défaut : PROCONNECT_ENVIRONMENT n'est pas défini)",
    );
    expect(run.stdout).toContain("Plages / adresses IP\nÀ remplir vous-même");
    expect(run.stdout).toContain("plages d'adresses IP sortantes des serveurs");
  });

  it("--json prints the same answers in a stable shape, without the secret", async () => {
    const run = await cli(["sp-config", "--json"], emulatorEnv({ PROCONNECT_NETWORK: "rie" }));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      clientId: "mon-service",
      network: "rie",
      environment: "integration",
      redirectUris: [`${BASE_URL}/callback`],
      postLogoutRedirectUris: [`${BASE_URL}/logout/callback`],
      scopes: ["openid", "siret", "idp_id", "email", "given_name", "usual_name", "uid"],
      ipRangesNeeded: true,
      warnings: [],
    });
  });

  it("derives the URIs from the routes and baseUrl path of a --config file", async () => {
    const path = await configFile("routes.json", {
      clientId: "mon-service",
      baseUrl: `${BASE_URL}/app/`,
      environment: "production",
      routes: { callback: "/auth/retour", logoutCallback: "/auth/au-revoir" },
    });
    const run = await cli(["sp-config", "--json", "--config", path]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report.redirectUris).toEqual([`${BASE_URL}/app/auth/retour`]);
    expect(report.postLogoutRedirectUris).toEqual([`${BASE_URL}/app/auth/au-revoir`]);
  });

  it("--existing merges the registered URIs after the app's own, in their order, each once", async () => {
    const run = await cli(
      [
        "sp-config",
        "--json",
        "--existing",
        "https://autre.gouv.fr/callback",
        "--existing",
        `${BASE_URL}/callback`,
        "--existing",
        "https://autre.gouv.fr/callback",
        "--existing-logout",
        `${BASE_URL}/logout/callback`,
        "--existing-logout",
        "https://autre.gouv.fr/logout",
      ],
      emulatorEnv(),
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      redirectUris: string[];
      postLogoutRedirectUris: string[];
      warnings: { code: string; uri?: string }[];
    };
    expect(report.redirectUris).toEqual([`${BASE_URL}/callback`, "https://autre.gouv.fr/callback"]);
    expect(report.postLogoutRedirectUris).toEqual([
      `${BASE_URL}/logout/callback`,
      "https://autre.gouv.fr/logout",
    ]);
    expect(report.warnings).toEqual([
      expect.objectContaining({ code: "duplicate", uri: "https://autre.gouv.fr/callback" }),
    ]);
  });

  it("--existing takes a list pasted as one value (one URI per line) as that many URIs", async () => {
    const run = await cli(
      [
        "sp-config",
        "--json",
        "--existing",
        `${BASE_URL}/callback\nhttps://recette.mon-service.gouv.fr/callback\n`,
        "--existing-logout",
        `${BASE_URL}/logout/callback https://recette.mon-service.gouv.fr/logout/callback`,
      ],
      emulatorEnv(),
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      redirectUris: [`${BASE_URL}/callback`, "https://recette.mon-service.gouv.fr/callback"],
      postLogoutRedirectUris: [
        `${BASE_URL}/logout/callback`,
        "https://recette.mon-service.gouv.fr/logout/callback",
      ],
      warnings: [],
    });
  });

  it("warns with Y030031 and Y030111 when a registered URI differs from the app's route by a trailing slash", async () => {
    const run = await cli(
      [
        "sp-config",
        "--existing",
        `${BASE_URL}/callback/`,
        "--existing-logout",
        `${BASE_URL}/logout/callback/`,
      ],
      emulatorEnv(),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`⚠ trailing_slash (Y030031) : ${BASE_URL}/callback/`);
    expect(run.stdout).toContain(`⚠ trailing_slash (Y030111) : ${BASE_URL}/logout/callback/`);
    expect(run.stdout).toContain(`l'application envoie ${BASE_URL}/callback`);
    // The app's own URIs are in the lists to paste, the registered ones kept after them.
    expect(run.stdout).toContain(
      `URLs de redirection post CONNEXION\n${BASE_URL}/callback\n${BASE_URL}/callback/\n`,
    );
  });

  it("warns with Y030111 when the app's post-logout URI is missing from the registered list", async () => {
    const run = await cli(
      [
        "sp-config",
        "--json",
        "--existing",
        `${BASE_URL}/callback`,
        "--existing",
        `${BASE_URL}/logout/callback`,
      ],
      emulatorEnv(),
    );
    expect(run.code).toBe(0);
    const { warnings } = JSON.parse(run.stdout) as { warnings: Record<string, string>[] };
    expect(warnings).toEqual([
      expect.objectContaining({
        code: "wrong_list",
        uri: `${BASE_URL}/logout/callback`,
        proconnectCode: "Y030111",
      }),
      expect.objectContaining({
        code: "not_registered",
        uri: `${BASE_URL}/logout/callback`,
        proconnectCode: "Y030111",
      }),
    ]);
  });

  it("leaves out wildcards, malformed URIs, and http or localhost in production (Y04A586)", async () => {
    const run = await cli(
      [
        "sp-config",
        "--json",
        "--existing",
        "https://*.gouv.fr/callback",
        "--existing",
        "/callback",
        "--existing",
        "https://autre.gouv.fr/callback#fin",
        "--existing",
        "http://autre.gouv.fr/callback",
        "--existing-logout",
        "https://localhost:3000/logout/callback",
      ],
      emulatorEnv({ PROCONNECT_ENVIRONMENT: "production" }),
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      redirectUris: string[];
      postLogoutRedirectUris: string[];
      warnings: Record<string, string>[];
    };
    expect(report.redirectUris).toEqual([`${BASE_URL}/callback`]);
    expect(report.postLogoutRedirectUris).toEqual([`${BASE_URL}/logout/callback`]);
    const codes = report.warnings.map(({ code, uri, proconnectCode }) => [
      code,
      uri,
      proconnectCode,
    ]);
    expect(codes).toEqual([
      ["wildcard", "https://*.gouv.fr/callback", undefined],
      ["malformed", "/callback", undefined],
      ["malformed", "https://autre.gouv.fr/callback#fin", undefined],
      ["http_in_production", "http://autre.gouv.fr/callback", "Y04A586"],
      ["not_registered", `${BASE_URL}/callback`, "Y030031"],
      ["localhost_in_production", "https://localhost:3000/logout/callback", "Y04A586"],
      ["not_registered", `${BASE_URL}/logout/callback`, "Y030111"],
    ]);
  });

  it("warns about near-duplicates ProConnect tells apart (host case, trailing slash) and keeps a query", async () => {
    const run = await cli(
      [
        "sp-config",
        "--existing",
        `${BASE_URL}/callback`,
        "--existing",
        "https://MON-SERVICE.gouv.fr/callback",
        "--existing",
        "https://autre.gouv.fr/cb",
        "--existing",
        "https://autre.gouv.fr/cb/",
        "--existing",
        "https://autre.gouv.fr/cb?tenant=a",
        "--existing-logout",
        `${BASE_URL}/logout/callback`,
      ],
      emulatorEnv(),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("⚠ near_duplicate : https://MON-SERVICE.gouv.fr/callback");
    expect(run.stdout).toContain(
      "presque identiques (barre oblique finale, casse ou port) dans les URLs de redirection post CONNEXION : https://autre.gouv.fr/cb, https://autre.gouv.fr/cb/",
    );
    expect(run.stdout).toContain("⚠ query : https://autre.gouv.fr/cb?tenant=a");
    expect(run.stdout).toContain("https://autre.gouv.fr/cb?tenant=a\n");
    // The app's own URI is registered: nothing fails, so no ProConnect code.
    expect(run.stdout).not.toMatch(/Y03/);
  });

  it("--strict exits 1 when there is a warning, 0 when there is none", async () => {
    const warned = await cli(
      ["sp-config", "--strict", "--existing", `${BASE_URL}/callback/`],
      emulatorEnv(),
    );
    expect(warned.code).toBe(1);
    expect(warned.stdout).toContain("⚠ trailing_slash");
    const clean = await cli(
      [
        "sp-config",
        "--strict",
        "--existing",
        `${BASE_URL}/callback`,
        "--existing-logout",
        `${BASE_URL}/logout/callback`,
      ],
      emulatorEnv(),
    );
    expect(clean.code).toBe(0);
  });

  it("exits 2 with ProConnect's Y04A586 for an http or localhost baseUrl in production", async () => {
    const run = await cli(
      ["sp-config", "--json"],
      emulatorEnv({
        PROCONNECT_ENVIRONMENT: "production",
        PROCONNECT_BASE_URL: "http://localhost:3000",
      }),
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const problems = marked(run.stderr, "✘");
    expect(problems).toEqual([
      "✘ PROCONNECT_BASE_URL (baseUrl) : doit être en https:// en production : ProConnect refuse http (Y04A586)",
      "✘ PROCONNECT_BASE_URL (baseUrl) : ne doit pas être localhost en production : ProConnect le refuse (Y04A586)",
    ]);
  });
});

describe("proconnect-express usage", () => {
  it("stops quietly with exit code 0 when its reader goes away (sp-config | head)", async () => {
    const child = spawn(process.execPath, [CLI_BIN, "sp-config"], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", ...emulatorEnv() },
    });
    child.stdout.destroy(); // the reader is gone before the first line is written
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "close")) as [number | null];
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at \S+ \(/);
  });

  it("keeps the run's own exit code when its reader goes away early (doctor | head -1)", async () => {
    const child = spawn(process.execPath, [CLI_BIN, "doctor"], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        ...emulatorEnv({ PROCONNECT_ISSUER: `http://127.0.0.1:${await closedPort()}/api/v2` }),
      },
    });
    child.stdout.destroy(); // gone before the checks end: the discovery check still fails
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "close")) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toBe("");
  });

  it.skipIf(!existsSync("/dev/full"))(
    "exits 70 with one line on stderr, no stack, when its output cannot be written (a full disk)",
    async () => {
      const full = openSync("/dev/full", "w");
      try {
        const child = spawn(process.execPath, [CLI_BIN, "--help"], {
          cwd: root,
          env: { PATH: process.env.PATH ?? "" },
          stdio: ["ignore", full, "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const [code] = (await once(child, "close")) as [number | null];
        expect(code).toBe(70);
        expect(stderr).toBe(
          "proconnect-express : écriture impossible sur la sortie standard (ENOSPC)\n",
        );
      } finally {
        closeSync(full);
      }
    },
  );

  it("shows the control characters of what it echoes escaped: a terminal sequence or a newline prints as typed", async () => {
    const run = await cli(["\u001b[31mdeploy\n✔ tout va bien"]);
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe(
      "proconnect-express : commande inconnue : \\u001b[31mdeploy\\u000a✔ tout va bien (sp-config, doctor ou emulator)",
    );
    expect(run.stderr).not.toContain("\u001b");
  });

  it("--version prints the package's version and exits 0", async () => {
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
      version: string;
    };
    const run = await cli(["--version"]);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, `${manifest.version}\n`, ""]);
  });

  it("--help prints the usage on stdout and exits 0", async () => {
    const run = await cli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage : proconnect-express <commande> [options]");
    expect(run.stdout).toContain("--existing-logout <uri>");
    expect(run.stderr).toBe("");
  });

  it("exits 2 with the usage on stderr for no command, an unknown command or an unknown flag", async () => {
    const cases: [string[], string][] = [
      [[], "commande manquante"],
      [["deploy"], "commande inconnue : deploy"],
      [["sp-config", "--force"], "option inconnue : --force"],
      [["sp-config", "--existing"], "l'option --existing attend une valeur"],
      // A value starting with "-" (it said "takes no value"): how to write it.
      [
        ["doctor", "--timeout", "-5"],
        "l'option --timeout attend une valeur ; une valeur commençant par - s'écrit --timeout=-…",
      ],
      [["sp-config", "extra"], "argument inattendu : extra"],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(`proconnect-express : ${message}`);
      expect(run.stderr).toContain("Usage : proconnect-express");
    }
  });
});

describe("the CLI's output", () => {
  const RED_CROSS = "\u001b[31m✘\u001b[0m";

  /**
   * The CLI on a terminal (util-linux's `script` gives it one): what the terminal showed, and with
   * `stderrToFile` what went to the file its stderr was sent to, as `… 2>errors.log` in a terminal.
   */
  async function onTerminal(args: string[], env: Record<string, string>, stderrToFile = false) {
    const errors = join(directory, `stderr-${process.hrtime.bigint()}.txt`);
    const command = [process.execPath, CLI_BIN, ...args].map((word) => `'${word}'`).join(" ");
    const child = spawn(
      "script",
      ["-qec", stderrToFile ? `${command} 2>'${errors}'` : command, "/dev/null"],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", TERM: "xterm-256color", ...env },
      },
    );
    let terminal = "";
    child.stdout.on("data", (chunk: Buffer) => (terminal += chunk.toString()));
    await once(child, "close");
    return { terminal, stderr: stderrToFile ? await readFile(errors, "utf8") : "" };
  }

  const MISSING = "PROCONNECT_CLIENT_ID (clientId) : manquant";

  it("colours the marks on a terminal, each stream on its own: stderr sent to a file stays plain", async () => {
    const both = await onTerminal(["sp-config"], {});
    expect(both.terminal).toContain(`${RED_CROSS} ${MISSING}`);
    const split = await onTerminal(["sp-config"], {}, true);
    expect(split.stderr).toContain(`✘ ${MISSING}`);
    expect(split.stderr).not.toContain("\u001b[");
  });

  it("leaves colour out with NO_COLOR on a terminal, and in a pipe unless FORCE_COLOR asks (a CI's log)", async () => {
    const noColor = await onTerminal(["sp-config"], { NO_COLOR: "1" });
    expect(noColor.terminal).toContain(`✘ ${MISSING}`);
    expect(noColor.terminal).not.toContain("\u001b[");
    const piped = await cli(["sp-config"]);
    expect(piped.stderr).toContain(`✘ ${MISSING}`);
    expect(piped.stderr).not.toContain("\u001b[");
    const forced = await cli(["sp-config"], { FORCE_COLOR: "1" });
    expect(forced.stderr).toContain(`${RED_CROSS} ${MISSING}`);
  });

  it("colours only the mark that starts a line, and masks the secret first", () => {
    let out = "";
    let err = "";
    const output = createOutput({
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      color: { out: true, err: false },
      secrets: [SECRET],
    });
    output.out(`✘ clientSecret=${SECRET} ✔`);
    output.out("  ✔ détail");
    output.err("✘ problème");
    expect(out).toBe(`${RED_CROSS} clientSecret=*** ✔\n  ✔ détail\n`);
    expect(err).toBe("✘ problème\n");
  });

  it("masks the client secret wherever a line would contain it, on both streams", () => {
    let written = "";
    const sink = { write: (text: string) => (written += text) };
    const output = createOutput({
      stdout: sink,
      stderr: sink,
      color: { out: false, err: false },
      secrets: [SECRET],
    });
    output.out(`clientSecret=${SECRET}`);
    output.err(`"${SECRET}${SECRET}"`);
    expect(written).toBe('clientSecret=***\n"******"\n');
  });
});

/** Runs `run` with a loopback port whose server accepts connections and never answers, closed after. */
async function withSilentServer(run: (port: number) => Promise<void>): Promise<void> {
  const sockets = new Set<Socket>();
  const silent = createNetServer((socket) => sockets.add(socket));
  const port = await listen(silent);
  try {
    await run(port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
}

/** A loopback port nothing listens on any more. */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
