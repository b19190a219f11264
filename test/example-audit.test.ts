// The example app's audit trail, in a file of its own: the channels are the process's, and another
// file's failing store (example-app.test.ts) goes on publishing its background removals' failures for
// 15 s, which this exact list would otherwise hear.
import { expect, it } from "vitest";
import { signIn } from "../lib/testing/index.js";
import { startExample } from "../example-app/server.js";

it("writes each sign-in and sign-out to the audit logger it is given (npm start gives pino)", async () => {
  const lines: { msg: string; sub?: string }[] = [];
  const audit = {
    info: (details: Record<string, unknown>, msg: string) => lines.push({ ...details, msg }),
    warn: (details: Record<string, unknown>, msg: string) => lines.push({ ...details, msg }),
  };
  const quiet = { warn: () => undefined, error: () => undefined };
  const example = await startExample({ PORT: "0", EMULATOR_PORT: "0" }, { logger: quiet, audit });
  try {
    const browser = await signIn(example.url, "test@fia1.fr");
    await browser.navigate(`${example.url}/logout`, { method: "POST" });
  } finally {
    await example.close();
  }
  expect(lines.map(({ msg }) => msg)).toEqual(["proconnect: signed in", "proconnect: signed out"]);
  expect(lines[0]!.sub).toBe(lines[1]!.sub);
});
