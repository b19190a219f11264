// auditLog(logger): the audit trail written to pino in one line of set-up, as the example app does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, ProConnectError } from "../lib/index.js";
import { signIn, TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { startTestEmulator } from "./helpers/emulator.js";
import { pinoInMemory } from "./helpers/logs.js";

type Line = { level: number; msg: string; event: string; sub?: string; code?: string };

describe("auditLog()", () => {
  let emulator: ProConnectEmulator;
  let app: TestApp;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    app = await startTestApp(emulator);
  });
  afterAll(async () => {
    await app?.close();
    await emulator?.close();
  });

  it("writes a sign-in, a refused login and a sign-out as pino lines with the payload's fields, then stops", async () => {
    const { logger, lines, raw } = pinoInMemory<Line>("debug");
    const stop = auditLog(logger);
    const browser = await signIn(app.url, "test@fia1.fr");
    await new TestBrowser().navigate(`${app.url}/callback?state=forged&code=x`);
    await browser.navigate(`${app.url}/logout`, { method: "POST" });
    stop();
    await new TestBrowser().navigate(`${app.url}/callback?state=forged-again&code=x`);

    const seen = lines.map(({ level, msg }) => `${level} ${msg}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        "20 proconnect: login started",
        "30 proconnect: signed in",
        "40 proconnect: login failed",
        "30 proconnect: signed out",
        "20 proconnect: request to ProConnect",
      ]),
    );
    const signedIn = lines.find((line) => line.msg === "proconnect: signed in")!;
    expect(signedIn.event).toBe("proconnect-express:login:success");
    expect(signedIn.sub).toEqual(expect.any(String));
    expect(signedIn.sub!.length).toBeGreaterThan(10);
    expect(lines.find((line) => line.msg === "proconnect: login failed")?.code).toBe(
      "invalid_state",
    );
    // Stopped: the second forged callback wrote nothing.
    expect(lines.filter((line) => line.msg === "proconnect: login failed")).toHaveLength(1);
    // Never a cookie value (the session's, the login's) in the log.
    const cookies = [...browser.cookieHeader(app.url).matchAll(/=([^;]{16,})/g)].map(
      ([, value]) => value!,
    );
    for (const value of cookies) expect(raw.join("\n")).not.toContain(value);
  });

  it.each([
    ["an object without warn", { info: () => undefined }],
    ["nothing", undefined],
  ])("refuses %s as the logger, at once", (_what, logger) => {
    let thrown: unknown;
    try {
      auditLog(logger as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProConnectError);
    expect((thrown as ProConnectError).code).toBe("invalid_options");
  });
});
