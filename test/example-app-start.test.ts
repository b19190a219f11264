// `npm start`'s entry (example-app/main.ts) in emulator mode: the e-mail code of « Espace sécurisé » is
// printed as it is sent, so that a person trying the app can type it.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser } from "../lib/testing/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("`npm start`'s entry, with the local emulator", () => {
  let child: ChildProcess;
  let stdout = "";
  let url: string;

  beforeAll(async () => {
    // Emulator mode: no ProConnect credentials, sessions in memory.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(PROCONNECT_|REDIS_URL$)/.test(name)),
    );
    Object.assign(env, { PORT: "0", EMULATOR_PORT: "0" });
    child = spawn(process.execPath, ["--import", "tsx", "example-app/main.ts"], { cwd: root, env });
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    // The banner is written once the app and its emulator listen.
    for (let waited = 0; !/^Example app: \S+$/m.test(stdout); waited += 100) {
      if (waited > 20_000 || child.exitCode !== null) throw new Error(`no banner: ${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    url = /^Example app: (\S+)$/m.exec(stdout)![1]!;
  }, 30_000);
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });

  it("says in its banner where the code of « Espace sécurisé » shows, and prints each code as it is sent", async () => {
    expect(stdout).toContain(
      "« Espace sécurisé » asks for a one-time code (MFA): the emulator's page shows it, and it is printed here when sent.",
    );
    expect(stdout).not.toContain("E-mail code sent");
    const browser = new TestBrowser();
    const page = await browser.navigate(`${url}/securise`, {
      email: "test@fia1.fr",
      emailCode: false,
    });
    expect(page.url.pathname).toMatch(/\/verification-email$/);
    await expect
      .poll(() => stdout, { timeout: 5_000 })
      .toMatch(/^E-mail code sent to test@fia1\.fr: \d{8}$/m);
    const code = /^E-mail code sent to test@fia1\.fr: (\d{8})$/m.exec(stdout)![1]!;
    // The printed code is the one the page shows, and the one that lets the person in.
    expect(page.body).toContain(`<strong class="dev-notice__code">${code}</strong>`);
    const secured = await browser.navigate(page.url, {
      method: "POST",
      form: { verify_email_token: code },
    });
    expect(secured.url.href).toBe(`${url}/securise`);
    expect(secured.status).toBe(200);
    expect(secured.body).toContain("<h1>Espace sécurisé</h1>");
    // Printed once: the audit trail's JSON lines never carry it.
    expect(stdout.split(code)).toHaveLength(2);
  });
});
