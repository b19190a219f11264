import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { close, listen, origin } from "../lib/testing/net.js";
import { TestBrowser } from "../lib/testing/browser.js";
import { assertBuilt, CLI_BIN } from "./helpers/built.js";

const root = fileURLToPath(new URL("..", import.meta.url));

// A resolve hook that makes oidc-provider, the optional peer, look uninstalled.
const WITHOUT_OIDC_PROVIDER = `data:text/javascript,${encodeURIComponent(`
  import { register } from "node:module";
  register("data:text/javascript," + encodeURIComponent(\`export async function resolve(specifier, context, next) {
    if (specifier === "oidc-provider") {
      throw Object.assign(new Error("Cannot find package 'oidc-provider'"), { code: "ERR_MODULE_NOT_FOUND" });
    }
    return next(specifier, context);
  }\`));
`)}`;

const children = new Set<ChildProcess>();

/** The built bin, as `npx proconnect-express emulator …` runs it. */
function runCli(args: string[], nodeOptions: string[] = [], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...nodeOptions, CLI_BIN, "emulator", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

async function exitOf(run: ReturnType<typeof runCli>) {
  const [code] = (await once(run.child, "exit")) as [number | null];
  return { code, ...run.output() };
}

// An emulator that failed to stop would outlive the test run.
afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
});

let directory: string;

beforeAll(async () => {
  assertBuilt();
  directory = await mkdtemp(join(tmpdir(), "proconnect-emulator-cli-"));
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function jsonFile(name: string, content: unknown): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, JSON.stringify(content));
  return path;
}

/** Waits for the emulator's banner and returns its issuer. */
async function issuerOf(run: ReturnType<typeof runCli>): Promise<string> {
  await expect.poll(() => run.output().stdout, { timeout: 15_000 }).toMatch(/Ctrl\+C/);
  return /issuer\s?:\s+(\S+)/.exec(run.output().stdout)![1]!;
}

/**
 * A login as any OIDC client of any stack does it, with `fetch` alone: the authorize redirect, the
 * emulator's login page (its e-mail form), the code back at the redirect URI, the token endpoint with
 * client_secret_post, then userinfo. Cookies are kept by name, redirects followed by hand.
 */
async function fetchLogin(input: {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  email: string;
}) {
  const state = "state-of-at-least-thirty-two-characters";
  const nonce = "nonce-of-at-least-thirty-two-characters";
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
  };
  const authorize = new URL(`${input.issuer}/authorize`);
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: input.clientId,
    redirect_uri: input.redirectUri,
    scope: "openid email given_name usual_name siret",
    state,
    nonce,
  }).toString();
  let url = authorize.href;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step += 1) {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() },
    });
    remember(response);
    const location = response.headers.get("location");
    if (location !== null) {
      const next = new URL(location, url);
      if (next.href.startsWith(input.redirectUri)) {
        expect(next.searchParams.get("state")).toBe(state);
        const code = next.searchParams.get("code");
        expect(code, next.href).toBeTruthy();
        const tokens = (await (
          await fetch(`${input.issuer}/token`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({
              grant_type: "authorization_code",
              code: code!,
              redirect_uri: input.redirectUri,
              client_id: input.clientId,
              client_secret: input.clientSecret,
            }),
          })
        ).json()) as { id_token: string; access_token: string };
        const idToken = JSON.parse(
          Buffer.from(tokens.id_token.split(".")[1]!, "base64url").toString(),
        ) as Record<string, unknown>;
        const userinfo = await fetch(`${input.issuer}/userinfo`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        return {
          idToken,
          userinfo: await userinfo.text(),
          userinfoType: userinfo.headers.get("content-type"),
        };
      }
      url = next.href;
      init = {};
      continue;
    }
    const page = await response.text();
    expect(response.status, page).toBe(200);
    // The login page: its first form takes the e-mail.
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    expect(action, page).toBeDefined();
    url = new URL(action!.replace(/&amp;/g, "&"), url).href;
    init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: input.email }).toString(),
    };
  }
  throw new Error("the login did not come back to the redirect URI");
}

describe("proconnect-express emulator", () => {
  it("--help prints the usage, with the emulator's options, and exits 0", async () => {
    const result = await exitOf(runCli(["--help"]));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage : proconnect-express <commande> [options]");
    expect(result.stdout).toMatch(/^ {2}emulator {4}un ProConnect local/m);
    for (const flag of [
      "--port <n>",
      "--host <adresse>",
      "--strict",
      "--client-id <id>",
      "--client-secret <secret>",
      "--redirect-uri <uri>",
      "--post-logout-redirect-uri <uri>",
      "--id-token-alg <alg>",
      "--userinfo-alg <alg>",
      "--clients <fichier.json>",
      "--identities <fichier.json>",
      "--identity-providers <fichier.json>",
      "--accounts <fichier.json>",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stderr).toBe("");
  });

  it("starts a standalone emulator, prints its issuer and the test account, answers its discovery document and stops on SIGTERM", async () => {
    const run = runCli(["--port", "0", "--strict"]);
    try {
      // The banner comes in several writes: wait for its last line before reading it.
      const issuer = await issuerOf(run);
      expect(run.output().stdout).toMatch(/issuer :\s+http:\/\/\S+\/api\/v2\n/);
      expect(run.output().stdout).toContain("test@fia1.fr");
      expect(run.output().stdout).toContain("strict");
      expect(run.output().stdout).toContain("proconnect-express-local");
      const response = await fetch(`${issuer}/.well-known/openid-configuration`);
      expect(response.status).toBe(200);
      const metadata = (await response.json()) as {
        issuer: string;
        authorization_endpoint: string;
      };
      expect(metadata.issuer).toBe(issuer);
      expect(metadata.authorization_endpoint).toBe(`${issuer}/authorize`);
    } finally {
      run.child.kill("SIGTERM");
    }
    const { code } = await exitOf(run);
    expect(code).toBe(0);
  });

  it("registers the clients and identities of JSON files, prints them, signs in a plain fetch client, and stops on SIGTERM", async () => {
    const redirectUri = "http://127.0.0.1:8081/auth/callback";
    const clients = await jsonFile("clients.json", [
      {
        clientId: "app-python",
        clientSecret: "python-secret-of-at-least-32-characters",
        redirectUris: [redirectUri],
        postLogoutRedirectUris: ["http://127.0.0.1:8081/"],
        idTokenSignedResponseAlg: "RS256",
      },
      {
        clientId: "app-php",
        clientSecret: "php-secret-of-at-least-32-characters!!",
        redirectUris: ["http://localhost:8000/callback.php"],
      },
    ]);
    const identities = await jsonFile("identities.json", [
      {
        label: "Agente de test",
        sub: "agente-1",
        idp_id: "fi-test",
        email: "agente@exemple.gouv.fr",
        given_name: "Alice",
        usual_name: "MARTIN",
        uid: "1",
        siret: "13002526500013",
      },
    ]);
    const run = runCli(["--port", "0", "--clients", clients, "--identities", identities]);
    try {
      const issuer = await issuerOf(run);
      const { stdout } = run.output();
      expect(stdout).toContain("Clients enregistrés (2) :");
      expect(stdout).toContain("  app-python (id_token RS256, userinfo ES256)");
      expect(stdout).toContain(`    connexion :   ${redirectUri}`);
      expect(stdout).toContain("  app-php (id_token ES256, userinfo ES256)");
      expect(stdout).toContain("    déconnexion : (aucune)");
      expect(stdout).toContain("Identités de test (1, aussi sur la page de connexion) :");
      expect(stdout).toContain("  agente@exemple.gouv.fr (idp_id fi-test) — Agente de test");
      // The files' secrets are the user's own: not printed.
      expect(stdout).not.toContain("python-secret");
      expect(stdout).not.toContain("test@fia1.fr");

      const login = await fetchLogin({
        issuer,
        clientId: "app-python",
        clientSecret: "python-secret-of-at-least-32-characters",
        redirectUri,
        email: "agente@exemple.gouv.fr",
      });
      expect(login.idToken).toMatchObject({
        iss: issuer,
        aud: "app-python",
        sub: "agente-1",
        nonce: "nonce-of-at-least-thirty-two-characters",
      });
      expect(login.userinfoType).toMatch(/^application\/jwt/);
      const userinfo = JSON.parse(
        Buffer.from(login.userinfo.split(".")[1]!, "base64url").toString(),
      ) as Record<string, unknown>;
      expect(userinfo).toMatchObject({
        sub: "agente-1",
        email: "agente@exemple.gouv.fr",
        siret: "13002526500013",
      });
    } finally {
      run.child.kill("SIGTERM");
    }
    const result = await exitOf(run);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Émulateur arrêté.");
    expect(result.stderr).not.toMatch(/Error|at \S+ \(/);
  });

  it("stops on SIGINT (Ctrl+C) too, with exit code 0; says it all in English with LANG=en", async () => {
    const run = runCli(["--port", "0"], [], { LANG: "en_US.UTF-8" });
    await issuerOf(run);
    const { stdout } = run.output();
    expect(stdout).toContain("ProConnect emulator ready (ProConnect server's rules)");
    expect(stdout).toContain("Registered clients (1):");
    expect(stdout).toContain("  proconnect-express-local (id_token ES256, userinfo ES256)");
    expect(stdout).toContain("    secret: local-emulator-secret-not-for-production-use");
    expect(stdout).toContain("    login:   http://localhost:3000/callback");
    expect(stdout).toContain("  test@fia1.fr (idp_id fia1v2)\n");
    expect(stdout).toContain(
      "The one-time codes of MFA (which ProConnect sends by e-mail) will be printed here and shown on the emulator's page.",
    );
    expect(stdout).not.toMatch(/Émulateur|Identités|connexion|compte/);
    run.child.kill("SIGINT");
    const result = await exitOf(run);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Emulator stopped.");
  });

  it("prints each e-mail code (MFA) as it is sent: the one its code page shows, which lets the person in", async () => {
    const run = runCli(["--port", "0"]);
    try {
      const issuer = await issuerOf(run);
      expect(run.output().stdout).toContain(
        "Les codes de double authentification (envoyés par e-mail par ProConnect) s'afficheront ici et sur la page de l'émulateur.",
      );
      const authorize = localAuthorize(issuer, {
        nonce: "nonce-of-at-least-thirty-two-characters",
        claims: JSON.stringify({ id_token: { acr: { essential: true, values: ["eidas1-mfa"] } } }),
      });
      const browser = new TestBrowser();
      const page = await browser.navigate(authorize, { email: "test@fia1.fr", emailCode: false });
      expect(page.url.pathname).toMatch(/\/verification-email$/);
      const printed = /^Code envoyé par e-mail à test@fia1\.fr : (\d{8})$/m;
      await expect.poll(() => run.output().stdout, { timeout: 5_000 }).toMatch(printed);
      const code = printed.exec(run.output().stdout)![1]!;
      expect(page.body).toContain(`<strong class="dev-notice__code">${code}</strong>`);
      const done = await browser.navigate(page.url, {
        method: "POST",
        form: { verify_email_token: code },
        stopAt: (url) => url.origin === "http://localhost:3000",
      });
      expect(done.location?.searchParams.get("code")).toBeTruthy();
    } finally {
      run.child.kill("SIGTERM");
    }
    expect((await exitOf(run)).code).toBe(0);
  });

  it("--identity-providers and --accounts: an FI that is disabled, an existing account's sub; exits 2 on a list or a wrong status", async () => {
    const person = (sub: string, idp_id: string, email: string) => ({
      sub,
      idp_id,
      email,
      given_name: "Alice",
      usual_name: "MARTIN",
      uid: sub,
      siret: "13002526500013",
    });
    const identities = await jsonFile("federation-identities.json", [
      person("agente-1", "fi-test", "agente@exemple.gouv.fr"),
      person("agente-2", "fi-off", "agente@off.gouv.fr"),
    ]);
    const identityProviders = await jsonFile("identity-providers.json", {
      "fi-off": { name: "FI en panne", status: "disabled" },
    });
    const accounts = await jsonFile("accounts.json", [
      { sub: "compte-existant", identities: [{ idp_id: "fi-test", sub: "agente-1" }] },
    ]);
    const run = runCli([
      ...["--port", "0", "--identities", identities],
      ...["--identity-providers", identityProviders, "--accounts", accounts],
    ]);
    try {
      const issuer = await issuerOf(run);
      const login = await fetchLogin({
        issuer,
        clientId: "proconnect-express-local",
        clientSecret: "local-emulator-secret-not-for-production-use",
        redirectUri: "http://localhost:3000/callback",
        email: "agente@exemple.gouv.fr",
      });
      expect(login.idToken.sub).toBe("compte-existant");
      const authorize = localAuthorize(issuer);
      const page = await new TestBrowser().navigate(authorize, { email: "agente@off.gouv.fr" });
      expect(page.status).toBe(400);
      expect(page.body).toContain('data-error-code="Y020017"');
    } finally {
      run.child.kill("SIGTERM");
    }
    expect((await exitOf(run)).code).toBe(0);

    const list = await exitOf(runCli(["--identity-providers", accounts]));
    expect(list.code).toBe(2);
    expect(list.stderr).toContain(`--identity-providers ${accounts} : doit contenir un objet JSON`);
    const wrong = await jsonFile("wrong-idp.json", { "fi-off": { status: "down" } });
    const status = await exitOf(runCli(["--port", "0", "--identity-providers", wrong]));
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(
      `--identity-providers (identityProviders["fi-off"].status) : doit valoir "up" ou "disabled" ou "unreachable"`,
    );
  });

  it("exits 2 on a clients file the emulator refuses, naming --clients and the entry", async () => {
    const clients = await jsonFile("bad-clients.json", [
      { clientId: "a", clientSecret: "short", redirectUris: ["https://*.gouv.fr/callback"] },
    ]);
    const result = await exitOf(runCli(["--port", "0", "--clients", clients]));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Options de l'émulateur invalides :");
    expect(result.stderr).toContain(
      "✘ --clients (clients[0].clientSecret) : doit avoir au moins 32 caractères (HS256 signe avec)",
    );
    expect(result.stderr).toContain(
      "✘ --clients (clients[0].redirectUris[0]) : ne doit pas contenir de joker (*)",
    );
    expect(result.stdout).toBe("");
    const notAList = await jsonFile("object.json", { clientId: "a" });
    const object = await exitOf(runCli(["--clients", notAList]));
    expect(object.code).toBe(2);
    expect(object.stderr).toContain(`--clients ${notAList} : doit contenir une liste JSON`);
    const mixed = await exitOf(runCli(["--clients", notAList, "--client-id", "b"]));
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain(
      "--clients donne tous les clients : --client-id n'a pas de sens avec lui",
    );
  });

  it("refuses a file flag that is not a regular file (/dev/zero) or over 1 MB, naming the file, exit 2", async () => {
    const zero = join(directory, "zero.json");
    await symlink("/dev/zero", zero);
    const device = await exitOf(runCli(["--port", "0", "--clients", zero]));
    expect(device.code).toBe(2);
    expect(device.stderr).toContain(
      `✘ --clients ${zero} : n'est pas un fichier ordinaire (un dossier, un périphérique, un tube ?)`,
    );
    // Valid JSON, but 2 MB of it: not a settings file.
    const huge = join(directory, "huge.json");
    await writeFile(huge, `[${" ".repeat(2 * 1024 * 1024)}]`);
    const large = await exitOf(runCli(["--port", "0", "--identities", huge]));
    expect(large.code).toBe(2);
    expect(large.stderr).toContain(
      `✘ --identities ${huge} : plus de 1 Mo : trop gros pour un fichier de réglages`,
    );
    expect(large.stdout).toBe("");
  });

  it("says a value of the wrong type is one, with the type expected, and missing only when it is absent", async () => {
    const secret = "a-local-secret-of-at-least-32-characters";
    const cases: [unknown[], string[]][] = [
      [
        [
          {
            clientId: "a",
            clientSecret: secret,
            redirectUris: "http://localhost:8000/cb",
            active: "false",
          },
        ],
        [
          "✘ --clients (clients[0].redirectUris) : doit être une liste, pas une chaîne de caractères",
          "✘ --clients (clients[0].active) : doit être un booléen (true ou false), pas une chaîne de caractères",
        ],
      ],
      [[1], ["✘ --clients (clients[0]) : doit être un objet, pas un nombre"]],
      [[null], ["✘ --clients (clients[0]) : doit être un objet, pas null"]],
      [
        [{ clientId: "a", clientSecret: secret }],
        ["✘ --clients (clients[0].redirectUris) : manquant"],
      ],
    ];
    for (const [list, lines] of cases) {
      const clients = await jsonFile("typed-clients.json", list);
      const result = await exitOf(runCli(["--port", "0", "--clients", clients]));
      expect([result.code, result.stderr.trim().split("\n")], JSON.stringify(list)).toEqual([
        2,
        ["Options de l'émulateur invalides :", ...lines],
      ]);
    }
  });

  it("refuses a clients file with the same clientId twice, and a single-value flag given twice, exit 2", async () => {
    const client = {
      clientId: "mon-app",
      clientSecret: "a-local-secret-of-at-least-32-characters",
      redirectUris: ["http://localhost:8000/cb"],
    };
    const twice = await jsonFile("twice.json", [
      client,
      { ...client, redirectUris: ["http://localhost:8001/cb"] },
      client,
    ]);
    const duplicate = await exitOf(runCli(["--port", "0", "--clients", twice]));
    expect([duplicate.code, duplicate.stderr.trim().split("\n")]).toEqual([
      2,
      [
        "Options de l'émulateur invalides :",
        "✘ --clients (clients[1].clientId) : chaque clientId doit être unique, « mon-app » est déjà celui de clients[0]",
        "✘ --clients (clients[2].clientId) : chaque clientId doit être unique, « mon-app » est déjà celui de clients[0]",
      ],
    ]);
    const ports = await exitOf(runCli(["--port", "0", "--port=0"]));
    expect(ports.code).toBe(2);
    expect(ports.stderr).toContain(
      "proconnect-express : --port donnée plusieurs fois : elle prend une seule valeur",
    );
    expect(ports.stdout).toBe("");
  });

  it("exits 2 on a wrong option, naming its flag and the option it sets, without listening", async () => {
    const result = await exitOf(runCli(["--port", "0", "--client-secret", "short"]));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--client-secret (clients[0].clientSecret)");
    expect(result.stdout).toBe("");
  });

  it("announces --public-url as its issuer and says where it listens; refuses one with a path", async () => {
    const run = runCli(["--port", "0", "--public-url", "http://proconnect.test:4000"]);
    try {
      const issuer = await issuerOf(run);
      expect(issuer).toBe("http://proconnect.test:4000/api/v2");
      const listens = /écoute :\s+(\S+)/.exec(run.output().stdout)![1]!;
      // A compose network or a proxy sends the public name as Host: the endpoints follow it.
      const metadata = (await (
        await fetch(`${listens}/api/v2/.well-known/openid-configuration`, {
          headers: { "x-forwarded-host": "proconnect.test:4000" },
        })
      ).json()) as { issuer: string; token_endpoint: string };
      expect(metadata).toMatchObject({
        issuer,
        token_endpoint: "http://proconnect.test:4000/api/v2/token",
      });
    } finally {
      run.child.kill("SIGTERM");
    }
    expect((await exitOf(run)).code).toBe(0);
    const wrong = await exitOf(runCli(["--port", "0", "--public-url", "http://proconnect:4000/x"]));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--public-url (publicUrl) : doit être une origine");
    // Not a URL, or not http(s): one message, exit 2 (it was exit 70 on a TypeError of new URL()).
    for (const value of ["notaurl", "proconnect:4000"]) {
      const refused = await exitOf(runCli(["--port", "0", "--public-url", value]));
      expect([refused.code, refused.stderr.trim().split("\n")], value).toEqual([
        2,
        [
          "Options de l'émulateur invalides :",
          "✘ --public-url (publicUrl) : doit être une URL absolue http:// ou https://",
        ],
      ]);
    }
  });

  it("never prints a --client-secret, not even in a usage error about another flag", async () => {
    const secret = "flag-secret-Hq4mX9vL2pR8tW6nB3kZ";
    for (const args of [
      ["--client-secret", secret, "--port", secret],
      [`--client-secret=${secret}`, "--port", secret],
      ["--client-secret", secret, "--bogus", secret],
    ]) {
      const result = await exitOf(runCli(args));
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    const port = await exitOf(runCli(["--client-secret", secret, "--port", secret]));
    expect(port.stderr).toContain("--port : un numéro de port de 0 à 65535, pas « *** »");
  });

  it("warns that --host 0.0.0.0 without --public-url announces an issuer no client can use", async () => {
    const run = runCli(["--port", "0", "--host", "0.0.0.0"]);
    try {
      const issuer = await issuerOf(run);
      expect(issuer).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/api\/v2$/);
      await expect
        .poll(() => run.output().stderr)
        .toContain(
          `⚠ --host 0.0.0.0 sans --public-url : l'issuer annoncé, ${issuer}, n'est l'adresse d'aucun client. Ajoutez --public-url`,
        );
    } finally {
      run.child.kill("SIGTERM");
    }
    expect((await exitOf(run)).code).toBe(0);
  });

  it("exits 2 on a port that is not one", async () => {
    const result = await exitOf(runCli(["--port", "http"]));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--port : un numéro de port de 0 à 65535, pas « http »");
  });

  it("exits 1 when the port is taken, saying so", async () => {
    const taken = createServer();
    await listen(taken, 0, "127.0.0.1");
    try {
      const port = new URL(origin(taken, "127.0.0.1")).port;
      const result = await exitOf(runCli(["--port", port]));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`le port ${port} est déjà utilisé`);
    } finally {
      await close(taken);
    }
  });

  it("without oidc-provider installed, says what to install and exits 1 instead of staying up", async () => {
    const result = await exitOf(runCli(["--port", "0"], ["--import", WITHOUT_OIDC_PROVIDER]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("npm install --save-dev oidc-provider@9");
    expect(result.stdout).toBe("");
  });
});

/** The authorize URL of the command's local client (`proconnect-express-local`), with `extra` parameters. */
function localAuthorize(issuer: string, extra: Record<string, string> = {}): URL {
  const authorize = new URL(`${issuer}/authorize`);
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: "proconnect-express-local",
    redirect_uri: "http://localhost:3000/callback",
    scope: "openid email",
    state: "state-of-at-least-thirty-two-characters",
    ...extra,
  }).toString();
  return authorize;
}
