import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProConnectEmulator, type ProConnectEmulator } from "../lib/testing/index.js";
import { createOutput } from "../cli/output.js";

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
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
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
  const response = await fetch(`${emulator.issuer}/.well-known/openid-configuration`);
  discovery = (await response.json()) as Record<string, unknown>;
  directory = await mkdtemp(join(tmpdir(), "proconnect-cli-"));
});

afterAll(async () => {
  await emulator?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** The example app's variables for a service provider using the emulator. */
const emulatorEnv = (overrides: Record<string, string> = {}) => ({
  PROCONNECT_CLIENT_ID: "mon-service",
  PROCONNECT_CLIENT_SECRET: SECRET,
  PROCONNECT_ISSUER: emulator.issuer,
  APP_BASE_URL: BASE_URL,
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
      "horloge : écart d'environ 0 s",
      "JWKS : clé ES256 publiée",
    ]) {
      expect(passed).toContain(check);
    }
    expect(run.stdout).toContain("secret        défini (jamais affiché)");
    expect(run.stdout).toMatch(/Tout est bon \(9 réussies, 0 en échec\)/);
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
      expect(run.stdout).toMatch(/Échec de doctor : 7 réussies, 2 en échec\./);
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
    const probe = createNetServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));

    const run = await cli(
      ["doctor", "--timeout", "3000"],
      emulatorEnv({ PROCONNECT_ISSUER: `http://127.0.0.1:${port}/api/v2` }),
    );
    expect(run.code).toBe(1);
    expect(marked(run.stdout, "✘")).toEqual([
      `✘ découverte : http://127.0.0.1:${port}/api/v2/.well-known/openid-configuration injoignable, connexion refusée par 127.0.0.1:${port} (ECONNREFUSED) : rien n'écoute à cette adresse`,
    ]);
    expect(marked(run.stdout, "–")).toHaveLength(5);
    expect(run.stdout).toContain("L'issuer vient de PROCONNECT_ISSUER");
    expect(run.stdout).not.toContain("RIE");
    expect(run.ms).toBeLessThan(3000);
  });

  it("on the RIE, a server that never answers times out and explains the IP range to open", async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => sockets.add(socket));
    const port = await listen(silent);
    try {
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
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("exits 2 and lists every missing variable, by its name, on stderr", async () => {
    const run = await cli(["doctor"], { PROCONNECT_CLIENT_SECRET: SECRET });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Configuration invalide (variables d'environnement) :");
    expect(run.stderr).toContain(
      "✘ PROCONNECT_CLIENT_ID (clientId) : manquant : le client_id que ProConnect vous a donné",
    );
    expect(run.stderr).toContain("✘ APP_BASE_URL (baseUrl) : manquant : l'adresse publique");
  });

  it("exits 2 and lists every wrong value, by its variable", async () => {
    const run = await cli(
      ["doctor"],
      emulatorEnv({
        PROCONNECT_ENVIRONMENT: "prod",
        PROCONNECT_NETWORK: "intranet",
        APP_BASE_URL: "ftp://mon-service.gouv.fr",
      }),
    );
    expect(run.code).toBe(2);
    const problems = marked(run.stderr, "✘");
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/PROCONNECT_ENVIRONMENT \(environment\) : .*integration/);
    expect(problems.join("\n")).toMatch(/PROCONNECT_NETWORK \(network\) : .*rie/);
    expect(problems.join("\n")).toContain("APP_BASE_URL (baseUrl) : must be an absolute");
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
    expect(wrong.stderr).toContain("colour");
    expect(wrong.stderr).toContain("✘ httpTimeout : ");
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
    expect(run.stdout).not.toContain("Plages / adresses IP");
    expect(run.stdout).not.toContain("Avertissements");
  });

  it("on the RIE, says what to put in the IP ranges field; says when a value is a default", async () => {
    const run = await cli(["sp-config"], {
      PROCONNECT_CLIENT_ID: "mon-service",
      PROCONNECT_NETWORK: "rie",
      APP_BASE_URL: BASE_URL,
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
      emulatorEnv({ PROCONNECT_ENVIRONMENT: "production", APP_BASE_URL: "http://localhost:3000" }),
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const problems = marked(run.stderr, "✘");
    expect(problems).toEqual([
      expect.stringMatching(/^✘ APP_BASE_URL \(baseUrl\) : must use https:\/\/ .*\(Y04A586\)$/),
      expect.stringMatching(/^✘ APP_BASE_URL \(baseUrl\) : must not be localhost .*\(Y04A586\)$/),
    ]);
  });
});

describe("proconnect-express usage", () => {
  it("stops quietly with exit code 0 when its reader goes away (sp-config | head)", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "sp-config"], {
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
  it("masks the client secret wherever a line would contain it, on both streams", () => {
    let written = "";
    const sink = { write: (text: string) => (written += text) };
    const output = createOutput({ stdout: sink, stderr: sink, color: false, secrets: [SECRET] });
    output.out(`clientSecret=${SECRET}`);
    output.err(`"${SECRET}${SECRET}"`);
    expect(written).toBe('clientSecret=***\n"******"\n');
  });
});
