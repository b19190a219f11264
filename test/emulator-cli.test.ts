import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

function runCli(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "lib/testing/cli.ts", ...args], {
    cwd: root,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

describe("npm run emulator", () => {
  it("starts a standalone emulator, prints its issuer and the test account, and stops on SIGTERM", async () => {
    const { child, output } = runCli(["--port", "0", "--strict"]);
    try {
      await expect
        .poll(() => output().stdout, { timeout: 15_000 })
        .toMatch(/issuer:\s+http:\/\/\S+\/api\/v2/);
      const issuer = /issuer:\s+(\S+)/.exec(output().stdout)![1]!;
      expect(output().stdout).toContain("test@fia1.fr");
      expect(output().stdout).toContain("strict");
      const metadata = (await (
        await fetch(`${issuer}/.well-known/openid-configuration`)
      ).json()) as {
        issuer: string;
      };
      expect(metadata.issuer).toBe(issuer);
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("exits with status 1 and names the wrong option", async () => {
    const { child, output } = runCli(["--port", "0", "--client-secret", "short"]);
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(output().stderr).toContain("clients[0].clientSecret");
  });
});
