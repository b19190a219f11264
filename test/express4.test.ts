import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

describe("Express 4", () => {
  it("signs in, refuses a forged callback and signs out on an Express 4 app", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "--import",
        "./test/fixtures/express4-alias.mjs",
        "test/fixtures/express4-login.ts",
      ],
      { cwd: root, timeout: 30_000 },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(result.version).toMatch(/^4\./); // what `import "express"` gave the app and the library
    expect(result.me).toMatchObject({
      path: "/me",
      user: { email: "test@fia1.fr", siret: "13002526500013" },
    });
    expect(result.forged).toEqual({ status: 400, body: { code: "invalid_state" } });
    expect(result.out).toEqual({ path: "/", body: { user: null } });
  });
});
