import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { close, listen, origin } from "../lib/testing/net.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = "dist/cli/main.js";

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
function runCli(args: string[], nodeOptions: string[] = []) {
  const child = spawn(process.execPath, [...nodeOptions, bin, "emulator", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "" },
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

beforeAll(() => {
  if (!existsSync(`${root}/${bin}`)) throw new Error(`${bin} is missing: run npm run build first`);
});

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
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stderr).toBe("");
  });

  it("starts a standalone emulator, prints its issuer and the test account, answers its discovery document and stops on SIGTERM", async () => {
    const run = runCli(["--port", "0", "--strict"]);
    try {
      await expect
        .poll(() => run.output().stdout, { timeout: 15_000 })
        .toMatch(/issuer :\s+http:\/\/\S+\/api\/v2\n/);
      const issuer = /issuer :\s+(\S+)/.exec(run.output().stdout)![1]!;
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

  it("exits 2 on a wrong option, naming its flag and the option it sets, without listening", async () => {
    const result = await exitOf(runCli(["--port", "0", "--client-secret", "short"]));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--client-secret (clients[0].clientSecret)");
    expect(result.stdout).toBe("");
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
